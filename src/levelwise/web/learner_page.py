"""What a learner's page shows, read through the same use cases as the API.

Every number comes from the engine's services (``learner``, ``receipts``,
``guidance.forecast`` / ``next_activity``, ``boards.rank`` / ``league``), the
ones ``/v1/learners/...`` returns, and is only formatted here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from babel.lists import format_list

from levelwise.app.engine import Levelwise
from levelwise.app.recognition.boards import week_of
from levelwise.app.recognition.leagues import zone_of
from levelwise.app.views import LearnerView
from levelwise.domain.practice import PRACTICE_METRICS, metric_text
from levelwise.domain.program import Program
from levelwise.errors import PlanError, StoreError
from levelwise.web import labels
from levelwise.web.i18n import N_, Lang
from levelwise.web.tree import Branch, Leaf, TreeShape, tree_svg


@dataclass(frozen=True)
class GateRow:
    """One requirement of the next level with the learner's progress."""

    source: str
    label: str
    group: str
    current: float
    target: float
    current_text: str
    target_text: str
    progress: float
    percent: str
    met: bool


@dataclass(frozen=True)
class ForecastInfo:
    """When the next level is likely reached (``status`` ``forecast``), or why not.

    ``status`` is ``forecast``, ``none`` (no date can be given yet) or ``top``.
    """

    status: str
    median: date | None = None
    low: date | None = None
    high: date | None = None
    binding: str = ""
    at_risk: bool = False
    stalled: bool = False


@dataclass(frozen=True)
class NextInfo:
    """The next best activity (``status`` as the API's ``next``), labelled."""

    status: str
    unit: str = ""
    title: str = ""
    kind: str = ""
    minutes: float = 0.0
    requirement: str = ""


@dataclass(frozen=True)
class RankInfo:
    """The learner's place on this week's board and in their league group."""

    rank: int | None
    xp: int
    count: int
    public: bool
    tier: str = ""
    tier_label: str = ""
    group_rank: int | None = None
    group_size: int = 0
    zone: str = ""


@dataclass(frozen=True)
class ReceiptRow:
    """One recent decision, as a line for the learner."""

    kind: str
    xp: int
    text: str
    detail: str
    at: str
    day: date


@dataclass(frozen=True)
class LearnerPage:
    """Everything a learner page shows."""

    view: LearnerView
    program_title: str
    effort: tuple[GateRow, ...]
    ability: tuple[GateRow, ...]
    forecast: ForecastInfo
    next: NextInfo
    rank: RankInfo | None
    receipts: tuple[ReceiptRow, ...]
    tree: str
    week: str

    @property
    def met(self) -> int:
        """How many requirements of the next level are met."""
        return sum(g.met for g in (*self.effort, *self.ability))

    @property
    def total(self) -> int:
        """How many requirements the next level has."""
        return len(self.effort) + len(self.ability)


def _gates(view: LearnerView, program: Program, lang: Lang) -> list[GateRow]:
    """A row per requirement: each part of an ``and`` gate is a row of its own."""
    rows = []
    for gate in (part for g in view.gates for part in g.parts or (g,)):
        name = labels.gate_label(gate.gate, program, lang)
        rows.append(
            GateRow(
                gate.gate,
                name.label,
                name.group,
                gate.current,
                gate.target,
                labels.gate_value(gate.current, name.kind, lang),
                labels.gate_value(gate.target, name.kind, lang),
                gate.progress,
                lang.percent(gate.progress),
                gate.met,
            )
        )
    return rows


def _forecast(
    engine: Levelwise, tenant: str, view: LearnerView, program: Program, lang: Lang
) -> ForecastInfo:
    if view.next_level is None:
        return ForecastInfo("top")
    try:
        fc = engine.guidance.forecast(tenant, view.learner)
    except PlanError:
        return ForecastInfo("none")
    if fc.median_weeks is None:
        return ForecastInfo("none", stalled=fc.stalled)
    now = engine.guidance.now()

    def on(weeks: float | None) -> date | None:
        return None if weeks is None else (now + timedelta(weeks=weeks)).date()

    binding = labels.gate_label(fc.binding, program, lang).label if fc.binding else ""
    return ForecastInfo(
        "forecast",
        on(fc.median_weeks),
        on(fc.low_weeks),
        on(fc.high_weeks),
        binding,
        fc.at_risk,
        fc.stalled,
    )


def _next(
    engine: Levelwise, tenant: str, learner: str, program: Program, lang: Lang
) -> NextInfo:
    try:
        nxt = engine.guidance.next_activity(tenant, learner)
    except PlanError:
        return NextInfo("stuck")
    if nxt.step is None:
        return NextInfo(nxt.status)
    unit = program.unit_by_id.get(nxt.step.unit)
    return NextInfo(
        nxt.status,
        nxt.step.unit,
        unit.title if unit is not None and unit.title else nxt.step.title,
        labels.unit_kind(nxt.step.kind, lang),
        nxt.minutes,
        labels.gate_label(nxt.requirement, program, lang).label
        if nxt.requirement
        else "",
    )


def _rank(
    engine: Levelwise, tenant: str, learner: str, week: str, lang: Lang
) -> RankInfo | None:
    try:
        view = engine.boards.rank(tenant, learner, "all", "week")
        league = engine.boards.league(tenant, week)
    except StoreError:
        return None
    info = RankInfo(view.rank, view.xp, view.count, view.public)
    for group in league.groups:
        for standing in group.standings:
            if standing.member == learner:
                return RankInfo(
                    view.rank,
                    view.xp,
                    view.count,
                    view.public,
                    group.tier_name,
                    labels.league_tier(group.tier_name, lang),
                    standing.rank,
                    len(group.standings),
                    labels.zone(zone_of(group, standing.rank), lang),
                )
    return info


def _receipt(row: dict[str, Any], program: Program, lang: Lang) -> ReceiptRow:
    kind = str(row["kind"])
    day = datetime.fromisoformat(str(row["at"])).date()
    at = lang.date(day)
    if kind == "xp":
        receipt = row["receipt"]
        text = lang.gettext("+%(xp)s XP: %(rule)s") % {
            "xp": lang.number(row["xp"]),
            "rule": receipt["rule"],
        }
        return ReceiptRow(kind, int(row["xp"]), text, str(receipt["formula"]), at, day)
    if kind == "ability_measured":
        return _measured(row, program, lang, at, day)
    if kind == "unit_completed":
        unit = program.unit_by_id.get(str(row["unit"]))
        title = unit.title if unit is not None and unit.title else str(row["unit"])
        text = lang.gettext("Unit completed: %(unit)s") % {"unit": title}
        return ReceiptRow(kind, 0, text, "", at, day)
    if kind in _LEVEL_MESSAGES:
        level_id = str(row["level"])
        titles = (lvl.title for lvl in program.levels if lvl.id == level_id)
        level = next(titles, level_id)
        text = lang.gettext(_LEVEL_MESSAGES[kind]) % {"level": level}
        return ReceiptRow(kind, 0, text, "", at, day)
    return ReceiptRow(kind, 0, _recognition_text(row, lang), "", at, day)


def _measured(
    row: dict[str, Any], program: Program, lang: Lang, at: str, day: date
) -> ReceiptRow:
    """A practice measurement: the dimension's change, and the metrics behind it."""
    dimension = str(row["dimension"])
    titles = (d.title for d in program.dimensions if d.id == dimension)
    change = round(float(row["after"]) - float(row["before"]), 2) + 0.0  # no -0.00
    text = lang.gettext("Practice: %(dimension)s %(change)s") % {
        "dimension": next(titles, str(row["title"])),
        "change": f"{change:+.2f}",
    }
    metrics = ", ".join(
        metric_text(m["metric"], float(m["value"]))
        for m in row["metrics"]
        if m["metric"] in PRACTICE_METRICS
    )
    return ReceiptRow("ability_measured", 0, text, metrics, at, day)


_LEVEL_MESSAGES = {
    "level_reached": N_("Level reached: %(level)s"),
    "level_placed": N_("Placed at level: %(level)s"),
    "level_lost": N_("Level lost: %(level)s"),
}


def _recognition_text(row: dict[str, Any], lang: Lang) -> str:
    """A badge, title, streak or PK receipt as one line (school names as written)."""
    kind = str(row["kind"])
    if kind == "badge_earned":
        return lang.gettext("Badge earned: %(badge)s (%(tier)s)") % {
            "badge": row["title"],
            "tier": row["tier"],
        }
    if kind == "title_changed":
        return lang.gettext("New title: %(title)s") % {"title": row["name"]}
    if kind == "streak_broken":
        days = int(row["length"])
        return lang.ngettext(
            "Streak ended after %(num)d day", "Streak ended after %(num)d days", days
        ) % {"num": days}
    if kind == "streak_frozen":
        days = int(row["days"])
        return lang.ngettext(
            "A streak freeze covered %(num)d day",
            "Streak freezes covered %(num)d days",
            days,
        ) % {"num": days}
    points = int(row["points"])  # pk_scored
    return lang.ngettext(
        "+%(num)d point for team %(team)s", "+%(num)d points for team %(team)s", points
    ) % {"num": points, "team": row["team"]}


def _tree(view: LearnerView, program: Program, lang: Lang) -> str:
    branches = tuple(
        Branch(d.id, d.title or d.id, view.dimensions.get(d.id, (0.0, 0.0))[0])
        for d in program.dimensions
    )
    leaves = []
    for unit_id in view.units_completed:
        unit = program.unit_by_id.get(unit_id)
        title = unit.title if unit is not None and unit.title else unit_id
        dimension = unit.dimensions[0] if unit is not None and unit.dimensions else None
        leaves.append(Leaf(unit_id, title, dimension))
    shape = TreeShape(branches, tuple(leaves), view.level.index)
    counts = [
        lang.ngettext("%(num)d branch", "%(num)d branches", len(branches))
        % {"num": len(branches)},
        lang.ngettext("%(num)d leaf", "%(num)d leaves", len(leaves))
        % {"num": len(leaves)},
        lang.ngettext("%(num)d blossom", "%(num)d blossoms", shape.blossoms)
        % {"num": shape.blossoms},
    ]
    label = lang.gettext("Growth tree: %(counts)s") % {
        "counts": format_list(counts, locale=lang.locale)
    }
    return tree_svg(
        shape,
        title=lang.gettext("Growth tree"),
        desc=lang.gettext(
            "A branch for each ability, a leaf for each completed unit and a "
            "blossom for each level reached."
        ),
        label=label,
    )


def learner_page(
    engine: Levelwise, tenant: str, learner: str, lang: Lang
) -> LearnerPage:
    """Read and format everything a learner's page shows.

    Raises:
        LearnerNotFoundError: The learner has no events in this school.
        ProgramNotFoundError: The school has no program.
    """
    view = engine.learner(tenant, learner)
    program = engine.program(tenant)
    rows = _gates(view, program, lang)
    week = week_of(date.fromisoformat(engine.clock.now_iso()[:10]))
    receipts = engine.receipts(tenant, learner, limit=10)
    return LearnerPage(
        view=view,
        program_title=program.title,
        effort=tuple(r for r in rows if r.group == "effort"),
        ability=tuple(r for r in rows if r.group == "ability"),
        forecast=_forecast(engine, tenant, view, program, lang),
        next=_next(engine, tenant, learner, program, lang),
        rank=_rank(engine, tenant, learner, week, lang),
        receipts=tuple(_receipt(r, program, lang) for r in receipts),
        tree=_tree(view, program, lang),
        week=week,
    )
