"""The program model: what a school teaches and how learners level up."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

from levelwise.domain.events import ID_PATTERN
from levelwise.domain.expr import Expr

UNIT_KINDS = (
    "lesson",
    "exercise",
    "live_class",
    "homework",
    "practice",
    "quiz",
    "test",
)
"""Unit kinds. A ``test`` (a mock test) is scored like homework (its
``homework.submitted`` keeps the unit's score) but never counts as homework."""
DEFAULT_REPEATS = {"lesson": 1, "homework": 1, "test": 1, "quiz": 2, "exercise": 3}
"""How many times a plan may schedule a unit of each kind unless the unit says;
a kind not listed (live classes, practice) may repeat without limit."""
ANSWER_MINUTES = 3.0
"""Minutes of an exercise, quiz or practice unit per scored answer, by default."""


@dataclass(frozen=True)
class Dimension:
    """An ability axis, such as vocabulary or solving speed."""

    id: str
    title: str


@dataclass(frozen=True)
class KnowledgePoint:
    """A teachable skill, with its weight on each dimension and its prerequisites."""

    id: str
    title: str
    dimensions: tuple[tuple[str, float], ...]
    prerequisites: tuple[str, ...] = ()
    available_from: str | None = None
    """The level (id) from which it is taught; None: from the start."""


@dataclass(frozen=True)
class Unit:
    """A learning unit (lesson, exercise, live class, homework, practice or quiz).

    Attributes:
        id: The unit's id.
        kind: One of :data:`UNIT_KINDS`.
        title: Human title.
        minutes: Planned length.
        knowledge_points: The points it trains.
        dimensions: The dimensions it trains (from its points unless given).
        questions: Scored answers one study of it yields (exercise, quiz and
            practice units; None: one per :data:`ANSWER_MINUTES` minutes).
        tags: The school's own categories (``one_on_one``, ``mock``); rules,
            badges and team tasks read them as ``unit.tags``.
        available_from: The level (id) from which the unit is open to a
            learner; None: from the start. Plans and next activities never
            offer it below that level.
        pass_mark: Share of the maximum score (0..1) that passes the unit;
            gates read ``passed`` and ``unit_score.ID``. None: no pass mark.
        repeats: How many times a plan may schedule the unit; None: the
            kind's default (:data:`DEFAULT_REPEATS`, 0 there: no limit).
    """

    id: str
    kind: str
    title: str
    minutes: float
    knowledge_points: tuple[str, ...] = ()
    dimensions: tuple[str, ...] = ()
    questions: int | None = None
    tags: tuple[str, ...] = ()
    available_from: str | None = None
    pass_mark: float | None = None
    repeats: int | None = None

    @property
    def max_repeats(self) -> int:
        """How many times a plan may schedule the unit (0: no limit)."""
        if self.repeats is not None:
            return self.repeats
        return DEFAULT_REPEATS.get(self.kind, 0)

    @property
    def answers(self) -> int:
        """Scored answers one study of the unit yields."""
        if (
            self.kind not in ("exercise", "quiz", "practice")
            or not self.knowledge_points
        ):
            return 0
        if self.questions is not None:
            return self.questions
        return max(1, round(self.minutes / ANSWER_MINUTES))


@dataclass(frozen=True)
class Gate:
    """One requirement of a level, compiled from its expression."""

    source: str
    expr: Expr


@dataclass(frozen=True)
class Level:
    """A rung of the ladder: reached when every gate holds."""

    id: str
    title: str
    gates: tuple[Gate, ...] = ()


@dataclass(frozen=True)
class XpRule:
    """How an event type earns XP.

    Attributes:
        id: The rule's name, shown in receipts.
        title: What the learner reads for it ("Correct answer"); "" : the id.
        on: The event type it applies to.
        xp: Number expression over the event's fields.
        when: Optional bool expression; the rule applies only when it holds.
        daily_cap: Most XP this rule gives a learner per study day.
        repeat_decay: Factor applied per earlier application of this rule on the
            same unit (capped ones count too).
        repeat_floor: The repeat factor never goes below this.
    """

    id: str
    on: str
    xp: Expr
    when: Expr | None = None
    daily_cap: int | None = None
    repeat_decay: float = 1.0
    repeat_floor: float = 0.0
    title: str = ""


@dataclass(frozen=True)
class BktParams:
    """Fitted Bayesian Knowledge Tracing parameters of one knowledge point.

    Attributes:
        prior: P(known) before any evidence.
        learn: P(unknown -> known) after each practice opportunity.
        guess: P(correct | unknown).
        slip: P(wrong | known).
        forget: P(known -> unknown) after each opportunity.
    """

    prior: float
    learn: float
    guess: float
    slip: float
    forget: float = 0.0


@dataclass(frozen=True)
class LogisticPoint:
    """Fitted logistic weights of one knowledge point.

    Attributes:
        rate: The point's training success rate ``q`` (residuals are
            ``score - rate``).
        intercept: The point's easiness (its one-hot weight).
        successes: Weight on ``log(1 + successes on the point)``.
        failures: Weight on ``log(1 + failures on the point)``.
        ability: Weight on the learner's overall ability (point x ability).
    """

    rate: float = 0.5
    intercept: float = 0.0
    successes: float = 0.0
    failures: float = 0.0
    ability: float = 0.0


@dataclass(frozen=True)
class LogisticParams:
    """A fitted logistic (PFA / Best-LR style) knowledge-tracing model.

    ``logit P(correct on point k) = bias + intercept_k
    + successes_k log(1 + S_k) + failures_k log(1 + F_k) + ability_k a
    + successes log(1 + S) + failures log(1 + F) + ability a
    + point_ability R_k / (S_k + F_k + shrink)
    + recent_successes RS + recent_failures RF
    + point_recent_successes RS_k + point_recent_failures RF_k
    + recent_residual RR + point_recent_residual RR_k``, where ``S``, ``F`` and
    ``R`` are the learner's successes, failures and residual ``Σ(score - rate)``
    (overall, and with ``_k`` on the point), ``a = R / (S + F + shrink)``, and
    the ``recent`` sums fade by ``decay`` per answer (overall per answer, on a
    point per answer on that point).

    Attributes:
        shrink: Pseudo-count of the ability estimates.
        decay: Per-answer fading of the recent sums (0 < decay < 1).
        points: Per knowledge point weights; a point without them has no point
            terms and a rate of 0.5.
    """

    shrink: float = 5.0
    decay: float = 0.7
    successes: float = 0.0
    failures: float = 0.0
    ability: float = 0.0
    point_ability: float = 0.0
    recent_successes: float = 0.0
    recent_failures: float = 0.0
    point_recent_successes: float = 0.0
    point_recent_failures: float = 0.0
    recent_residual: float = 0.0
    point_recent_residual: float = 0.0
    bias: float = 0.0
    points: tuple[tuple[str, LogisticPoint], ...] = ()


@dataclass(frozen=True)
class MasterySettings:
    """How mastery is estimated from scored evidence.

    Attributes:
        model: ``running`` (a Beta estimate with fading memory, no fitting
            needed), ``bkt`` (fitted Bayesian Knowledge Tracing) or
            ``logistic`` (a fitted logistic model over the learner's history).
        prior: Running estimate: mastery before any evidence (0..1); for BKT,
            the prior of knowledge points without fitted parameters.
        strength: Running estimate: how many answers the prior is worth.
        memory: Running estimate: how many recent answers dominate.
        bkt: Fitted BKT parameters per knowledge point.
        fitted: Where the fitted parameters came from (free text).
        logistic: The fitted logistic model.
    """

    model: str = "running"
    prior: float = 0.2
    strength: float = 2.0
    memory: float = 20.0
    bkt: tuple[tuple[str, BktParams], ...] = ()
    fitted: str = ""
    logistic: LogisticParams | None = None


@dataclass(frozen=True)
class PlacementItem:
    """An item of the placement test's bank, with its IRT parameters.

    Attributes:
        id: The item's id (what the platform shows and answers refer to).
        knowledge_point: The knowledge point it tests.
        dimension: The dimension it measures.
        a: Discrimination.
        b: Difficulty (on the dimension's ability scale, θ).
        c: Guessing (0 for a 2PL item).
    """

    id: str
    knowledge_point: str
    dimension: str
    a: float
    b: float
    c: float = 0.0


@dataclass(frozen=True)
class PlacementLevel:
    """The abilities (θ per dimension) a placed learner needs to start at a level."""

    level: str
    cuts: tuple[tuple[str, float], ...]


@dataclass(frozen=True)
class Placement:
    """The diagnostic placement test of a program.

    Attributes:
        items: The item bank.
        levels: Starting levels in ladder order, each with θ cut points per
            dimension; a learner starts at the highest level whose every cut
            their estimate reaches.
        se_target: Stop when every dimension's standard error is at most this.
        max_items: Stop after this many items.
        min_items: Never stop before this many items.
        max_exposure: Exposure cap per item (share of sessions), or None.
    """

    items: tuple[PlacementItem, ...]
    levels: tuple[PlacementLevel, ...] = ()
    se_target: float = 0.3
    max_items: int = 30
    min_items: int = 5
    max_exposure: float | None = 0.25

    def level_for(
        self, theta: Mapping[str, tuple[float, float]]
    ) -> tuple[str | None, tuple[tuple[str, float, float, float], ...]]:
        """The highest starting level whose every cut ``theta`` reaches.

        Args:
            theta: ``(θ, se)`` per measured dimension.

        Returns:
            The level's id (None when no level's cuts are all reached) and the
            receipt: ``(dimension, θ, se, cut)`` for each of its cuts.
        """
        found: tuple[str | None, tuple[tuple[str, float, float, float], ...]]
        found = None, ()
        for lvl in self.levels:
            if all(dim in theta and theta[dim][0] >= cut for dim, cut in lvl.cuts):
                evidence = tuple(
                    (dim, theta[dim][0], theta[dim][1], cut) for dim, cut in lvl.cuts
                )
                found = lvl.level, evidence
        return found


@dataclass(frozen=True)
class Planning:
    """How plans and forecasts read the program.

    Attributes:
        ready_mastery: A knowledge point is ready to learn once every
            prerequisite's mastery reaches this (knowledge space theory's
            "outer fringe" with mastery as the knowledge state).
        weekly_minutes: Assumed study pace of a learner without history.
        horizon_weeks: A learner unlikely to reach the next level within this
            many weeks is flagged at risk.
    """

    ready_mastery: float = 0.6
    weekly_minutes: float = 180.0
    horizon_weeks: float = 26.0


@dataclass(frozen=True)
class BadgeTier:
    """One tier of a badge: reached when its count or condition is.

    Attributes:
        tier: Its name (``bronze``, ``silver``, ``gold`` or the badge's own).
        count: Counting badges: matching events needed.
        when: State badges: the condition over gate variables.
    """

    tier: str
    count: int | None = None
    when: Expr | None = None
    title: str = ""
    """What the learner reads for the tier; "": the tier's name."""


@dataclass(frozen=True)
class Badge:
    """A badge: counted from events (``on`` + ``where``) or read from state.

    Attributes:
        id: The badge's id.
        title: Its name.
        tiers: Tiers in order; the learner holds the highest reached.
        on: Counting badges: the event type counted.
        where: Counting badges: which of those events count (over the event's
            fields, as XP rules read them).
        repeatable: Earned again each time the last tier's count is reached
            again (counting badges).
        secret: Hidden from the learner until earned.
        start: Earnable only from this local date (``YYYY-MM-DD``), if set.
        end: Earnable only up to this local date, if set.
    """

    id: str
    title: str
    tiers: tuple[BadgeTier, ...]
    on: str | None = None
    where: Expr | None = None
    repeatable: bool = False
    secret: bool = False
    start: str | None = None
    end: str | None = None


@dataclass(frozen=True)
class Title:
    """A title a learner may display once unlocked.

    Attributes:
        id: The title's id.
        name: What is shown.
        level: Unlocked by reaching this level.
        badge: Unlocked by earning this badge.
        tier: ... at this tier or higher (default: any).
    """

    id: str
    name: str
    level: str | None = None
    badge: str | None = None
    tier: str | None = None


@dataclass(frozen=True)
class Recognition:
    """Streak and integrity settings.

    Attributes:
        day_start: Hour at which a learner's study day starts (local time):
            study at 1 a.m. counts for the day before when this is 4.
        freeze_every: A streak freeze is earned every this many streak days.
        max_freezes: Most freezes a learner can hold.
        burst_events: More events than this within a minute are implausible:
            their XP is flagged.
        repeat_hours: A question answered right again within this many hours
            earns flagged XP.
        study_day: What makes a day a study day (streaks, active days), over
            the day's tallies :data:`STUDY_DAY_VARIABLES`; None: any event
            that is study.
    """

    day_start: int = 0
    freeze_every: int = 7
    max_freezes: int = 2
    burst_events: int = 30
    repeat_hours: float = 24.0
    study_day: Expr | None = None


STUDY_DAY_VARIABLES = {
    "minutes": "minutes of study that day (recorded, live and practice)",
    "answers": "scored answers that day (questions and rated interactions)",
    "events": "study events that day",
    "units": "units completed that day",
    "xp": "XP earned that day",
}
"""The numbers a ``study_day`` condition reads: the learner's tallies of the
study day so far."""


@dataclass(frozen=True)
class ScenarioBranch:
    """Where a partner line leads when the learner says one of its keywords.

    Attributes:
        keywords: Lower-case words; any of them selects the branch.
        next: The id of the line it leads to.
        examples: What a learner might say that takes this branch (each says
            one of its keywords and none of an earlier branch's).
    """

    keywords: tuple[str, ...]
    next: str
    examples: tuple[str, ...] = ()


@dataclass(frozen=True)
class ScenarioLine:
    """One line of the partner in a dialogue scenario.

    Attributes:
        id: The line's id, unique in its scenario.
        say: What the partner says.
        branches: Where the learner's answer may lead, tried in order.
        next: Where the dialogue goes when no branch matches (None: it stays
            on this line).
        end: Whether the session may end after this line.
        examples: What a learner might answer that takes ``next`` (no branch
            matches them).
    """

    id: str
    say: str
    branches: tuple[ScenarioBranch, ...] = ()
    next: str | None = None
    end: bool = False
    examples: tuple[str, ...] = ()


@dataclass(frozen=True)
class Scenario:
    """The dialogue a practice unit's scripted partner plays.

    Attributes:
        unit: The practice unit it belongs to (one scenario per unit).
        title: Its title.
        setting: The situation, for the partner's instructions.
        partner: The partner's role (``waiter``).
        target_words: Words the learner should use, lower-case.
        start: The first line's id.
        lines: The partner's lines, in file order.
    """

    unit: str
    title: str
    setting: str
    partner: str
    target_words: tuple[str, ...]
    start: str
    lines: tuple[ScenarioLine, ...]

    @cached_property
    def line_by_id(self) -> dict[str, ScenarioLine]:
        """The lines keyed by id."""
        return {line.id: line for line in self.lines}


@dataclass(frozen=True)
class MetricNorm:
    """What a practice metric's value is worth as evidence, per level.

    A value at ``zero`` scores 0 and one at the learner's level's ``full``
    scores 1, linearly between and clamped to [0, 1]; ``zero`` above ``full``
    is a metric where lower is better (pauses).

    Attributes:
        metric: The practice metric's name.
        zero: The value that scores 0.
        full: The value that scores 1 at each level of the ladder, by index.
    """

    metric: str
    zero: float
    full: tuple[float, ...]

    def score(self, value: float, level: int) -> float:
        """The score in [0, 1] of ``value`` for a learner at ``level`` (index)."""
        return min(max((value - self.zero) / (self.full[level] - self.zero), 0.0), 1.0)


@dataclass(frozen=True)
class Measurement:
    """Practice metrics that are evidence for one dimension.

    Attributes:
        id: Its id.
        dimension: The dimension it measures.
        metrics: Its metrics with their norms, in file order; its score is the
            mean of the scores of those a session reports.
    """

    id: str
    dimension: str
    metrics: tuple[MetricNorm, ...]


@dataclass(frozen=True)
class Practice:
    """The program's ``practice`` section: scenarios and measurements.

    Attributes:
        scenarios: Dialogue scenarios, at most one per practice unit.
        measurements: How practice metrics become ability evidence.
    """

    scenarios: tuple[Scenario, ...] = ()
    measurements: tuple[Measurement, ...] = ()

    @cached_property
    def scenario_by_unit(self) -> dict[str, Scenario]:
        """The scenarios keyed by their unit."""
        return {s.unit: s for s in self.scenarios}


LANGUAGE_TAG = r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$"
"""A BCP 47 language tag as schools write them (``en``, ``zh-CN``,
``zh-Hant-TW``, ``pt-BR``): program files, certificates and the API read it."""
ATTRIBUTE_NAME = r"^[a-z][a-z0-9_]{0,39}$"
"""An event attribute's name: lower-case letters, digits and ``_``, up to 40."""
MAX_ATTRIBUTES = 20
"""The most attributes an event type may declare, and an event may carry."""

AttributeType = Literal["number", "string", "bool"]
"""The types of a program-declared event attribute."""


@dataclass(frozen=True)
class Attribute:
    """An attribute the program lets the platform send with one event type.

    The platform sends it in the event's ``attributes`` object (a teacher's
    ``rating`` of a co-mic turn); XP rules, badges' ``where`` and team tasks
    read it by its name. Attributes the program does not declare are refused.

    Attributes:
        name: Its name (never one of the event type's own fields).
        type: ``number``, ``string`` or ``bool``.
        minimum: Least value of a number (None: no bound).
        maximum: Greatest value of a number (None: no bound).
        values: The strings a string attribute may take (empty: any).
        optional: Whether an event may leave it out (rules read it as
            unknown then, so a condition on it does not hold).
        title: What teachers and learners read for it.
    """

    name: str
    type: AttributeType
    minimum: float | None = None
    maximum: float | None = None
    values: tuple[str, ...] = ()
    optional: bool = True
    title: str = ""


TaskWindow = Literal["day", "week", "month", "all"]
"""The window a team task counts over: a local day, an ISO week, a calendar
month, or all time."""
TaskTeam = Literal["cohort", "team"]
"""Which membership a team task groups learners by (``profile.updated``)."""


@dataclass(frozen=True)
class TeamTask:
    """A shared goal of a team or class over a window.

    Either counted (``on`` + ``where`` + ``value`` summed over members'
    events toward ``goal``) or every member's (``every`` must hold for each
    member, ``goal`` then is how many members at least: 0 for all).

    Attributes:
        id: The task's id.
        title: What members read ("Our class: 40 AI practice sessions").
        team: ``cohort`` (the class) or ``team``.
        window: ``day``, ``week``, ``month`` or ``all``.
        goal: Counted tasks: the total to reach; ``every`` tasks: members
            needed (0: every member).
        on: Counted tasks: the event type counted.
        where: Counted tasks: which of those events count (over the event's
            fields, as badges read them).
        value: Counted tasks: each counted event's contribution (default 1).
        every: ``every`` tasks: the condition each member must meet (a gate
            expression over the member's state).
        reward_xp: XP each member gets when the goal is met (a receipt that
            names the task).
        min_members: Teams with fewer members never complete it.
    """

    id: str
    title: str
    team: TaskTeam
    window: TaskWindow
    goal: float
    on: str | None = None
    where: Expr | None = None
    value: Expr | None = None
    every: Expr | None = None
    reward_xp: int = 0
    min_members: int = 1


CreditPolicy = Literal["none", "drops"]
"""What live-class time is credited: nothing, or minutes lost to network drops."""
CreditCap = Literal["scheduled", "none"]
"""What credited time is capped at: the unit's minutes, or nothing."""


@dataclass(frozen=True)
class LiveQualityPolicy:
    """The program's ``live_quality`` section: crediting live minutes.

    The call-quality service reads it and posts ``live.credited`` events; the
    fold never reads it, it only counts the credits it is given.

    Attributes:
        credit: ``none`` (no credits) or ``drops``: minutes a learner lost to
            network drops during broken call quality are credited.
        drop_within: Seconds: a drop counts when the broken band was seen
            within this long before it.
        up_to: ``scheduled``: credited plus attended time never exceeds the
            unit's minutes; ``none``: no such cap.
    """

    credit: CreditPolicy = "none"
    drop_within: float = 60.0
    up_to: CreditCap = "scheduled"


XapiIfi = Literal["account", "mbox", "extension"]
"""How a statement's actor names a learner: by its account, its e-mail
address, or an extension of the statement that holds the learner's id."""
XapiSeconds = Literal["duration", "segment", "segments", "span"]
"""Where a mapped event's seconds come from: ``result.duration`` (ISO 8601),
the last segment of the xAPI Video profile's ``played-segments``, all of
them (overlaps counted once), or ``time-to`` minus ``time-from``."""
XAPI_EVENT_TYPES = (
    "question.answered",
    "lesson.watched",
    "live.attended",
    "live.interaction",
    "homework.submitted",
    "unit.completed",
)
"""The event types a statement may be mapped to."""
XAPI_PLACEHOLDERS = ("unit", "knowledge_point", "item")
"""The names an activity id pattern may capture (``{unit}``)."""
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_CAPTURE = ID_PATTERN.removeprefix("^").removesuffix("$")


@dataclass(frozen=True)
class XapiLearner:
    """How a statement's actor names a learner (its inverse functional identifier).

    Attributes:
        by: ``account`` (the account's ``name``), ``mbox`` (the e-mail
            address) or ``extension`` (a context or result extension).
        home_page: ``account``: only accounts of this ``homePage`` (None: any).
        domain: ``mbox``: only addresses at this domain, in any case (None:
            any).
        keep: ``mbox``: ``address`` (the address without ``mailto:``) or
            ``local`` (the part before ``@``).
        extension: ``extension``: the extension's IRI; its value (a string or
            a whole number) is the learner's id.
    """

    by: XapiIfi
    home_page: str | None = None
    domain: str | None = None
    keep: Literal["address", "local"] = "address"
    extension: str | None = None


@dataclass(frozen=True)
class XapiActivity:
    """Activity ids that name program things: one id, or a pattern of ids.

    Attributes:
        id: An exact activity id (None for a pattern).
        pattern: An activity id pattern whose ``{unit}``, ``{knowledge_point}``
            and ``{item}`` placeholders capture ids (letters, digits and
            ``. _ : @ -``); None for an exact id.
        unit: The unit it names (fixed).
        knowledge_point: The knowledge point it names (fixed).
        item: The item it names (fixed; default: the activity id).
    """

    id: str | None = None
    pattern: str | None = None
    unit: str | None = None
    knowledge_point: str | None = None
    item: str | None = None

    @cached_property
    def regex(self) -> re.Pattern[str]:
        """The pattern as a regular expression with one group per placeholder."""
        parts: list[str] = []
        text = self.pattern or ""
        start = 0
        for found in _PLACEHOLDER.finditer(text):
            parts.append(re.escape(text[start : found.start()]))
            parts.append(f"(?P<{found.group(1)}>{_CAPTURE})")
            start = found.end()
        parts.append(re.escape(text[start:]))
        return re.compile("".join(parts))


@dataclass(frozen=True)
class XapiRule:
    """Which statements become which event: by verb, then activity.

    Attributes:
        verb: The verb's IRI.
        event: The event type the statement becomes (one of
            :data:`XAPI_EVENT_TYPES`).
        activity_type: Only activities whose ``definition.type`` is this IRI
            (None: any).
        unit_kinds: Only activities whose unit is of one of these kinds
            (empty: any).
        seconds: Where the event's seconds come from (``lesson.watched``,
            ``live.attended``).
        kind: The interaction kind of a ``live.interaction``.
    """

    verb: str
    event: str
    activity_type: str | None = None
    unit_kinds: tuple[str, ...] = ()
    seconds: XapiSeconds = "duration"
    kind: str = "answer"


@dataclass(frozen=True)
class XapiMapping:
    """The program's ``xapi`` section: from statements to learning events.

    Attributes:
        learner: How actors name learners.
        activities: Activity ids and patterns, in file order: exact ids are
            looked up first, then the patterns in order.
        rules: The rules, in file order; the first that fits a statement
            (verb, activity type, unit kind) maps it.
    """

    learner: XapiLearner
    activities: tuple[XapiActivity, ...] = ()
    rules: tuple[XapiRule, ...] = ()

    @cached_property
    def explained(self) -> dict[tuple[str, str], Any]:
        """Statements already explained under this mapping, by text and learner.

        A late event re-folds a learner's recent statements; their
        explanations do not change under one program, so the fold keeps them
        here (``domain.xapi.event_of``). The mapping's program is immutable.
        """
        return {}

    @cached_property
    def activity_by_id(self) -> dict[str, XapiActivity]:
        """The exact activity ids (the first entry of an id wins)."""
        found: dict[str, XapiActivity] = {}
        for a in self.activities:
            if a.id is not None:
                found.setdefault(a.id, a)
        return found

    @cached_property
    def patterns(self) -> tuple[XapiActivity, ...]:
        """The activity id patterns, in file order."""
        return tuple(a for a in self.activities if a.pattern is not None)

    @cached_property
    def rules_by_verb(self) -> dict[str, tuple[XapiRule, ...]]:
        """The rules grouped by verb, in file order."""
        grouped: dict[str, list[XapiRule]] = {}
        for rule in self.rules:
            grouped.setdefault(rule.verb, []).append(rule)
        return {k: tuple(v) for k, v in grouped.items()}


@dataclass(frozen=True)
class Program:
    """A school's program, validated and compiled.

    Attributes:
        id: The program's slug.
        label: The school's own version label from the file.
        title: Human title.
        dimensions: Ability axes.
        knowledge_points: Skills, in file order.
        units: Learning units, in file order.
        levels: The ladder, lowest first; the first level is where learners start.
        xp_rules: XP rules, in file order.
        can_go_down: Whether a learner may lose a level when a gate stops holding.
        mastery: Settings of the running mastery estimate.
        placement: The diagnostic placement test, if the program has one.
        planning: Settings of plans and forecasts.
        badges: Badges, in file order.
        titles: Titles, in file order (a later unlocked title ranks higher).
        recognition: Streak and integrity settings.
        practice: Dialogue scenarios and the measurements that turn practice
            metrics into ability evidence.
        live_quality: When learners are credited live minutes lost to
            network drops (read by the call-quality service).
        attributes: Per event type, the attributes the platform may send.
        team_tasks: Shared goals of teams and classes.
        languages: The languages the file names things in; the first is the
            fallback (every ``title`` field holds its text).
        names: Translations of titles: ``(key, ((language, text), ...))``,
            with keys as :meth:`text` reads them.
        xapi: How xAPI statements become learning events; None: statements
            fold to nothing.
        version: The stored version number (0 until stored).
    """

    id: str
    label: str
    title: str
    dimensions: tuple[Dimension, ...]
    knowledge_points: tuple[KnowledgePoint, ...]
    units: tuple[Unit, ...]
    levels: tuple[Level, ...]
    xp_rules: tuple[XpRule, ...]
    can_go_down: bool = False
    mastery: MasterySettings = field(default_factory=MasterySettings)
    placement: Placement | None = None
    planning: Planning = field(default_factory=Planning)
    badges: tuple[Badge, ...] = ()
    titles: tuple[Title, ...] = ()
    recognition: Recognition = field(default_factory=Recognition)
    practice: Practice = field(default_factory=Practice)
    live_quality: LiveQualityPolicy = field(default_factory=LiveQualityPolicy)
    attributes: tuple[tuple[str, tuple[Attribute, ...]], ...] = ()
    team_tasks: tuple[TeamTask, ...] = ()
    languages: tuple[str, ...] = ()
    names: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = ()
    xapi: XapiMapping | None = None
    version: int = 0

    def text(self, key: str, language: str | None, default: str) -> str:
        """A title in ``language``, falling back to ``default``.

        Args:
            key: What is named: ``program``, or ``KIND:ID`` with KIND one of
                ``dimension``, ``kp``, ``unit``, ``level``, ``rule``,
                ``badge``, ``title`` (a title to display), ``task``,
                ``attribute`` (``attribute:EVENT_TYPE:NAME``) and ``tier``
                (``tier:BADGE:TIER``).
            language: A language tag (``zh-CN``); its primary language
                (``zh``) is tried next, then any tag with that primary
                language, then ``default``. None: ``default``.
            default: The text in the file's first language (the object's
                own ``title``), or what to show when the file has none.
        """
        if language is None:
            return default
        found = self.name_by_key.get(key)
        if not found:
            return default
        if language in found:
            return found[language]
        primary = language.split("-")[0].lower()
        for tag, text in found.items():
            if tag.lower() == primary:
                return text
        for tag, text in found.items():
            if tag.split("-")[0].lower() == primary:
                return text
        return default

    @cached_property
    def name_by_key(self) -> dict[str, dict[str, str]]:
        """The translations keyed by what they name, then by language."""
        return {key: dict(pairs) for key, pairs in self.names}

    @cached_property
    def attributes_by_type(self) -> dict[str, dict[str, Attribute]]:
        """The declared attributes keyed by event type, then by name."""
        return {on: {a.name: a for a in attrs} for on, attrs in self.attributes}

    @cached_property
    def task_by_id(self) -> dict[str, TeamTask]:
        """The team tasks keyed by id."""
        return {t.id: t for t in self.team_tasks}

    @cached_property
    def counting_badges(self) -> dict[str, tuple[Badge, ...]]:
        """Counting badges grouped by the event type they count."""
        grouped: dict[str, list[Badge]] = {}
        for badge in self.badges:
            if badge.on is not None:
                grouped.setdefault(badge.on, []).append(badge)
        return {k: tuple(v) for k, v in grouped.items()}

    @cached_property
    def state_badges(self) -> tuple[tuple[Badge, frozenset[str]], ...]:
        """State badges with the gate variables their conditions read."""
        return tuple(
            (b, frozenset().union(*(t.when.names for t in b.tiers if t.when)))
            for b in self.badges
            if b.on is None
        )

    @cached_property
    def memo(self) -> dict[object, object]:
        """Values other layers derive from this program and keep with it."""
        return {}

    @cached_property
    def unit_by_id(self) -> dict[str, Unit]:
        """Units keyed by id."""
        return {u.id: u for u in self.units}

    @cached_property
    def kp_by_id(self) -> dict[str, KnowledgePoint]:
        """Knowledge points keyed by id."""
        return {k.id: k for k in self.knowledge_points}

    @cached_property
    def rules_by_type(self) -> dict[str, tuple[XpRule, ...]]:
        """XP rules grouped by the event type they apply to, in file order."""
        grouped: dict[str, list[XpRule]] = {}
        for rule in self.xp_rules:
            grouped.setdefault(rule.on, []).append(rule)
        return {k: tuple(v) for k, v in grouped.items()}

    @cached_property
    def dimension_weights(self) -> dict[str, tuple[tuple[str, float], ...]]:
        """For each dimension, the knowledge points that feed it with their weights."""
        weights: dict[str, list[tuple[str, float]]] = {
            d.id: [] for d in self.dimensions
        }
        for kp in self.knowledge_points:
            for dim, weight in kp.dimensions:
                weights[dim].append((kp.id, weight))
        return {k: tuple(v) for k, v in weights.items()}

    @cached_property
    def dimension_totals(self) -> dict[str, float]:
        """The sum of each dimension's knowledge-point weights."""
        return {d: sum(w for _, w in ws) for d, ws in self.dimension_weights.items()}

    @cached_property
    def level_variables(self) -> tuple[frozenset[str], ...]:
        """The gate variables each level reads."""
        return tuple(
            frozenset().union(*(g.expr.names for g in lvl.gates)) for lvl in self.levels
        )
