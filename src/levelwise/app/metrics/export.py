"""The dashboard's tables as CSV: one header line, then one line per row."""

from __future__ import annotations

import csv
import io

from levelwise.app.metrics.views import Dashboard, Figure, MetricRow


def _figure_cells(prefix: str, f: Figure) -> dict[str, object]:
    return {
        prefix: "" if f.value is None else round(f.value, 6),
        f"{prefix}_numerator": round(f.numerator, 6),
        f"{prefix}_denominator": round(f.denominator, 6),
        f"{prefix}_n": f.n,
    }


def _row_cells(row: MetricRow) -> dict[str, object]:
    return {
        "key": row.key,
        "learners": row.learners,
        "active": row.active,
        **_figure_cells("completion", row.completion),
        **_figure_cells("renewal", row.renewal),
        **_figure_cells("interactions_per_class", row.interactions_per_class),
        **_figure_cells("level_up_weeks", row.level_up_weeks),
        "level_ups": row.level_ups,
        "study_minutes": row.study_minutes,
    }


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> object:
    """A cell a spreadsheet will not run: text that looks like a formula is quoted.

    Class, cohort and experiment names come from the platform's events, and a
    spreadsheet runs a cell such as ``=HYPERLINK(...)`` (OWASP, CSV injection).
    Numbers are written as numbers.
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _num(value: float | None) -> object:
    return "" if value is None else round(value, 6)


def to_csv(board: Dashboard, table: str) -> str:
    """One table of a dashboard as CSV text."""
    records: list[dict[str, object]]
    if table in ("cohorts", "classes"):
        rows = board.by_cohort if table == "cohorts" else board.by_class
        records = [_row_cells(r) for r in rows]
        header = list(_row_cells(board.overall))
    elif table == "weeks":
        # ``partial``: the range covers only part of the week (docs/metrics.md).
        records = [_row_cells(r) | {"partial": r.partial} for r in board.by_week]
        header = [*_row_cells(board.overall), "partial"]
    elif table == "levels":
        header = ["level", "name", "current", "reached", "stuck"]
        records = [
            {
                "level": r.level,
                "name": r.name,
                "current": r.current,
                "reached": r.reached,
                "stuck": "; ".join(f"{g}: {n}" for g, n in r.stuck),
            }
            for r in board.levels
        ]
    else:
        header = [
            "experiment",
            "variant",
            "metric",
            "control",
            "control_n",
            "variant_value",
            "variant_n",
            "difference",
            "low",
            "high",
            "enough",
            "reason",
        ]
        records = [
            {
                "experiment": e.id,
                "variant": name,
                "metric": c.metric,
                "control": _num(c.control.value),
                "control_n": c.control.n,
                "variant_value": _num(c.variant.value),
                "variant_n": c.variant.n,
                "difference": _num(c.difference),
                "low": _num(c.low),
                "high": _num(c.high),
                "enough": c.enough,
                "reason": c.reason,
            }
            for e in board.experiments
            for name, comparisons in e.comparisons
            for c in comparisons
        ]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: _cell(v) for k, v in r.items()} for r in records)
    return buffer.getvalue()
