"""Wire models of a learner's standing and receipts."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from levelwise.api.schemas.common import PublicModel
from levelwise.app import views
from levelwise.app.practice.profile import PLATEAU_SESSIONS, WINDOW

OutcomeKind = Literal[
    "xp",
    "level_reached",
    "level_placed",
    "level_lost",
    "unit_completed",
    "badge_earned",
    "title_changed",
    "streak_broken",
    "streak_frozen",
    "pk_scored",
    "ability_measured",
    "minutes_credited",
    "voided",
]
"""Every kind of outcome the fold decides (``codec.OUTCOME_KINDS``; a test keeps
them equal)."""


class LevelPublic(PublicModel):
    """A level of the ladder."""

    id: str
    title: str
    index: int = Field(description="0-based place on the ladder")


class GatePublic(PublicModel):
    """A gate of a level with the learner's progress towards it.

    A gate of several parts joined by ``and`` lists each part's own values in
    ``parts`` and shows as its own those of the part furthest from its target;
    a gate of one part has no ``parts`` member.
    """

    gate: str = Field(description="The gate as written, e.g. 'xp >= 1200'")
    current: float
    target: float
    progress: float = Field(ge=0, le=1)
    met: bool
    parts: list[GatePublic] = Field(
        default_factory=list,
        exclude_if=lambda parts: not parts,  # one-part gates: JSON as before
        description="Each part of an 'and' gate with its own values",
    )


class DimensionPublic(PublicModel):
    """The learner's ability on one dimension."""

    ability: float
    sd: float = Field(description="Uncertainty (standard deviation)")


class MasteryPublic(PublicModel):
    """The mastery estimate of one knowledge point."""

    value: float = Field(ge=0, le=1)
    sd: float
    attempts: int


class LevelChangePublic(PublicModel):
    """When the learner reached (or lost) a level."""

    level: str
    at: str
    event_id: str
    direction: str = Field(description="'up' or 'down'")


class PlacedAbilityPublic(PublicModel):
    """A dimension measured by the placement test: θ, its SE and a 95 % interval."""

    theta: float
    se: float
    low: float
    high: float


class PlacementPublic(PublicModel):
    """What the learner's placement test found."""

    level: LevelPublic | None = Field(description="The starting level it set")
    abilities: dict[str, PlacedAbilityPublic]
    items: int = Field(description="Items the learner answered")
    event_id: str
    at: str
    session: str | None
    priors: dict[str, float] = Field(description="Starting mastery it set")


class BadgePublic(PublicModel):
    """A badge as the learner sees it (secret ones only once earned)."""

    id: str
    title: str
    tier: str = Field(description="The tier held ('' when not earned yet)")
    times: int = Field(description="Times earned")
    count: int = Field(description="Counted events toward the next tier")
    next_tier: str
    next_count: int | None


class RecognitionPublic(PublicModel):
    """Title, streak, badges and profile."""

    title: str
    title_name: str
    titles_unlocked: list[str]
    streak: int
    best_streak: int
    streak_day: str
    freezes: int
    badges: list[BadgePublic]
    cohort: str | None
    team: str | None
    timezone: str | None
    public_boards: bool


class MetricTrendPublic(PublicModel):
    """One practice metric over the learner's last sessions."""

    name: str = Field(description="The practice metric's name (speech_rate)")
    label: str = Field(description="Its short human label (speech rate)")
    unit: str = Field(description="Its unit (wpm, share, words, ...)")
    values: list[float] = Field(
        description=f"Its values in the last sessions that reported it (at most "
        f"{WINDOW}), oldest first"
    )
    at: list[str] = Field(description="When each of those sessions ended (UTC)")
    latest: float = Field(description="The last session's value")
    slope: float = Field(description="Least-squares change per session")
    better: int = Field(description="+1: higher is better; -1: lower is; 0: neither")
    improving: bool = Field(description="The trend goes the better way")
    plateau: bool = Field(
        description=f"No progress over the last {PLATEAU_SESSIONS} sessions"
    )


class SpeakingPublic(PublicModel):
    """The learner's speaking profile: their practice metrics' trends."""

    sessions: int = Field(description="Practice sessions the learner finished")
    last_at: str | None = Field(description="When the last one ended; null: none")
    metrics: list[MetricTrendPublic] = Field(
        description="Each metric the learner's sessions reported"
    )
    plateaus: list[str] = Field(description="The metrics that stopped improving")

    @classmethod
    def from_info(cls, profile: views.SpeakingInfo) -> SpeakingPublic:
        """Build from the learner view's speaking profile."""
        return cls(
            sessions=profile.sessions,
            last_at=profile.last_at,
            metrics=[
                MetricTrendPublic.model_validate(m, from_attributes=True)
                for m in profile.metrics
            ],
            plateaus=list(profile.plateaus),
        )


class UnitScorePublic(PublicModel):
    """A unit's score: the learner's best and latest (score / max_score)."""

    best: float = Field(ge=0, le=1)
    latest: float = Field(ge=0, le=1)


class LearnerPublic(PublicModel):
    """Where a learner stands and what the next level asks."""

    learner: str
    program_version: int
    level: LevelPublic
    next_level: LevelPublic | None
    xp: int
    gates: list[GatePublic] = Field(description="Gates of the next level")
    dimensions: dict[str, DimensionPublic]
    mastery: dict[str, MasteryPublic] = Field(description="Per knowledge point")
    counters: dict[str, float]
    units_completed: list[str]
    unit_scores: dict[str, UnitScorePublic] = Field(
        default_factory=dict,
        description="Each scored unit's best and latest score (0..1)",
    )
    passed: list[str] = Field(
        default_factory=list,
        description="Units whose best score reaches their pass mark",
    )
    history: list[LevelChangePublic]
    events: int
    last_event_at: str
    placement: PlacementPublic | None = None
    recognition: RecognitionPublic | None = None
    speaking: SpeakingPublic | None = Field(
        default=None, description="The speaking profile (practice metrics' trends)"
    )

    @classmethod
    def from_view(cls, view: views.LearnerView) -> LearnerPublic:
        """Build from the service's view."""
        return cls(
            learner=view.learner,
            program_version=view.program_version,
            level=LevelPublic.model_validate(view.level, from_attributes=True),
            next_level=(
                LevelPublic.model_validate(view.next_level, from_attributes=True)
                if view.next_level is not None
                else None
            ),
            xp=view.xp,
            gates=[
                GatePublic.model_validate(g, from_attributes=True) for g in view.gates
            ],
            dimensions={
                k: DimensionPublic(ability=a, sd=sd)
                for k, (a, sd) in view.dimensions.items()
            },
            mastery={
                k: MasteryPublic(value=v, sd=sd, attempts=n)
                for k, (v, sd, n) in view.mastery.items()
            },
            counters=view.counters,
            units_completed=list(view.units_completed),
            unit_scores={
                u: UnitScorePublic(best=best, latest=latest)
                for u, (best, latest) in view.unit_scores.items()
            },
            passed=list(view.passed),
            history=[LevelChangePublic.model_validate(h) for h in view.history],
            events=view.events,
            last_event_at=view.last_event_at,
            placement=(
                PlacementPublic.model_validate(view.placement, from_attributes=True)
                if view.placement is not None
                else None
            ),
            recognition=(
                RecognitionPublic.model_validate(view.recognition, from_attributes=True)
                if view.recognition is not None
                else None
            ),
            speaking=(
                SpeakingPublic.from_info(view.speaking)
                if view.speaking is not None
                else None
            ),
        )


class ReceiptPublic(PublicModel):
    """Why an XP award has the size it has."""

    rule: str
    formula: str
    inputs: dict[str, Any] = Field(description="The event fields the rule read")
    base: float
    factor: float
    repeat: int
    daily_cap: int | None
    earned_today: int
    capped: bool
    xp: int
    text: str = Field(description="The receipt as one readable line")
    source: str = Field(
        default="",
        description="Where the event came from when it was not sent as itself, "
        "e.g. 'xAPI statement 3f2a… (answered)'",
    )


class _OutcomeBase(PublicModel):
    event_id: str
    learner: str
    at: str
    program_version: int


class XpAwardedPublic(_OutcomeBase):
    """The learner earned XP, with its receipt."""

    kind: Literal["xp"]
    xp: int
    total: int
    receipt: ReceiptPublic
    flags: list[str] = Field(
        default_factory=list,
        description="Integrity checks the event failed (rate, repeat): the XP "
        "counts for the learner's progress but stays off boards",
    )


class LevelReachedPublic(_OutcomeBase):
    """The learner reached a level; ``gates`` opened it."""

    kind: Literal["level_reached"]
    level: str
    title: str
    previous: str
    gates: list[GatePublic]


class EvidencePublic(PublicModel):
    """One cut of the placed level and the ability that reached it."""

    dimension: str
    theta: float
    se: float
    cut: float


class LevelPlacedPublic(_OutcomeBase):
    """A placement test set the starting level; ``evidence`` says why."""

    kind: Literal["level_placed"]
    level: str
    title: str
    previous: str
    evidence: list[EvidencePublic]


class LevelLostPublic(_OutcomeBase):
    """The learner fell back a level."""

    kind: Literal["level_lost"]
    level: str
    previous: str
    gates: list[GatePublic]


class UnitCompletedPublic(_OutcomeBase):
    """The learner completed a unit for the first time."""

    kind: Literal["unit_completed"]
    unit: str


class BadgeEarnedPublic(_OutcomeBase):
    """The learner earned a badge (or its next tier); ``reason`` says why."""

    kind: Literal["badge_earned"]
    badge: str
    title: str
    tier: str = Field(description="The tier reached, e.g. bronze")
    times: int = Field(description="Times earned (repeatable badges)")
    reason: str


class TitleChangedPublic(_OutcomeBase):
    """The title the learner displays changed."""

    kind: Literal["title_changed"]
    title: str = Field(description="The title's id ('' for none)")
    name: str = Field(description="The title as shown")
    previous: str


class StreakBrokenPublic(_OutcomeBase):
    """A streak ended; ``reason`` says which days were missed and why."""

    kind: Literal["streak_broken"]
    length: int = Field(description="Study days the streak had lasted")
    reason: str


class StreakFrozenPublic(_OutcomeBase):
    """Freezes covered missed days, so the streak goes on."""

    kind: Literal["streak_frozen"]
    days: int = Field(description="Missed days covered")
    freezes_left: int
    reason: str


class PkScoredPublic(_OutcomeBase):
    """The learner's answer in a group PK scored points for their team."""

    kind: Literal["pk_scored"]
    pk: str
    team: str
    round: int
    points: int = Field(description="10 for a right answer plus a speed bonus")


class MeasuredMetricPublic(PublicModel):
    """A practice metric a measurement used."""

    metric: str = Field(description="The practice metric's name (speech_rate)")
    value: float = Field(description="The value the session reported")
    full: float = Field(
        description="The value that scores 1 at the learner's level (the "
        "program's norm)"
    )


class AbilityMeasuredPublic(_OutcomeBase):
    """A practice session's metrics moved an ability, through a measurement.

    The measurement's ``score`` (the mean of its metrics' scores, each
    ``(value - zero) / (full - zero)`` clamped to [0, 1]) was applied as
    evidence to the unit's knowledge points on ``dimension``, as a scored
    answer with that score would be.
    """

    kind: Literal["ability_measured"]
    measurement: str = Field(description="The program's measurement id")
    dimension: str
    title: str = Field(description="The dimension's title")
    score: float = Field(description="The measurement's score in [0, 1]")
    before: float = Field(description="The dimension's ability before")
    after: float = Field(description="The dimension's ability after")
    metrics: list[MeasuredMetricPublic]
    text: str = Field(
        description="The receipt as one readable line, e.g. '+0.04 Speaking "
        "fluency: speech rate 112 wpm, MLR 6.2'"
    )


class MinutesCreditedPublic(_OutcomeBase):
    """Live minutes credited for time a network drop cost the learner.

    The seconds count toward ``live_minutes`` like attended time; XP comes
    only from the program's rules on ``live.credited`` (a separate ``xp``
    receipt).
    """

    kind: Literal["minutes_credited"]
    seconds: float = Field(description="Seconds credited")
    reason: str = Field(
        description="Why, as the call-quality service wrote it, e.g. "
        "'network broken 19:42–19:54'"
    )
    live_class: str = Field(description="The class occurrence's id")
    unit: str | None = Field(description="The live class's unit, if named")
    text: str = Field(
        description="The receipt as one readable line, e.g. '+12 live minutes "
        "credited: network broken 19:42–19:54'"
    )


class VoidedPublic(_OutcomeBase):
    """An earlier event of the learner was voided: its effect is gone."""

    kind: Literal["voided"]
    target: str = Field(description="The voided event's id")
    about: str = Field(description="'xAPI statement' or 'event'")
    removed: list[str] = Field(
        description="What it had given, e.g. ['10 XP', 'answer on hiragana']"
    )
    known: bool = Field(
        description="False when the voided event lies after the voiding in time"
    )
    text: str = Field(description="The receipt as one readable line")


OutcomePublic = Annotated[
    XpAwardedPublic
    | LevelReachedPublic
    | LevelPlacedPublic
    | LevelLostPublic
    | UnitCompletedPublic
    | BadgeEarnedPublic
    | TitleChangedPublic
    | StreakBrokenPublic
    | StreakFrozenPublic
    | PkScoredPublic
    | AbilityMeasuredPublic
    | MinutesCreditedPublic
    | VoidedPublic,
    Field(discriminator="kind"),
]


class ReceiptListPublic(PublicModel):
    """A learner's decisions, newest first."""

    learner: str
    receipts: list[OutcomePublic]
