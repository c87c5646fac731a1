"""Turn the Junyi Academy exercise table into a program, validated like a school's.

The table (``junyi_Exercise_table.csv``, UTF-8 with a BOM) has one row per
exercise: ``name``, ``live``, ``prerequisites`` (comma-separated names),
``seconds_per_fast_problem``, ``pretty_display_name``, ``area`` and more.
:func:`load_junyi` reads it, repairs the prerequisite graph with
:func:`levelwise.app.modelling.prereq_graph.break_cycles`, writes a program file (YAML)
and compiles it with :func:`levelwise.app.programs.loader.load_program`, so the
result passes exactly the checks a school's file does.

What is read, and how the data's quirks are handled:

* A repeated ``name`` keeps its first row; later ones are reported.
* A prerequisite naming no exercise is dropped and reported; a name listed
  twice in one row counts once.
* Exercises with ``live`` FALSE (retired on Junyi) are kept and counted.
* Ids: a name with characters a program id cannot hold (such as a space)
  becomes an id with ``_`` in their place (``angle types`` -> ``angle_types``;
  ``_2``, ``_3``... if that id is taken); renamings are reported.
* Areas become dimension ids: lower case, every run of other characters than
  ``a-z0-9`` replaced by ``_`` (``probability-statistics`` ->
  ``probability_statistics``); an empty area or ``N/A`` becomes
  ``unassigned``.

The program:

* dimensions: one per area; knowledge points: one per exercise, feeding its
  area with weight 1, with the repaired graph's prerequisites;
* units: one ``exercise`` unit per exercise (same id) of :data:`QUESTIONS`
  problems, ``minutes = ceil(QUESTIONS x seconds_per_fast_problem x
  SLOWDOWN / 60)``, at least 1: Junyi's "fast" time is a quick learner's, and
  a learner working through a new exercise is taken to need about
  :data:`SLOWDOWN` times as long;
* levels: ``starter``, then for each tier of :data:`TIERS` (ability 0.35, then
  0.6) one level per area of the :data:`LADDER_AREAS` areas with the most
  exercises (most first, ties by id), named ``<area>_<tier>``: its gates are
  ``dimension.<area> >= <tier target>`` and ``xp >= 500 x <level number>``.
  An area's ability is the mean mastery of its exercises, so with the prior of
  0.2 the first Junyi level (``arithmetic_1``, 301 exercises) asks for about
  60 well-practised arithmetic exercises, more with their prerequisites (a
  fresh learner's plan to it is about 130 units);
* xp_rules: 1 XP per correct answer (``question.answered``), 5 XP per
  completed unit (``unit.completed``);
* mastery: with fitted BKT parameters given, ``model: bkt`` with them (points
  without any use the BKT fallback: prior 0.2, learn 0.1, guess 0.2, slip
  0.1); without, the running estimate with a prior of 0.2, since the program
  file accepts ``model: bkt`` only with fitted parameters. Plans then assume
  the same BKT fallback learning rates (see :mod:`levelwise.app.plan_gains`);
* planning: the defaults (ready mastery 0.6, 180 minutes a week, 26 weeks).
"""

from __future__ import annotations

import csv
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from levelwise.app.modelling.prereq_graph import (
    Edge,
    GraphRepair,
    break_cycles,
    longest_chain,
)
from levelwise.app.programs.loader import load_program
from levelwise.domain.program import BktParams, Program
from levelwise.errors import (
    InvalidJunyiError,
    JunyiNotFoundError,
)

__all__ = [
    "FILE_NAME",
    "InvalidJunyiError",
    "JunyiNotFoundError",
    "JunyiProgram",
    "JunyiReport",
    "load_junyi",
]

FILE_NAME = "junyi_Exercise_table.csv"
COLUMNS = ("name", "live", "prerequisites", "seconds_per_fast_problem", "area")
QUESTIONS = 10
"""Problems in one exercise unit."""
SLOWDOWN = 3.0
"""A learner's time per problem, as a multiple of Junyi's "fast" time."""
TIERS = (0.35, 0.6)
"""Area ability asked by each tier of the ladder."""
LADDER_AREAS = 3
XP_STEP = 500
UNASSIGNED = "unassigned"
_BAD_ID_CHARS = re.compile(r"[^A-Za-z0-9_.:\-]")
_ID_MAX = 100
_TITLE_MAX = 500


@dataclass(frozen=True)
class _Row:
    line: int
    name: str
    live: bool
    prerequisites: tuple[str, ...]
    seconds: float
    title: str
    area: str


@dataclass(frozen=True)
class JunyiReport:
    """What :func:`load_junyi` read, dropped and repaired.

    Attributes:
        source: The file that was read.
        rows: Data rows in the file.
        exercises: Distinct exercises (knowledge points and units).
        not_live: Exercises whose ``live`` is FALSE (kept).
        duplicates: ``(name, line, first line)`` of every repeated row dropped.
        unknown_prerequisites: ``(exercise, prerequisite, line)`` of every
            prerequisite naming no exercise (dropped).
        renamed: ``(name, id)`` of every exercise whose name is not a valid id.
        areas: ``(area, dimension id, exercises)``, in dimension order.
        edges: Distinct prerequisite links between known exercises, before the
            repair (self-loops included).
        repair: The cycle breaker's result, over knowledge point ids.
        longest_chain: A longest prerequisite chain after the repair.
    """

    source: str
    rows: int
    exercises: int
    not_live: int
    duplicates: tuple[tuple[str, int, int], ...]
    unknown_prerequisites: tuple[tuple[str, str, int], ...]
    renamed: tuple[tuple[str, str], ...]
    areas: tuple[tuple[str, str, int], ...]
    edges: int
    repair: GraphRepair
    longest_chain: tuple[str, ...]


@dataclass(frozen=True, eq=False)
class JunyiProgram:
    """The compiled program, the report, and the program file it came from.

    Attributes:
        program: The program, compiled by the program loader.
        report: What was read, dropped and repaired.
        text: The generated program file (YAML).
    """

    program: Program
    report: JunyiReport
    text: str


def load_junyi(
    path: str | Path,
    *,
    bkt: Mapping[str, BktParams] | None = None,
    program_id: str = "junyi",
) -> JunyiProgram:
    """Read the Junyi exercise table and build a validated program from it.

    Args:
        path: ``junyi_Exercise_table.csv`` or the folder holding it.
        bkt: Fitted BKT parameters by knowledge point id; when given, the
            program uses BKT (points without parameters get its fallback),
            otherwise the running estimate.
        program_id: The program's id.

    Returns:
        The program, the report and the generated program file.

    Raises:
        JunyiNotFoundError: No such file or folder, or no table in the folder.
        InvalidJunyiError: A column is missing or a value is malformed.
        ProgramError: The generated program does not compile (a bad
            ``program_id`` or ``bkt`` entry).
    """
    file = _locate(Path(path))
    rows, total = _read(file)
    first: dict[str, _Row] = {}
    duplicates: list[tuple[str, int, int]] = []
    for row in rows:
        if row.name in first:
            duplicates.append((row.name, row.line, first[row.name].line))
        else:
            first[row.name] = row
    exercises = list(first.values())
    ids = _ids([r.name for r in exercises])
    dims = {r.name: _dimension(r.area) for r in exercises}
    unknown: list[tuple[str, str, int]] = []
    edges: set[Edge] = set()
    for row in exercises:
        for prerequisite in row.prerequisites:
            if prerequisite in ids:
                edges.add((ids[prerequisite], ids[row.name]))
            else:
                unknown.append((row.name, prerequisite, row.line))
    repair = break_cycles(ids.values(), edges)
    areas: dict[str, tuple[str, int]] = {}
    for row in exercises:
        area, count = areas.get(dims[row.name], (row.area, 0))
        areas[dims[row.name]] = (area, count + 1)
    report = JunyiReport(
        source=str(file),
        rows=total,
        exercises=len(exercises),
        not_live=sum(1 for r in exercises if not r.live),
        duplicates=tuple(duplicates),
        unknown_prerequisites=tuple(unknown),
        renamed=tuple((n, i) for n, i in ids.items() if n != i),
        areas=tuple((a, d, n) for d, (a, n) in sorted(areas.items())),
        edges=len(edges),
        repair=repair,
        longest_chain=longest_chain(repair.nodes, repair.kept),
    )
    text = _program_text(program_id, exercises, ids, dims, report, bkt or {})
    program = load_program(text, f"{file} (generated program)")
    return JunyiProgram(program, report, text)


def _locate(path: Path) -> Path:
    file = path / FILE_NAME if path.is_dir() else path
    if not file.is_file():
        raise JunyiNotFoundError(f"{file}: no such file")
    return file


def _read(file: Path) -> tuple[list[_Row], int]:
    name = str(file)
    try:
        with file.open(encoding="utf-8-sig", newline="") as handle:
            return _parse(name, handle)
    except UnicodeDecodeError as exc:
        raise InvalidJunyiError(name, 0, f"not UTF-8 text ({exc.reason})") from exc


def _parse(name: str, handle: TextIO) -> tuple[list[_Row], int]:
    reader = csv.reader(handle)
    header = next(reader, None)
    if header is None:
        raise InvalidJunyiError(name, 1, "the file is empty")
    columns = {col.strip(): i for i, col in enumerate(header)}
    for col in COLUMNS:
        if col not in columns:
            raise InvalidJunyiError(name, 1, f"missing column {col!r}")
    rows: list[_Row] = []
    line = reader.line_num
    for fields in reader:
        start, line = line + 1, reader.line_num
        if fields:
            rows.append(_row(name, start, fields, columns))
    return rows, len(rows)


def _row(name: str, line: int, fields: list[str], columns: dict[str, int]) -> _Row:
    if len(fields) != len(columns):
        msg = f"expected {len(columns)} fields, got {len(fields)}"
        raise InvalidJunyiError(name, line, msg)

    def get(col: str) -> str:
        return fields[columns[col]].strip() if col in columns else ""

    exercise = get("name")
    if not exercise:
        raise InvalidJunyiError(name, line, "empty exercise name")
    live = get("live").upper()
    if live not in ("TRUE", "FALSE"):
        msg = f"live must be TRUE or FALSE, got {get('live')!r}"
        raise InvalidJunyiError(name, line, msg)
    raw = get("seconds_per_fast_problem")
    try:
        seconds = float(raw)
    except ValueError:
        seconds = math.nan
    if not math.isfinite(seconds) or seconds < 0:
        msg = f"seconds_per_fast_problem must be a number >= 0, got {raw!r}"
        raise InvalidJunyiError(name, line, msg)
    listed = (p.strip() for p in get("prerequisites").split(","))
    title = get("pretty_display_name") or get("short_display_name") or exercise
    return _Row(
        line=line,
        name=exercise,
        live=live == "TRUE",
        prerequisites=tuple(dict.fromkeys(p for p in listed if p)),
        seconds=seconds,
        title=title[:_TITLE_MAX],
        area=get("area"),
    )


def _ids(names: list[str]) -> dict[str, str]:
    """A valid, unique program id for every exercise name (names first)."""
    taken = {n for n in names if _valid(n)}
    ids: dict[str, str] = {}
    for n in names:
        if _valid(n):
            ids[n] = n
            continue
        base = _BAD_ID_CHARS.sub("_", n)
        if not base[0].isalnum():
            base = "x" + base
        base = base[:_ID_MAX]
        ident, k = base, 1
        while ident in taken:
            k += 1
            suffix = f"_{k}"
            ident = base[: _ID_MAX - len(suffix)] + suffix
        taken.add(ident)
        ids[n] = ident
    return ids


def _valid(name: str) -> bool:
    return (
        len(name) <= _ID_MAX
        and name[0].isascii()
        and name[0].isalnum()
        and not _BAD_ID_CHARS.search(name)
    )


def _dimension(area: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "_", area.lower()).strip("_")
    if not slug or area.strip().upper() == "N/A":
        return UNASSIGNED
    return slug if slug[0].isalpha() else f"area_{slug}"


def _minutes(seconds: float) -> int:
    return max(1, math.ceil(QUESTIONS * seconds * SLOWDOWN / 60))


def _q(value: str) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(value, ensure_ascii=False)


def _ladder(report: JunyiReport) -> list[tuple[str, str, float]]:
    """``(level id, dimension, target)`` of each level above the starter."""
    ranked = sorted(report.areas, key=lambda a: (-a[2], a[1]))[:LADDER_AREAS]
    return [
        (f"{dim}_{tier}", dim, target)
        for tier, target in enumerate(TIERS, 1)
        for _, dim, _ in ranked
    ]


def _program_text(
    program_id: str,
    exercises: list[_Row],
    ids: dict[str, str],
    dims: dict[str, str],
    report: JunyiReport,
    bkt: Mapping[str, BktParams],
) -> str:
    prerequisites: dict[str, list[str]] = {}
    for before, after in report.repair.kept:
        prerequisites.setdefault(after, []).append(before)
    out = [
        f"program: {_q(program_id)}",
        "version: 1",
        'title: "Junyi Academy exercises"',
        "dimensions:",
    ]
    out += [f"  - {{id: {_q(d)}, title: {_q(a)}}}" for a, d, _ in report.areas]
    out.append("knowledge_points:")
    for row in exercises:
        kp = ids[row.name]
        pre = ", ".join(_q(p) for p in prerequisites.get(kp, []))
        out += [
            f"  - id: {_q(kp)}",
            f"    title: {_q(row.title)}",
            f"    dimensions: [{_q(dims[row.name])}]",
            f"    prerequisites: [{pre}]",
        ]
    out.append("units:")
    for row in exercises:
        kp = _q(ids[row.name])
        out += [
            f"  - id: {kp}",
            "    kind: exercise",
            f"    title: {_q(row.title)}",
            f"    minutes: {_minutes(row.seconds)}",
            f"    knowledge_points: [{kp}]",
            f"    questions: {QUESTIONS}",
        ]
    out += ["levels:", "  - id: starter"]
    for number, (level, dim, target) in enumerate(_ladder(report), 1):
        out += [
            f"  - id: {_q(level)}",
            f"    gates: [{_q(f'dimension.{dim} >= {target}')}, "
            f'"xp >= {XP_STEP * number}"]',
        ]
    out += [
        "xp_rules:",
        "  - {id: correct_answer, on: question.answered, when: correct, xp: 1}",
        "  - {id: unit_done, on: unit.completed, xp: 5}",
    ]
    out += _mastery(bkt)
    out += [
        "planning: {ready_mastery: 0.6, weekly_minutes: 180, horizon_weeks: 26}",
        "",
    ]
    return "\n".join(out)


def _mastery(bkt: Mapping[str, BktParams]) -> list[str]:
    """The mastery section: BKT with the given parameters, else the running one."""
    if not bkt:
        return ["mastery: {model: running, prior: 0.2}"]
    out = [
        "mastery:",
        "  model: bkt",
        "  prior: 0.2",
        '  fitted: "given to load_junyi"',
        "  bkt:",
    ]
    for kp, p in sorted(bkt.items()):
        out.append(
            f"    {_q(kp)}: {{prior: {p.prior}, learn: {p.learn}, "
            f"guess: {p.guess}, slip: {p.slip}, forget: {p.forget}}}"
        )
    return out
