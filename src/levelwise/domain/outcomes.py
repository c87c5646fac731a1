"""What the fold decides: XP with receipts, levels, units, recognition, abilities."""

from __future__ import annotations

import math
from dataclasses import dataclass

from levelwise.domain.practice import metric_text


@dataclass(frozen=True)
class GateValue:
    """A gate of a level with the learner's current value, target and progress.

    A gate of several parts joined by ``and`` keeps each part's own value in
    ``parts`` and shows as its own the values of its part furthest from its
    target (the least progress; the first such part on a tie). A part that is
    no comparison with a constant (``a or b``, ``xp < 5``) counts as 1 of 1
    when it holds, else 0 of 1.

    Attributes:
        gate: The gate's source text, e.g. ``xp >= 1200``.
        current: The learner's value (a count for ``includes`` gates).
        target: What the gate asks for.
        progress: ``current / target`` clamped to [0, 1]; below 1 until met.
        met: Whether the gate holds.
        parts: The value of each part of an ``and`` gate, each without parts
            of its own; empty for a gate of one part.
    """

    gate: str
    current: float
    target: float
    progress: float
    met: bool
    parts: tuple[GateValue, ...] = ()


@dataclass(frozen=True)
class Receipt:
    """Why an award has the size it has.

    Attributes:
        rule: The XP rule's id.
        formula: The rule's XP expression.
        inputs: The event fields the rule read, sorted by name (a unit's
            ``unit.tags`` as a frozenset).
        base: The formula's value.
        factor: The repeat factor applied (1.0 when none).
        repeat: How many earlier awards this rule gave on the same unit.
        daily_cap: The rule's daily cap, if any.
        earned_today: XP from this rule earlier on the same local day.
        capped: Whether the cap cut the award.
        xp: The XP finally awarded.
        source: Where the event came from when it was not sent as itself
            (``xAPI statement 3f2a… (answered)``); "" for an event sent as
            itself.
    """

    rule: str
    formula: str
    inputs: tuple[tuple[str, object], ...]
    base: float
    factor: float
    repeat: int
    daily_cap: int | None
    earned_today: int
    capped: bool
    xp: int
    source: str = ""

    @property
    def text(self) -> str:
        """One line a learner or support agent can read."""
        shown = ", ".join(f"{k}={_fmt(v)}" for k, v in self.inputs)
        if shown:
            parts = [f"+{self.xp} XP: {self.rule} ({self.formula} = {_fmt(self.base)}"]
            parts[0] += f" with {shown})"
        else:  # a constant formula: its value says it all
            parts = [f"+{self.xp} XP: {self.rule} ({_fmt(self.base)})"]
        if self.factor != 1.0:
            parts.append(f"repeat #{self.repeat + 1} on this unit x{_fmt(self.factor)}")
        if self.capped:
            parts.append(
                f"daily cap {self.daily_cap} reached at {self.earned_today + self.xp}"
            )
        if self.source:
            parts.append(f"from {self.source}")
        return "; ".join(parts)


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, frozenset):  # a unit's tags: sorted, so text is stable
        return "[" + ", ".join(sorted(map(str, value))) + "]"
    return str(value)


@dataclass(frozen=True)
class XpAwarded:
    """A learner earned XP (possibly 0 when a cap was reached), with its receipt.

    ``flags`` name integrity checks the event failed (``rate``, ``repeat``):
    flagged XP counts for the learner's own progress but stays off boards.
    """

    event_id: str
    learner: str
    at: str
    xp: int
    total: int
    receipt: Receipt
    flags: tuple[str, ...] = ()


@dataclass(frozen=True)
class LevelReached:
    """A learner reached a level; ``gates`` are the values that opened it."""

    event_id: str
    learner: str
    at: str
    level: str
    title: str
    previous: str
    gates: tuple[GateValue, ...]


@dataclass(frozen=True)
class LevelPlaced:
    """A placement test set the learner's starting level.

    ``evidence`` is the receipt: ``(dimension, theta, se, cut)`` for each cut of
    the placed level, every ``theta`` at or above its ``cut``.
    """

    event_id: str
    learner: str
    at: str
    level: str
    title: str
    previous: str
    evidence: tuple[tuple[str, float, float, float], ...]


@dataclass(frozen=True)
class LevelLost:
    """A learner fell back a level (only when the program allows it)."""

    event_id: str
    learner: str
    at: str
    level: str
    previous: str
    gates: tuple[GateValue, ...]


@dataclass(frozen=True)
class UnitCompleted:
    """A learner completed a unit for the first time."""

    event_id: str
    learner: str
    at: str
    unit: str


@dataclass(frozen=True)
class BadgeEarned:
    """A learner earned a badge (or its next tier); ``reason`` is the receipt."""

    event_id: str
    learner: str
    at: str
    badge: str
    title: str
    tier: str
    times: int
    reason: str


@dataclass(frozen=True)
class TitleChanged:
    """The title a learner displays changed."""

    event_id: str
    learner: str
    at: str
    title: str
    name: str
    previous: str


@dataclass(frozen=True)
class StreakBroken:
    """A streak ended; ``reason`` says which days were missed and why."""

    event_id: str
    learner: str
    at: str
    length: int
    reason: str


@dataclass(frozen=True)
class StreakFrozen:
    """Freezes covered missed days, so the streak goes on."""

    event_id: str
    learner: str
    at: str
    days: int
    freezes_left: int
    reason: str


@dataclass(frozen=True)
class PkScored:
    """A learner's answer in a group PK scored points for their team.

    ``points`` is 10 for a right answer plus a speed bonus of up to 10 (one
    point less per started second of ``response_ms``); a wrong answer scores 0.
    """

    event_id: str
    learner: str
    at: str
    pk: str
    team: str
    round: int
    points: int


@dataclass(frozen=True)
class AbilityMeasured:
    """A practice session's metrics moved an ability (a measurement applied).

    Attributes:
        event_id: The ``practice.completed`` event.
        learner: The learner.
        at: When (UTC sort key).
        measurement: The program's measurement that applied.
        dimension: The dimension it measures.
        title: The dimension's title.
        score: The measurement's score in [0, 1]: the mean of its reported
            metrics' scores, applied as evidence like a scored answer.
        before: The dimension's ability before.
        after: The dimension's ability after.
        metrics: ``(name, value, full)`` of each metric used, in the
            measurement's order: the value reported and the value that scores
            1 at the learner's level.
    """

    event_id: str
    learner: str
    at: str
    measurement: str
    dimension: str
    title: str
    score: float
    before: float
    after: float
    metrics: tuple[tuple[str, float, float], ...]

    @property
    def text(self) -> str:
        """``+0.04 Speaking fluency: speech rate 112 wpm, MLR 6.2``."""
        change = round(self.after - self.before, 2) + 0.0  # no "-0.00"
        shown = ", ".join(metric_text(name, value) for name, value, _ in self.metrics)
        return f"{change:+.2f} {self.title}: {shown}"


def whole_minutes(seconds: float) -> int:
    """``seconds`` as whole minutes for a receipt: the nearest, at least 1.

    Halves round up (90 s is 2 minutes), and a credit of a few seconds still
    shows as 1 minute rather than 0.
    """
    return max(1, math.floor(seconds / 60 + 0.5))


@dataclass(frozen=True)
class MinutesCredited:
    """Live-class time credited to a learner (a ``live.credited`` event).

    Attributes:
        event_id: The ``live.credited`` event.
        learner: The learner.
        at: When (UTC sort key).
        seconds: The seconds credited; they count toward ``live_minutes``.
        reason: Why, as the call-quality service wrote it
            (``network broken 19:42–19:54``).
        live_class: The class occurrence's id.
        unit: The live class's unit, if the event named one.
    """

    event_id: str
    learner: str
    at: str
    seconds: float
    reason: str
    live_class: str
    unit: str | None

    @property
    def text(self) -> str:
        """``+12 live minutes credited: network broken 19:42–19:54``.

        The minutes are :func:`whole_minutes` of ``seconds``.
        """
        minutes = whole_minutes(self.seconds)
        noun = "live minute" if minutes == 1 else "live minutes"
        return f"+{minutes} {noun} credited: {self.reason}"


@dataclass(frozen=True)
class Voided:
    """A voiding event removed an earlier event's effect (``event.voided``).

    The learner's state is then the fold of their log without the voided
    event; this receipt says what it had given.

    Attributes:
        event_id: The ``event.voided`` event.
        learner: The learner.
        at: When (UTC sort key).
        target: The voided event's id.
        about: What the voided event was: ``xAPI statement`` or ``event``.
        removed: What it had given, each as a phrase (``20 XP``, ``answer on
            hiragana``).
        known: Whether ``removed`` is known: not when the voided event comes
            after the voiding one in the log (its effect is unknown there).
    """

    event_id: str
    learner: str
    at: str
    target: str
    about: str
    removed: tuple[str, ...] = ()
    known: bool = True

    @property
    def text(self) -> str:
        """``xAPI statement 3f2a voided: its 20 XP and answer on x no longer count``."""
        head = f"{self.about} {self.target} voided"
        if not self.known:
            return f"{head}: it no longer counts"
        if not self.removed:
            return f"{head}: it had changed nothing"
        what = " and ".join(self.removed)
        verb = "counts" if len(self.removed) == 1 and "XP" not in what else "count"
        return f"{head}: its {what} no longer {verb}"


Outcome = (
    XpAwarded
    | LevelReached
    | LevelPlaced
    | LevelLost
    | UnitCompleted
    | BadgeEarned
    | TitleChanged
    | StreakBroken
    | StreakFrozen
    | PkScored
    | AbilityMeasured
    | MinutesCredited
    | Voided
)
