"""What a learner's page shows, read through the same use cases as the API.

Every number comes from the engine's services (``learner``, ``receipts``,
``guidance.forecast`` / ``next_activity`` / ``plan``, ``boards.rank`` /
``league``), the ones ``/v1/learners/...`` returns, and is only formatted
here. The plan's first week is a short list of units, each with why it is
there in plain words (:func:`~levelwise.app.guidance.reasons.describe_reason`),
never a requirement's expression. The speaking
section shows the practice metrics the program uses (in its measurements and
gates; every metric with a better direction when it uses none), each as a
small line, its values and its trend in words.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from babel.lists import format_list

from levelwise.app.engine import Levelwise
from levelwise.app.guidance.forecast import Forecast
from levelwise.app.guidance.outlook import PracticeTip
from levelwise.app.guidance.plan import Plan, PlanStep
from levelwise.app.guidance.reasons import describe_reason
from levelwise.app.guidance.requirements import Facts, describe, school_name
from levelwise.app.guidance.service import NextActivity
from levelwise.app.practice.profile import PLATEAU_SESSIONS
from levelwise.app.recognition.boards import week_of
from levelwise.app.recognition.leagues import zone_of
from levelwise.app.views import LearnerView, MetricTrendInfo
from levelwise.domain.outcomes import whole_minutes
from levelwise.domain.practice import PRACTICE_METRICS, metric_text
from levelwise.domain.program import Program
from levelwise.errors import LearnerNotFoundError, PlanError, StoreError
from levelwise.web import labels
from levelwise.web.i18n import N_, Lang
from levelwise.web.sparkline import sparkline_svg
from levelwise.web.tree import Branch, Leaf, TreeShape, flowers, tree_svg


@dataclass(frozen=True)
class GateRow:
    """One requirement of the next level with the learner's progress.

    ``label`` and ``progress_text`` are the requirement in plain words (the
    expression, ``source``, is for teachers). An ability requirement shows
    ``scale`` (``none``: no answers yet, ``not_yet``, ``getting_there``,
    ``strong``) as ``stars`` of 3 instead of a bar; ``bar`` is False where a
    bar would show what the learner did not do (a prior, an average of no
    homework).
    """

    source: str
    label: str
    group: str
    current: float
    target: float
    progress_text: str
    progress: float
    percent: str
    met: bool
    bar: bool = True
    scale: str = ""
    scale_text: str = ""
    stars: int = 0


@dataclass(frozen=True)
class SpeakingEtaRow:
    """When a requirement on a practice metric is met at the learner's trend."""

    requirement: str
    sessions: int | None
    weeks: float | None
    text: str


@dataclass(frozen=True)
class BottleneckRow:
    """A plateaued practice metric that holds back requirements."""

    metric: str
    text: str


@dataclass(frozen=True)
class ForecastInfo:
    """When the next level is likely reached (``status`` ``forecast``), or why not.

    ``status`` is ``forecast``, ``none`` (no date can be given yet) or ``top``;
    ``speaking`` and ``bottlenecks`` are the forecast's speaking outlook.
    """

    status: str
    median: date | None = None
    low: date | None = None
    high: date | None = None
    binding: str = ""
    at_risk: bool = False
    stalled: bool = False
    speaking: tuple[SpeakingEtaRow, ...] = ()
    bottlenecks: tuple[BottleneckRow, ...] = ()


@dataclass(frozen=True)
class NoteRow:
    """A practice metric a tip names: its last value and its trend in words."""

    metric: str
    label: str
    value: str
    status: str
    status_text: str


@dataclass(frozen=True)
class TipInfo:
    """A practice scenario aimed at a speaking requirement, labelled.

    ``same`` says the next step is this practice unit (else it is an extra
    suggestion).
    """

    unit: str
    title: str
    partner: str
    requirement: str
    progress: str
    same: bool
    notes: tuple[NoteRow, ...]


@dataclass(frozen=True)
class NextInfo:
    """The next best activity (``status`` as the API's ``next``), labelled."""

    status: str
    unit: str = ""
    title: str = ""
    kind: str = ""
    minutes: float = 0.0
    requirement: str = ""
    practice: TipInfo | None = None


@dataclass(frozen=True)
class WeekStep:
    """A unit of the plan's first week, as the learner reads it.

    A unit the week studies more than once is one row: ``times`` says how
    often, ``minutes`` is their sum and ``reason`` is the first one's.
    ``chance`` is a scored test's chance to pass (None otherwise).
    """

    unit: str
    title: str
    kind: str
    kind_text: str
    minutes: float
    times: int
    reason: str
    chance: float | None = None


@dataclass(frozen=True)
class WeekPlan:
    """This week of the learner's plan: its first units, and how many more.

    ``minutes`` are those of the whole week (``more`` rows included); ``level``
    is the name of the level the plan goes to.
    """

    steps: tuple[WeekStep, ...]
    more: int
    minutes: float
    level: str


WEEK_ROWS = 5
"""How many of the week's units the page lists before "and N more"."""


@dataclass(frozen=True)
class MetricRow:
    """One practice metric: its trend as a line, in words and in numbers.

    ``status`` is ``improving``, ``plateau``, ``not_improving``, ``steady``
    (no change), ``up`` / ``down`` (a metric with no better direction) or
    ``new`` (one session).
    """

    metric: str
    label: str
    values: tuple[str, ...]
    latest: float
    latest_text: str
    slope: float
    status: str
    mark: str
    status_text: str
    line: str


@dataclass(frozen=True)
class SpeakingInfo:
    """The learner's speaking profile as the page shows it.

    ``invite`` is set when the learner has no practice yet and the program
    has practice units.
    """

    sessions: int
    summary: str
    rows: tuple[MetricRow, ...]
    invite: bool


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
class BadgeRow:
    """A badge with the school's names in the page's language."""

    id: str
    title: str
    tier: str
    tier_title: str
    next_tier: str
    next_count: int | None
    count: int


@dataclass(frozen=True)
class TeamCard:
    """A team task as a member sees it ("your class: 31 of 40, you gave 6").

    Filled from the team-task service's view of the learner when the engine
    has one; the template shows a card per task.
    """

    task: str
    text: str
    progress: float
    done: bool


@dataclass(frozen=True)
class Names:
    """The school's names of what the page's header shows, in its language."""

    program: str
    level: str
    next_level: str
    title: str


@dataclass(frozen=True)
class LearnerPage:
    """Everything a learner page shows.

    ``teams`` is the place of the learner's team tasks (empty until the
    engine offers them); ``flower`` says how many units to the tree's next
    blossom; ``this_week`` is the plan's first week (None without a plan).
    """

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
    speaking: SpeakingInfo | None = None
    names: Names = Names("", "", "", "")
    badges: tuple[BadgeRow, ...] = ()
    flower: str = ""
    teams: tuple[TeamCard, ...] = ()
    this_week: WeekPlan | None = None

    @property
    def met(self) -> int:
        """How many requirements of the next level are met."""
        return sum(g.met for g in (*self.effort, *self.ability))

    @property
    def total(self) -> int:
        """How many requirements the next level has."""
        return len(self.effort) + len(self.ability)


def facts_of(view: LearnerView) -> Facts:
    """What the learner has done, as the requirement words read it."""
    placed = frozenset(view.placement.abilities) if view.placement else frozenset()
    return Facts(
        counters=view.counters,
        mastery={kp: (m[0], m[2]) for kp, m in view.mastery.items()},
        placed=placed,
        scored=frozenset(view.unit_scores),
    )


_SCALE = {
    "none": N_("No answers yet"),
    "not_yet": N_("Not yet"),
    "getting_there": N_("Getting there"),
    "strong": N_("Strong"),
}
"""The ability scale, from no evidence to a met requirement."""
_STARS = {"none": 0, "not_yet": 1, "getting_there": 2, "strong": 3}
GETTING_THERE = 0.8
"""Progress (on evidence) from which an ability reads "getting there"."""


def ability_scale(evidence: bool, met: bool, progress: float) -> str:
    """Where an ability requirement stands on the learner's scale.

    Nothing but evidence moves it: without answers on what it measures it is
    ``none`` whatever the prior says.
    """
    if not evidence:
        return "none"
    if met:
        return "strong"
    return "getting_there" if progress >= GETTING_THERE else "not_yet"


def _gates(view: LearnerView, program: Program, lang: Lang) -> list[GateRow]:
    """A row per requirement: each part of an ``and`` gate is a row of its own."""
    facts = facts_of(view)
    rows = []
    for gate in (part for g in view.gates for part in g.parts or (g,)):
        name = labels.gate_label(gate.gate, program, lang)
        said = describe(
            gate.gate,
            program,
            lang.code,
            current=gate.current,
            met=gate.met,
            facts=facts,
        )
        scale = ""
        if said.kind == "ability":
            scale = ability_scale(said.evidence, gate.met, gate.progress)
        rows.append(
            GateRow(
                gate.gate,
                said.goal,
                name.group,
                gate.current,
                gate.target,
                said.progress,
                gate.progress,
                lang.percent(gate.progress),
                gate.met,
                bar=said.evidence and not scale,
                scale=scale,
                scale_text=lang.gettext(_SCALE[scale]) if scale else "",
                stars=_STARS.get(scale, 0),
            )
        )
    return rows


def _words(source: str, program: Program, lang: Lang) -> str:
    """A requirement's goal in words (forecasts, next steps, tips)."""
    return describe(source, program, lang.code).goal


def _forecast(
    engine: Levelwise, fc: Forecast | None, program: Program, lang: Lang
) -> ForecastInfo:
    if fc is None:
        return ForecastInfo("none")
    now = engine.guidance.now()

    def on(weeks: float | None) -> date | None:
        return None if weeks is None else (now + timedelta(weeks=weeks)).date()

    speaking = _etas(fc, lang, on)
    found = _bottlenecks(fc, program, lang)
    if fc.median_weeks is None:
        return ForecastInfo(
            "none", stalled=fc.stalled, speaking=speaking, bottlenecks=found
        )
    binding = _words(fc.binding, program, lang) if fc.binding else ""
    return ForecastInfo(
        "forecast",
        on(fc.median_weeks),
        on(fc.low_weeks),
        on(fc.high_weeks),
        binding,
        fc.at_risk,
        fc.stalled,
        speaking,
        found,
    )


def _etas(
    fc: Forecast,
    lang: Lang,
    on: Callable[[float | None], date | None],
) -> tuple[SpeakingEtaRow, ...]:
    rows = []
    for eta in fc.speaking:
        values: dict[str, object] = {
            "metric": labels.metric_label(eta.metric, lang),
            "target": labels.metric_value(eta.metric, eta.target, lang),
            "num": eta.sessions or 0,
        }
        day = on(eta.weeks)
        if eta.current is None:
            text = lang.gettext(
                "%(metric)s: no measure yet. A session with the AI partner gives "
                "the first one."
            )
        elif eta.sessions is None:
            text = lang.gettext(
                "%(metric)s is not moving toward %(target)s yet, so there is no "
                "date for it."
            )
        elif day is None:
            text = lang.ngettext(
                "%(metric)s reaches %(target)s in about %(num)d session.",
                "%(metric)s reaches %(target)s in about %(num)d sessions.",
                eta.sessions,
            )
        else:
            text = lang.ngettext(
                "%(metric)s reaches %(target)s in about %(num)d session, "
                "around %(date)s at your practice pace.",
                "%(metric)s reaches %(target)s in about %(num)d sessions, "
                "around %(date)s at your practice pace.",
                eta.sessions,
            )
            values["date"] = lang.date(day)
        rows.append(
            SpeakingEtaRow(eta.requirement, eta.sessions, eta.weeks, text % values)
        )
    return tuple(rows)


def _bottlenecks(
    fc: Forecast, program: Program, lang: Lang
) -> tuple[BottleneckRow, ...]:
    rows = []
    for found in fc.bottlenecks:
        held = [_words(r, program, lang) for r in found.requirements]
        text = lang.gettext(
            "%(metric)s has not improved lately: it may hold back %(requirements)s."
        ) % {
            "metric": labels.metric_label(found.metric, lang),
            "requirements": format_list(held, locale=lang.locale),
        }
        rows.append(BottleneckRow(found.metric, text))
    return tuple(rows)


def _next(nxt: NextActivity | None, program: Program, lang: Lang) -> NextInfo:
    if nxt is None:
        return NextInfo("stuck")
    if nxt.step is None:
        return NextInfo(nxt.status)
    unit = program.unit_by_id.get(nxt.step.unit)
    tip = nxt.practice
    title = unit.title if unit is not None and unit.title else nxt.step.title
    return NextInfo(
        nxt.status,
        nxt.step.unit,
        program.text(f"unit:{nxt.step.unit}", lang.code, title),
        labels.unit_kind(nxt.step.kind, lang),
        nxt.minutes,
        _words(nxt.requirement, program, lang) if nxt.requirement else "",
        _tip(tip, nxt.step.unit, program, lang) if tip is not None else None,
    )


def _tip(tip: PracticeTip, step: str, program: Program, lang: Lang) -> TipInfo:
    name = labels.gate_label(tip.requirement, program, lang)
    if tip.current is None:
        progress = ""
    elif name.kind == "count" and tip.requirement.split()[0] in labels.METRICS:
        metric = tip.requirement.split()[0]
        progress = lang.gettext("%(current)s of %(target)s") % {
            "current": labels.metric_value(metric, tip.current, lang),
            "target": labels.metric_value(metric, tip.target, lang),
        }
    else:
        progress = lang.gettext("%(current)s of %(target)s") % {
            "current": labels.gate_value(tip.current, name.kind, lang),
            "target": labels.gate_value(tip.target, name.kind, lang),
        }
    notes = tuple(
        NoteRow(
            n.metric,
            labels.metric_label(n.metric, lang),
            labels.metric_value(n.metric, n.value, lang),
            n.status,
            _status_text(n.status, n.sessions, lang),
        )
        for n in tip.metrics
    )
    return TipInfo(
        tip.unit,
        tip.scenario or program.text(f"unit:{tip.unit}", lang.code, tip.title),
        tip.partner,
        _words(tip.requirement, program, lang),
        progress,
        tip.unit == step,
        notes,
    )


_STATUS = {
    "improving": N_("Improving"),
    "not_improving": N_("Not improving"),
    "steady": N_("No change"),
    "up": N_("Going up"),
    "down": N_("Going down"),
    "new": N_("First session"),
}


def _status_text(status: str, sessions: int, lang: Lang) -> str:
    if status == "plateau":
        return lang.ngettext(
            "No progress over the last %(num)d session",
            "No progress over the last %(num)d sessions",
            sessions,
        ) % {"num": sessions}
    return lang.gettext(_STATUS[status])


def _trend_status(trend: MetricTrendInfo) -> str:
    if len(trend.values) < 2:
        return "new"
    if trend.plateau:
        return "plateau"
    if trend.better == 0:
        return "up" if trend.slope > 0 else "down" if trend.slope < 0 else "steady"
    if trend.improving:
        return "improving"
    return "steady" if trend.slope == 0 else "not_improving"


def _mark(slope: float, status: str) -> str:
    """An arrow for the values' direction; a plateau is flat whatever the slope."""
    if status == "plateau" or slope == 0:
        return "→"
    return "↑" if slope > 0 else "↓"


def _shown_metrics(program: Program) -> list[str]:
    """The metrics the program uses, else every metric with a better direction."""
    used = {n.metric for m in program.practice.measurements for n in m.metrics}
    used.update(n for names in program.level_variables for n in names)
    shown = [name for name in PRACTICE_METRICS if name in used]
    return shown or [n for n, spec in PRACTICE_METRICS.items() if spec.better]


def _speaking(view: LearnerView, program: Program, lang: Lang) -> SpeakingInfo | None:
    profile = view.speaking
    if profile is None:
        return None
    if not profile.sessions:
        practice = any(u.kind == "practice" for u in program.units)
        return SpeakingInfo(0, "", (), practice) if practice else None
    rows = []
    for name in _shown_metrics(program):
        trend = profile.trend(name)
        if trend is None:
            continue
        label = labels.metric_label(name, lang)
        values = tuple(labels.metric_value(name, v, lang) for v in trend.values)
        status = _trend_status(trend)
        sessions = PLATEAU_SESSIONS if status == "plateau" else len(values)
        description = lang.ngettext(
            "%(metric)s in the last %(num)d session: %(values)s",
            "%(metric)s in the last %(num)d sessions: %(values)s",
            len(values),
        ) % {
            "metric": label,
            "num": len(values),
            "values": format_list(list(values), locale=lang.locale),
        }
        rows.append(
            MetricRow(
                metric=name,
                label=label,
                values=values,
                latest=trend.latest,
                latest_text=values[-1],
                slope=trend.slope,
                status=status,
                mark=_mark(trend.slope, status),
                status_text=_status_text(status, sessions, lang),
                line=sparkline_svg(trend.values, label=description),
            )
        )
    summary = lang.ngettext(
        "%(num)d practice session", "%(num)d practice sessions", profile.sessions
    ) % {"num": profile.sessions}
    if profile.last_at is not None:
        last = datetime.fromisoformat(profile.last_at).date()
        summary += " · " + lang.gettext("last on %(date)s") % {"date": lang.date(last)}
    return SpeakingInfo(profile.sessions, summary, tuple(rows), False)


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


def tier_title(program: Program, badge: str, tier: str, lang: Lang) -> str:
    """A badge tier's name: the school's (in ``lang``), else the engine's word."""
    found = next((b for b in program.badges if b.id == badge), None)
    own = next((t.title for t in found.tiers if t.tier == tier), "") if found else ""
    return program.text(
        f"tier:{badge}:{tier}", lang.code, own or labels.tier(tier, lang)
    )


def rule_title(program: Program, rule: str, lang: Lang) -> str:
    """What a receipt's rule reads as: its title (a team task's for ``task:ID``).

    A rule without a title reads as its id in words on an English page, and as
    what the learner did (its event type) in any other language.
    """
    kind, _, key = rule.partition(":")
    if kind == "task" and key:
        return school_name(program, "task", key, lang.code)
    found = next((r for r in program.xp_rules if r.id == rule), None)
    if found is None or found.title or lang.code == "en":
        return school_name(program, "rule", rule, lang.code)
    # No title of the school's: the activity in the page's language, not an id.
    return program.text(f"rule:{rule}", lang.code, labels.activity(found.on, lang))


def _receipt(row: dict[str, Any], program: Program, lang: Lang) -> ReceiptRow:
    """One receipt as a line in words; ``detail`` (formula, reason) is for teachers."""
    kind = str(row["kind"])
    day = datetime.fromisoformat(str(row["at"])).date()
    at = lang.date(day)
    if kind == "xp":
        receipt = row["receipt"]
        text = lang.gettext("+%(xp)s XP: %(rule)s") % {
            "xp": lang.number(row["xp"]),
            "rule": rule_title(program, str(receipt["rule"]), lang),
        }
        return ReceiptRow(kind, int(row["xp"]), text, str(receipt["formula"]), at, day)
    if kind == "ability_measured":
        return _measured(row, program, lang, at, day)
    if kind == "minutes_credited":
        minutes = whole_minutes(float(row["seconds"]))
        text = lang.ngettext(
            "+%(num)d live minute credited",
            "+%(num)d live minutes credited",
            minutes,
        ) % {"num": minutes}
        return ReceiptRow(kind, 0, text, str(row["reason"]), at, day)
    if kind == "unit_completed":
        unit = school_name(program, "unit", str(row["unit"]), lang.code)
        text = lang.gettext("Unit completed: %(unit)s") % {"unit": unit}
        return ReceiptRow(kind, 0, text, "", at, day)
    if kind == "voided":
        return ReceiptRow(kind, 0, str(row["text"]), "", at, day)
    if kind in _LEVEL_MESSAGES:
        level_id = str(row["level"])
        known = any(lvl.id == level_id for lvl in program.levels)
        level = (
            school_name(program, "level", level_id, lang.code) if known else level_id
        )
        text = lang.gettext(_LEVEL_MESSAGES[kind]) % {"level": level}
        return ReceiptRow(kind, 0, text, "", at, day)
    return ReceiptRow(kind, 0, _recognition_text(row, program, lang), "", at, day)


def _measured(
    row: dict[str, Any], program: Program, lang: Lang, at: str, day: date
) -> ReceiptRow:
    """A practice measurement: the dimension's change, and the metrics behind it."""
    dimension = str(row["dimension"])
    title = next((d.title for d in program.dimensions if d.id == dimension), "")
    change = round(float(row["after"]) - float(row["before"]), 2) + 0.0  # no -0.00
    text = lang.gettext("Practice: %(dimension)s %(change)s") % {
        "dimension": program.text(
            f"dimension:{dimension}", lang.code, title or str(row["title"])
        ),
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


def _recognition_text(row: dict[str, Any], program: Program, lang: Lang) -> str:
    """A badge, title, streak or PK receipt as one line (school names translated)."""
    kind = str(row["kind"])
    if kind == "badge_earned":
        badge = str(row.get("badge", ""))
        return lang.gettext("Badge earned: %(badge)s (%(tier)s)") % {
            "badge": program.text(f"badge:{badge}", lang.code, str(row["title"])),
            "tier": tier_title(program, badge, str(row["tier"]), lang),
        }
    if kind == "title_changed":
        name = program.text(f"title:{row['title']}", lang.code, str(row["name"]))
        return lang.gettext("New title: %(title)s") % {"title": name}
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


def _tree(view: LearnerView, program: Program, lang: Lang) -> tuple[str, str]:
    """The growth tree's SVG, and how many units to its next blossom in words."""
    facts = facts_of(view)
    tried = {kp for kp, (_, attempts) in facts.mastery.items() if attempts > 0}
    branches = []
    for d in program.dimensions:
        points = {kp for kp, _ in program.dimension_weights.get(d.id, ())}
        # A branch grows on evidence only: a prior is not the learner's doing.
        evidence = bool(points & tried) or d.id in facts.placed
        value = view.dimensions.get(d.id, (0.0, 0.0))[0] if evidence else 0.0
        branches.append(
            Branch(d.id, school_name(program, "dimension", d.id, lang.code), value)
        )
    leaves = []
    for unit_id in view.units_completed:
        unit = program.unit_by_id.get(unit_id)
        title = school_name(program, "unit", unit_id, lang.code)
        dimension = unit.dimensions[0] if unit is not None and unit.dimensions else None
        leaves.append(Leaf(unit_id, title, dimension))
    blossoms, to_go = flowers(len(leaves))
    shape = TreeShape(tuple(branches), tuple(leaves), blossoms, view.level.index, True)
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
    svg = tree_svg(
        shape,
        title=lang.gettext("Growth tree"),
        desc=lang.gettext(
            "A named branch for each ability, growing as you answer; a leaf for "
            "each completed unit, a blossom for every three; the tree grows "
            "taller with each level."
        ),
        label=label,
    )
    flower = lang.ngettext(
        "%(num)d more unit to your next flower",
        "%(num)d more units to your next flower",
        to_go,
    ) % {"num": to_go}
    return svg, flower


def _badges(view: LearnerView, program: Program, lang: Lang) -> tuple[BadgeRow, ...]:
    r = view.recognition
    if r is None:
        return ()
    return tuple(
        BadgeRow(
            b.id,
            program.text(f"badge:{b.id}", lang.code, b.title),
            b.tier,
            tier_title(program, b.id, b.tier, lang) if b.tier else "",
            tier_title(program, b.id, b.next_tier, lang) if b.next_tier else "",
            b.next_count,
            b.count,
        )
        for b in r.badges
    )


def _names(view: LearnerView, program: Program, lang: Lang) -> Names:
    def level(info: Any) -> str:
        return program.text(f"level:{info.id}", lang.code, info.title or info.id)

    r = view.recognition
    title = ""
    if r is not None and r.title_name:
        title = program.text(f"title:{r.title}", lang.code, r.title_name)
    return Names(
        program.text("program", lang.code, program.title),
        level(view.level),
        level(view.next_level) if view.next_level else "",
        title,
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
    tree, flower = _tree(view, program, lang)
    names = _names(view, program, lang)
    # One plan serves the forecast, the next step and this week.
    plan: Plan | None = None
    nxt: NextActivity | None = None
    fc: Forecast | None = None
    if view.next_level is None:
        forecast, step = ForecastInfo("top"), NextInfo("top_level")
    else:
        try:
            found = engine.guidance.overview(tenant, learner)
        except PlanError:
            found = None
        if found is not None:
            plan, nxt, fc = found
        forecast, step = _forecast(engine, fc, program, lang), _next(nxt, program, lang)
    return LearnerPage(
        view=view,
        program_title=names.program,
        effort=tuple(r for r in rows if r.group == "effort"),
        ability=tuple(r for r in rows if r.group == "ability"),
        forecast=forecast,
        next=step,
        rank=_rank(engine, tenant, learner, week, lang),
        receipts=tuple(_receipt(r, program, lang) for r in receipts),
        tree=tree,
        week=week,
        speaking=_speaking(view, program, lang),
        names=names,
        badges=_badges(view, program, lang),
        flower=flower,
        teams=_teams(engine, tenant, learner, program, lang),
        this_week=_this_week(plan, program, lang),
    )


def _this_week(plan: Plan | None, program: Program, lang: Lang) -> WeekPlan | None:
    """The plan's week 1 at the learner's pace (None: no plan, or nothing to do)."""
    if plan is None:
        return None
    first = [s for s in plan.steps if s.week == 1]
    if not first:
        return None
    by_unit: dict[str, list[PlanStep]] = {}
    for step in first:
        by_unit.setdefault(step.unit, []).append(step)
    rows = [_week_step(steps, program, lang) for steps in by_unit.values()]
    level = program.text(
        f"level:{plan.target}",
        lang.code,
        next((lv.title for lv in program.levels if lv.id == plan.target), "")
        or plan.target,
    )
    return WeekPlan(
        tuple(rows[:WEEK_ROWS]),
        max(len(rows) - WEEK_ROWS, 0),
        sum(s.minutes for s in first),
        level,
    )


def _week_step(steps: list[PlanStep], program: Program, lang: Lang) -> WeekStep:
    """One unit of the week (``steps``: its studies this week, in order)."""
    step = steps[0]
    unit = program.unit_by_id.get(step.unit)
    title = unit.title if unit is not None and unit.title else step.title
    chance = None
    if step.kind == "test":
        # A test's reason names the test itself: the row says its chance instead.
        if unit is not None and unit.pass_mark is not None and step.chance is not None:
            chance = step.chance
            reason = lang.gettext("about %(chance)s chance to pass") % {
                "chance": lang.percent(chance)
            }
        else:
            reason = lang.gettext("a test of what you have learned")
    else:
        reason = describe_reason(step.why, program, lang.code)
    return WeekStep(
        step.unit,
        program.text(f"unit:{step.unit}", lang.code, title),
        step.kind,
        labels.unit_kind(step.kind, lang),
        sum(s.minutes for s in steps),
        len(steps),
        reason,
        chance,
    )


_BEFORE = {
    "week": N_("Last week: %(total)s of %(goal)s"),
    "day": N_("Yesterday: %(total)s of %(goal)s"),
    "month": N_("Last month: %(total)s of %(goal)s"),
}
"""How a team task's window before the current one ended, by window kind."""


def _teams(
    engine: Levelwise, tenant: str, learner: str, program: Program, lang: Lang
) -> tuple[TeamCard, ...]:
    """The learner's team tasks ("your class: 31 of 40, you gave 6")."""
    try:
        tasks = engine.teams.learner_tasks(tenant, learner, lang.code)
    except (StoreError, LearnerNotFoundError):
        return ()
    cards = []
    for t in tasks:
        task = program.task_by_id.get(t.task)
        goal = t.goal or float(t.members)  # an every-member goal of 0: everyone
        values = {
            "task": t.title,
            "total": lang.number(t.total, 1),
            "goal": lang.number(goal, 1),
            "given": lang.number(t.given, 1),
            "xp": lang.number(t.reward_xp),
        }
        if task is not None and task.team == "team":
            line = N_("Your team: %(total)s of %(goal)s, you gave %(given)s")
        else:
            line = N_("Your class: %(total)s of %(goal)s, you gave %(given)s")
        text = t.title + " · " + lang.gettext(line) % values
        if t.met:
            text += " · " + lang.gettext("Done! +%(xp)s XP each") % values
        before = t.previous
        if task is not None and before is not None and before.total > 0:
            # How the window before ended: a met goal's reward stays in view.
            was = {
                "total": lang.number(before.total, 1),
                "goal": lang.number(before.goal or float(before.members), 1),
                "xp": lang.number(before.reward_xp),
            }
            text += " · " + lang.gettext(_BEFORE[task.window]) % was
            if before.met:
                text += lang.gettext(", done, +%(xp)s XP each") % was
        progress = 1.0 if t.met else min(t.total / goal, 1.0) if goal > 0 else 0.0
        cards.append(TeamCard(t.task, text, progress, t.met))
    return tuple(cards)
