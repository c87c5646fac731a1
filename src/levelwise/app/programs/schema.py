"""The program file's structure, as pydantic models (checked before semantics)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from levelwise.domain.events import ID_PATTERN
from levelwise.domain.program import (
    AttributeType,
    TaskTeam,
    TaskWindow,
    XapiSeconds,
)

Slug = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:\-]*$", max_length=100)]
Text = Annotated[str, Field(max_length=500)]
Name = Text | Annotated[dict[str, Text], Field(min_length=1, max_length=50)]
"""A title or name: one text, or a map of language tags to texts (``{en: ...,
zh-CN: ...}``); the loader checks the tags against ``languages``."""
Expression = Annotated[str, Field(max_length=2000)]


class _In(BaseModel):
    # inf and nan (.inf, .nan, 1.0e+999) are no setting anyone means to write
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class DimensionIn(_In):
    """A dimension entry."""

    id: Slug
    title: Name = ""


class KnowledgePointIn(_In):
    """A knowledge point entry."""

    id: Slug
    title: Name = ""
    dimensions: dict[Slug, Annotated[float, Field(gt=0)]] | list[Slug]
    prerequisites: list[Slug] = []
    available_from: Slug | None = None


UnitKind = Literal[
    "lesson", "exercise", "live_class", "homework", "practice", "quiz", "test"
]


class UnitIn(_In):
    """A unit entry."""

    id: Slug
    kind: UnitKind
    title: Name = ""
    minutes: Annotated[float, Field(gt=0)]
    knowledge_points: list[Slug] = []
    dimensions: list[Slug] = []
    questions: Annotated[int, Field(ge=0)] | None = None
    tags: Annotated[list[Slug], Field(max_length=20)] = []
    available_from: Slug | None = None
    pass_mark: Annotated[float, Field(gt=0, le=1)] | None = None
    repeats: Annotated[int, Field(ge=0, le=1000)] | None = None


class LevelIn(_In):
    """A level entry."""

    id: Slug
    title: Name = ""
    gates: list[str | float] = []


class XpRuleIn(_In):
    """An XP rule entry."""

    id: Slug
    title: Name = ""
    on: str
    xp: str | float
    when: str | None = None
    daily_cap: Annotated[int, Field(gt=0)] | None = None
    repeat_decay: Annotated[float, Field(gt=0, le=1)] = 1.0
    repeat_floor: Annotated[float, Field(ge=0, le=1)] = 0.0


class LevelPolicyIn(_In):
    """The level policy."""

    can_go_down: bool = False


Probability = Annotated[float, Field(gt=0, lt=1)]


class BktIn(_In):
    """Fitted BKT parameters of one knowledge point."""

    prior: Probability
    learn: Probability
    guess: Annotated[float, Field(gt=0, lt=0.5)]
    slip: Annotated[float, Field(gt=0, lt=0.5)]
    forget: Annotated[float, Field(ge=0, lt=1)] = 0.0


class LogisticPointIn(_In):
    """Fitted logistic weights of one knowledge point."""

    rate: Probability
    intercept: float = 0.0
    successes: float = 0.0
    failures: float = 0.0
    ability: float = 0.0


class LogisticWeightsIn(_In):
    """The fitted logistic model's weights shared by every knowledge point."""

    bias: float = 0.0
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


class LogisticIn(_In):
    """A fitted logistic knowledge-tracing model."""

    shrink: Annotated[float, Field(gt=0)] = 5.0
    decay: Probability = 0.7
    weights: LogisticWeightsIn = LogisticWeightsIn()
    points: dict[Slug, LogisticPointIn] = {}


class MasteryIn(_In):
    """How mastery is estimated: the running estimate, fitted BKT or logistic."""

    model: Literal["running", "bkt", "logistic"] = "running"
    prior: Annotated[float, Field(gt=0, lt=1)] = 0.2
    strength: Annotated[float, Field(gt=0)] = 2.0
    memory: Annotated[float, Field(ge=1)] = 20.0
    bkt: dict[Slug, BktIn] = {}
    logistic: LogisticIn | None = None
    fitted: Text = ""


class PlacementItemIn(_In):
    """An item of the placement test's bank, with its IRT parameters."""

    id: Slug
    knowledge_point: Slug
    dimension: Slug
    a: float
    b: Annotated[float, Field(ge=-10, le=10)]
    c: float = 0.0


class PlacementLevelIn(_In):
    """A starting level and the θ it asks per dimension."""

    level: Slug
    cuts: Annotated[
        dict[Slug, Annotated[float, Field(ge=-10, le=10)]], Field(min_length=1)
    ]


class PlacementIn(_In):
    """The diagnostic placement test."""

    se_target: float = 0.3
    max_items: Annotated[int, Field(ge=1, le=1000)] = 30
    min_items: Annotated[int, Field(ge=0, le=1000)] = 5
    max_exposure: Annotated[float, Field(gt=0, le=1)] | None = 0.25
    levels: list[PlacementLevelIn] = []
    items: Annotated[list[PlacementItemIn], Field(min_length=1)]


class PlanningIn(_In):
    """The planning section."""

    ready_mastery: Annotated[float, Field(gt=0, lt=1)] = 0.6
    weekly_minutes: Annotated[float, Field(gt=0)] = 180.0
    horizon_weeks: Annotated[float, Field(gt=0)] = 26.0


class BadgeTierIn(_In):
    """One tier of a badge."""

    tier: Slug
    count: Annotated[int, Field(gt=0)] | None = None
    when: str | None = None
    title: Name = ""


class BadgeIn(_In):
    """A badge entry: counted from events (``on``) or read from state."""

    id: Slug
    title: Name = ""
    on: str | None = None
    where: str | None = None
    count: Annotated[int, Field(gt=0)] | None = None
    when: str | None = None
    tiers: list[BadgeTierIn] = []
    repeatable: bool = False
    secret: bool = False
    start: date | None = None
    end: date | None = None


class TitleIn(_In):
    """A title entry."""

    id: Slug
    name: Name = ""
    level: Slug | None = None
    badge: Slug | None = None
    tier: Slug | None = None


class RecognitionIn(_In):
    """The streaks and integrity settings."""

    day_start: Annotated[int, Field(ge=0, le=12)] = 0
    freeze_every: Annotated[int, Field(gt=0)] = 7
    max_freezes: Annotated[int, Field(ge=0)] = 2
    burst_events: Annotated[int, Field(gt=1)] = 30
    repeat_hours: Annotated[float, Field(ge=0)] = 24.0
    study_day: Expression | None = None


class LiveQualityIn(_In):
    """The live_quality section: whether and how live minutes are credited."""

    credit: Literal["none", "drops"] = "none"
    drop_within: Annotated[float, Field(ge=0, le=3600)] = 60.0
    up_to: Literal["scheduled", "none"] = "scheduled"


Word = Annotated[str, Field(min_length=1, max_length=50)]
Examples = Annotated[
    list[Annotated[str, Field(min_length=1, max_length=200)]],
    Field(min_length=1, max_length=5),
]
"""Example learner answers: one to five sentences of at most 200 characters."""


class BranchIn(_In):
    """A branch of a scenario line: keywords, the line they lead to, examples."""

    keywords: Annotated[list[Word], Field(min_length=1)]
    next: Slug
    examples: Examples = []


class LineIn(_In):
    """A partner line of a scenario."""

    id: Slug
    say: Annotated[str, Field(min_length=1, max_length=1000)]
    branches: list[BranchIn] = []
    next: Slug | None = None
    end: bool = False
    examples: Examples = []


class ScenarioIn(_In):
    """The dialogue scenario of a practice unit."""

    unit: Slug
    title: Text = ""
    setting: Annotated[str, Field(max_length=2000)] = ""
    partner: Text = ""
    target_words: list[Word] = []
    start: Slug | None = None
    lines: Annotated[list[LineIn], Field(min_length=1)]


class NormIn(_In):
    """A metric's norm: the value scoring 0, and the one scoring 1 per level."""

    zero: float
    full: float | Annotated[dict[Slug, float], Field(min_length=1)]


class MeasurementIn(_In):
    """Practice metrics that are evidence for a dimension."""

    id: Slug
    dimension: Slug
    metrics: Annotated[dict[Slug, NormIn], Field(min_length=1)]


class PracticeIn(_In):
    """The practice section: scenarios and measurements."""

    scenarios: list[ScenarioIn] = []
    measurements: list[MeasurementIn] = []


class AttributeIn(_In):
    """An attribute the platform may send with an event type."""

    type: AttributeType
    min: float | None = None
    max: float | None = None
    values: Annotated[
        list[Annotated[str, Field(min_length=1, max_length=200)]],
        Field(max_length=100),
    ] = []
    optional: bool = True
    title: Name = ""


class RewardIn(_In):
    """What every member of a team gets when a team task's goal is met."""

    xp: Annotated[int, Field(ge=0, le=100_000)] = 0


class TeamTaskIn(_In):
    """A team task: a shared goal of a team or class over a window."""

    id: Slug
    title: Name = ""
    team: TaskTeam
    window: TaskWindow
    on: str | None = None
    where: Expression | None = None
    value: Expression | float | None = None
    every: Expression | None = None
    goal: Annotated[float, Field(ge=0, le=1e9)]
    reward: RewardIn = RewardIn()
    min_members: Annotated[int, Field(ge=1, le=100_000)] = 1


Iri = Annotated[
    str, Field(pattern=r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\s]+$", max_length=2048)
]
"""An IRI as xAPI writes them (``http://adlnet.gov/expapi/verbs/answered``):
a scheme, a colon and no white space."""


class XapiAccountIn(_In):
    """Learners are the accounts' names (of one ``home_page``, if given)."""

    home_page: Iri | None = None


class XapiMboxIn(_In):
    """Learners are the e-mail addresses (at one ``domain``, if given)."""

    domain: Annotated[str, Field(min_length=1, max_length=253)] | None = None
    keep: Literal["address", "local"] = "address"


class XapiLearnerIn(_In):
    """How a statement's actor names a learner: exactly one of the three."""

    account: XapiAccountIn | None = None
    mbox: XapiMboxIn | None = None
    extension: Iri | None = None


class XapiActivityIn(_In):
    """An activity id (``id``) or a pattern of ids, and what it names."""

    id: Iri | None = None
    pattern: Iri | None = None
    unit: Slug | None = None
    knowledge_point: Slug | None = None
    item: Annotated[str, Field(pattern=ID_PATTERN, max_length=200)] | None = None


class XapiRuleIn(_In):
    """Statements of a verb (on an activity type, a unit kind) become an event."""

    verb: Iri
    event: str
    activity_type: Iri | None = None
    unit_kinds: Annotated[list[UnitKind], Field(max_length=7)] = []
    seconds: XapiSeconds | None = None
    kind: Literal["mic", "answer", "chat"] | None = None


class XapiIn(_In):
    """The xapi section: from xAPI statements to learning events."""

    learner: XapiLearnerIn
    activities: Annotated[list[XapiActivityIn], Field(max_length=10_000)] = []
    rules: Annotated[list[XapiRuleIn], Field(max_length=1_000)] = []


class ProgramIn(_In):
    """The whole file."""

    program: Slug
    version: str | int = "1"
    languages: Annotated[list[str], Field(max_length=50)] = []
    title: Name = ""
    dimensions: Annotated[list[DimensionIn], Field(min_length=1)]
    knowledge_points: list[KnowledgePointIn] = []
    units: list[UnitIn] = []
    levels: Annotated[list[LevelIn], Field(min_length=1)]
    xp_rules: list[XpRuleIn] = []
    level_policy: LevelPolicyIn = LevelPolicyIn()
    mastery: MasteryIn = MasteryIn()
    placement: PlacementIn | None = None
    planning: PlanningIn = PlanningIn()
    badges: list[BadgeIn] = []
    titles: list[TitleIn] = []
    recognition: RecognitionIn = RecognitionIn()
    practice: PracticeIn | None = None
    live_quality: LiveQualityIn = LiveQualityIn()
    attributes: dict[str, dict[str, AttributeIn]] = {}
    team_tasks: list[TeamTaskIn] = []
    xapi: XapiIn | None = None


def is_union_tag(part: object) -> bool:
    """Whether a pydantic error location part names a union member, not a key."""
    return isinstance(part, str) and (
        part.startswith(("list[", "dict[", "function-", "constrained-"))
        or part in {"str", "float", "int"}
    )


def hint_for(err: Any) -> str:
    """How to fix a pydantic validation error of the program file."""
    kind = err.get("type", "")
    if kind == "missing":
        return "add this field"
    if kind == "extra_forbidden":
        return "remove it or check the spelling of the key"
    if kind == "literal_error":
        return "use one of the listed values"
    if kind == "string_pattern_mismatch":
        return "ids use letters, digits and _ . : - and start with a letter or digit"
    if kind.startswith("date_"):
        return "write dates as YYYY-MM-DD"
    return ""
