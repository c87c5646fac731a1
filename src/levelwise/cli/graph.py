"""The ``levelwise eval graph`` command: load a prerequisite graph and report it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from levelwise.cli.options import JsonOpt, fail, out
from levelwise.errors import LevelwiseError

if TYPE_CHECKING:
    from levelwise.app.modelling.junyi import JunyiProgram

app = typer.Typer()
"""Nameless: :mod:`levelwise.cli.eval` mounts ``graph`` on ``levelwise eval``."""


@app.command("graph")
def graph(
    junyi: Annotated[
        Path,
        typer.Option(
            "--junyi",
            help="junyi_Exercise_table.csv or its folder (../shared/data/…).",
        ),
    ],
    write: Annotated[
        Path | None,
        typer.Option("--write", help="Also write the generated program file here."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Load the Junyi prerequisite graph as a program and report the repair."""
    from levelwise.app.modelling.junyi import load_junyi

    try:
        loaded = load_junyi(junyi)
    except LevelwiseError as exc:
        raise fail(exc) from exc
    if write is not None:
        write.write_text(loaded.text, encoding="utf-8")
    if as_json:
        out().print_json(json.dumps(graph_summary(loaded)))
        return
    for line in graph_lines(loaded):
        out().print(line, highlight=False, markup=False)


def graph_summary(loaded: JunyiProgram) -> dict[str, Any]:
    """The report as plain data (what ``--json`` prints)."""
    r = loaded.report
    p = loaded.program
    return {
        "source": r.source,
        "rows": r.rows,
        "exercises": r.exercises,
        "not_live": r.not_live,
        "duplicates": [
            {"name": n, "line": line, "first_line": first}
            for n, line, first in r.duplicates
        ],
        "unknown_prerequisites": [
            {"exercise": e, "prerequisite": q, "line": line}
            for e, q, line in r.unknown_prerequisites
        ],
        "renamed": [{"name": n, "id": i} for n, i in r.renamed],
        "edges": r.edges,
        "kept_edges": len(r.repair.kept),
        "removed": [
            {"prerequisite": a, "dependent": b, "reason": x.reason}
            for x in r.repair.removed
            for a, b in (x.edge,)
        ],
        "cycles": [list(c) for c in r.repair.cycles],
        "longest_chain_edges": max(len(r.longest_chain) - 1, 0),
        "longest_chain": list(r.longest_chain),
        "program": {
            "dimensions": len(p.dimensions),
            "knowledge_points": len(p.knowledge_points),
            "units": len(p.units),
            "unit_minutes": sum(u.minutes for u in p.units),
            "levels": [lvl.id for lvl in p.levels],
            "mastery": p.mastery.model,
        },
    }


def graph_lines(loaded: JunyiProgram) -> list[str]:
    """The report as text lines."""
    s = graph_summary(loaded)
    prog = s["program"]
    lines = [
        f"{s['source']}: {s['rows']} rows, {s['exercises']} exercises "
        f"({s['not_live']} not live, kept)",
        f"duplicate rows dropped: {len(s['duplicates'])}",
        *(
            f"  {d['name']} (line {d['line']}, first at line {d['first_line']})"
            for d in s["duplicates"]
        ),
        f"unknown prerequisites dropped: {len(s['unknown_prerequisites'])}",
        *(
            f"  {u['exercise']} <- {u['prerequisite']} (line {u['line']})"
            for u in s["unknown_prerequisites"]
        ),
        f"renamed to valid ids: {len(s['renamed'])}",
        *(f"  {x['name']!r} -> {x['id']}" for x in s["renamed"]),
        f"prerequisite edges: {s['edges']}, kept {s['kept_edges']}, "
        f"removed {len(s['removed'])}",
        *(
            f"  {x['prerequisite']} -> {x['dependent']}: {x['reason']}"
            for x in s["removed"]
        ),
        f"longest prerequisite chain after repair: {s['longest_chain_edges']} edges",
        f"program: {prog['dimensions']} dimensions, {prog['knowledge_points']} "
        f"knowledge points, {prog['units']} units "
        f"({prog['unit_minutes']:g} minutes in all), mastery {prog['mastery']}",
        f"levels: {' > '.join(prog['levels'])}",
    ]
    return lines
