"""Dashboard figures from the projection's rows: pure, as ``docs/metrics.md`` says.

The store sums the day counters (per learner and per week, in SQL where it
has SQL); everything here works on one row per learner, per week or per
level-up, so it stays fast for tens of thousands of learners.
"""

from __future__ import annotations

import bisect
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from levelwise.app.metrics.experiments import Assigner, Experiment
from levelwise.app.metrics.facts import NO_GROUP, week_of
from levelwise.app.metrics.ports import LearnerFacts, LevelUp, Sums
from levelwise.app.metrics.stats import (
    bootstrap_median_difference,
    newcombe,
    welch,
)
from levelwise.app.metrics.views import (
    Comparison,
    ExperimentView,
    Figure,
    LevelRow,
    MetricRow,
    Shortfall,
    WeekRow,
)
from levelwise.domain.program import Program

MIN_LEARNERS = 20
"""Learners a group needs (with live classes, or due) for an interval."""

MIN_LEVEL_UPS = 10
"""Level-ups a group needs for a median interval."""

_NONE = Sums("", 0, 0, 0, 0.0, 0)


@dataclass(frozen=True)
class Population:
    """The filtered learners and their summed facts over the range.

    Attributes:
        learners: The learners, each counted from their first event on.
        sums: Per-learner counters over the range, by learner.
        active: Learners with a study day in the 7 days up to ``as_of``.
        level_ups: Level-ups in the range.
        as_of: The range's last day.
        term_weeks: Weeks after enrolment at which a learner is due to renew.
    """

    learners: Sequence[LearnerFacts]
    sums: dict[str, Sums]
    active: set[str]
    level_ups: Sequence[LevelUp]
    as_of: date
    term_weeks: int
    ups_by: dict[str, list[LevelUp]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        """Index the level-ups by learner (each table row reads its own)."""
        ups: dict[str, list[LevelUp]] = defaultdict(list)
        for u in self.level_ups:
            ups[u.learner].append(u)
        object.__setattr__(self, "ups_by", ups)


def ratio(num: float, den: float, n: int) -> Figure:
    """``num / den`` as a figure (value None when ``den`` is 0)."""
    return Figure(num / den if den else None, num, den, n)


def median_figure(values: Sequence[float]) -> Figure:
    """The median of ``values`` (rounded to 0.01) as a figure."""
    if not values:
        return Figure(None, 0.0, 0.0, 0)
    med = round(statistics.median(values), 2)
    return Figure(med, med, float(len(values)), len(values))


def renewal_counts(learners: Iterable[LearnerFacts], end: date, term: int) -> Figure:
    """Due learners (enrolled ``term`` weeks before ``end``) who renewed by it."""
    cutoff = (end - timedelta(weeks=term)).isoformat()
    last = end.isoformat()
    due = renewed = 0
    for x in learners:
        if x.enrolled_at and x.enrolled_at[:10] <= cutoff:
            due += 1
            renewed += bool(x.renewed_at) and x.renewed_at[:10] <= last
    return ratio(renewed, due, due)


def metric_row(
    key: str, learners: Sequence[LearnerFacts], pop: Population
) -> MetricRow:
    """One table line over ``learners`` of ``pop``."""
    ids = {x.learner for x in learners}
    sums = [pop.sums.get(i, _NONE) for i in ids]
    attended = sum(s.attended for s in sums)
    ups = [u for i in ids for u in pop.ups_by.get(i, ())]
    return MetricRow(
        key=key,
        learners=len(ids),
        active=len(ids & pop.active),
        completion=ratio(sum(s.completed for s in sums), attended, attended),
        renewal=renewal_counts(learners, pop.as_of, pop.term_weeks),
        interactions_per_class=ratio(
            sum(s.interactions for s in sums), attended, attended
        ),
        level_up_weeks=median_figure([u.weeks for u in ups if u.weeks is not None]),
        level_ups=len(ups),
        study_minutes=round(sum(s.seconds for s in sums) / 60.0, 2),
    )


def grouped_rows(
    pop: Population, key: str, keys: Sequence[str]
) -> tuple[MetricRow, ...]:
    """One row per value of the learners' ``cohort`` or ``klass``."""
    groups: dict[str, list[LearnerFacts]] = defaultdict(list)
    for x in pop.learners:
        groups[getattr(x, key) or NO_GROUP].append(x)
    order = [k for k in keys if k in groups]
    if NO_GROUP in groups:
        order.append(NO_GROUP)
    return tuple(metric_row(k, groups[k], pop) for k in order)


def week_rows(
    pop: Population, weeks: Sequence[Sums], start: date | None
) -> tuple[WeekRow, ...]:
    """One row per ISO week from the range's first week to ``as_of``'s.

    A week the range covers only in part is marked ``partial``: the first when
    ``start`` is after its Monday, the last when ``as_of`` is before its
    Sunday. Without ``start`` the range is unbounded below, so its first week
    is whole (the learners' data begins there); so is a first week before
    the first learner's first day, where the rows begin.
    """
    firsts = sorted(x.first_at[:10] for x in pop.learners if x.first_at)
    if not firsts:
        return ()
    # Weeks before the first learner's first event have nothing to show: a
    # range that starts in year 229 still lists only the school's own weeks.
    first = max(start or date.min, date.fromisoformat(firsts[0]))
    by_week = {s.key: s for s in weeks}
    ups_by_week: dict[str, list[LevelUp]] = defaultdict(list)
    for u in pop.level_ups:
        ups_by_week[week_of(u.at[:10])].append(u)
    rows = []
    monday = date.fromisoformat(week_of(first.isoformat()))
    while monday <= pop.as_of:
        key = monday.isoformat()
        sunday = monday + timedelta(days=6)
        end = min(sunday, pop.as_of)
        s = by_week.get(key, _NONE)
        ups = ups_by_week.get(key, [])
        rows.append(
            WeekRow(
                key=key,
                learners=bisect.bisect_right(firsts, end.isoformat()),
                active=s.active,
                completion=ratio(s.completed, s.attended, s.attended),
                renewal=renewal_counts(pop.learners, end, pop.term_weeks),
                interactions_per_class=ratio(s.interactions, s.attended, s.attended),
                level_up_weeks=median_figure(
                    [u.weeks for u in ups if u.weeks is not None]
                ),
                level_ups=len(ups),
                study_minutes=round(s.seconds / 60.0, 2),
                partial=(start is not None and start > monday) or sunday > pop.as_of,
            )
        )
        monday += timedelta(weeks=1)
    return tuple(rows)


def level_rows(
    learners: Sequence[LearnerFacts], program: Program
) -> tuple[LevelRow, ...]:
    """The ladder: learners at each level now, ever reached, and stuck by gate."""
    current = Counter(x.level for x in learners)
    stuck: dict[int, Counter[str]] = defaultdict(Counter)
    for x in learners:
        if x.gate:
            stuck[x.level][x.gate] += 1
    return tuple(
        LevelRow(
            level=lvl.id,
            name=lvl.title,
            current=current.get(i, 0),
            reached=sum(1 for x in learners if x.peak >= i),
            stuck=tuple(sorted(stuck[i].items(), key=lambda kv: (-kv[1], kv[0]))),
        )
        for i, lvl in enumerate(program.levels)
    )


@dataclass
class _Group:
    """One variant's per-learner samples."""

    learners: int = 0
    completion: list[float] = field(default_factory=list)
    interactions: list[float] = field(default_factory=list)
    due: int = 0
    renewed: int = 0
    weeks: list[float] = field(default_factory=list)


def _samples(pop: Population, assigner: Assigner) -> dict[str, _Group]:
    groups = {v.name: _Group() for v in assigner.experiment.variants}
    cutoff = (pop.as_of - timedelta(weeks=pop.term_weeks)).isoformat()
    last = pop.as_of.isoformat()
    member: dict[str, str] = {}
    for x in pop.learners:
        name = assigner.variant(x.learner, x.klass)
        if name is None:
            continue
        member[x.learner] = name
        g = groups[name]
        g.learners += 1
        s = pop.sums.get(x.learner, _NONE)
        if s.attended:
            g.completion.append(s.completed / s.attended)
            g.interactions.append(s.interactions / s.attended)
        if x.enrolled_at and x.enrolled_at[:10] <= cutoff:
            g.due += 1
            g.renewed += bool(x.renewed_at) and x.renewed_at[:10] <= last
    for u in pop.level_ups:
        name = member.get(u.learner)
        if name is not None and u.weeks is not None:
            groups[name].weeks.append(u.weeks)
    return groups


def _mean_figure(values: Sequence[float]) -> Figure:
    total = sum(values)
    return Figure(
        total / len(values) if values else None, total, len(values), len(values)
    )


def thin(
    sizes: tuple[int, int], names: tuple[str, str], least: int, what: str
) -> Shortfall | None:
    """Why two groups are too small for an interval, if they are.

    Args:
        sizes: The two groups' sample sizes.
        names: Their names.
        least: The size each needs.
        what: What is counted (``due learners``, ...).

    Returns:
        The first group with none at all, else the first below ``least``;
        None when both have enough.
    """
    pairs = list(zip(sizes, names, strict=True))
    for n, name in pairs:
        if n == 0:
            return Shortfall(what, name)
    for n, name in pairs:
        if n < least:
            return Shortfall(what, name, least)
    return None


def reason_text(shortfall: Shortfall) -> str:
    """The shortfall in English, e.g. ``fewer than 20 due learners in B``."""
    if shortfall.least == 0:
        return f"no {shortfall.what} in {shortfall.group}"
    return f"fewer than {shortfall.least} {shortfall.what} in {shortfall.group}"


def comparison(
    metric: str,
    control: Figure,
    variant: Figure,
    short: Shortfall | None,
    interval: tuple[float, float, float] | None,
) -> Comparison:
    """A variant's figure against the control's, with the difference's interval.

    Args:
        metric: The metric's name.
        control: The control's figure.
        variant: The variant's figure.
        short: Why there is no interval (None: there is one).
        interval: ``(difference, low, high)``; None without an interval.

    Returns:
        The comparison; without an interval, the plain difference of the two
        values and the reason.
    """
    diff = None
    if control.value is not None and variant.value is not None:
        diff = variant.value - control.value
    if short is not None or interval is None:
        reason = reason_text(short) if short is not None else ""
        return Comparison(
            metric, control, variant, diff, None, None, False, reason, short
        )
    d, low, high = interval
    return Comparison(metric, control, variant, d, low, high, True, "")


def compare(a: _Group, b: _Group, names: tuple[str, str]) -> tuple[Comparison, ...]:
    """The four comparisons of variant ``b`` against control ``a``."""
    out = []
    short = thin(
        (len(a.completion), len(b.completion)),
        names,
        MIN_LEARNERS,
        "learners with live classes",
    )
    for metric, xa, xb in (
        ("completion", a.completion, b.completion),
        ("interactions_per_class", a.interactions, b.interactions),
    ):
        out.append(
            comparison(
                metric,
                _mean_figure(xa),
                _mean_figure(xb),
                short,
                None if short else welch(xa, xb),
            )
        )
    short = thin((a.due, b.due), names, MIN_LEARNERS, "due learners")
    out.insert(
        1,
        comparison(
            "renewal",
            ratio(a.renewed, a.due, a.due),
            ratio(b.renewed, b.due, b.due),
            short,
            None if short else newcombe(a.renewed, a.due, b.renewed, b.due),
        ),
    )
    short = thin((len(a.weeks), len(b.weeks)), names, MIN_LEVEL_UPS, "level-ups")
    out.append(
        comparison(
            "level_up_weeks",
            median_figure(a.weeks),
            median_figure(b.weeks),
            short,
            None if short else bootstrap_median_difference(a.weeks, b.weeks),
        )
    )
    return tuple(out)


def experiment_view(pop: Population, experiment: Experiment) -> ExperimentView:
    """An experiment's group sizes and each variant against the control."""
    groups = _samples(pop, Assigner(experiment))
    control = groups[experiment.control]
    return ExperimentView(
        id=experiment.id,
        description=experiment.description,
        control=experiment.control,
        sizes=tuple((v.name, groups[v.name].learners) for v in experiment.variants),
        comparisons=tuple(
            (v.name, compare(control, groups[v.name], (experiment.control, v.name)))
            for v in experiment.variants
            if v.name != experiment.control
        ),
    )
