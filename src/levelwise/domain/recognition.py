"""Recognition in the fold: profiles, streaks, integrity flags, badges and titles.

Everything here is part of the pure fold: time is event data and the learner's
time zone is state, so a replay gives the same streaks, badges and titles.

* **Study day.** A learner's day is the calendar date of the event in their
  IANA time zone (``profile.updated``; without one, the event's own UTC
  offset), shifted back by the program's ``day_start`` hours (with 4, study at
  1 a.m. counts for the day before). ``zoneinfo`` applies daylight-saving
  changes, so a 23- or 25-hour day is still one day. The fold computes it once
  per event (:func:`event_day`) and uses it everywhere: daily XP caps, active
  days, streaks and badge date windows. The same local time (unshifted) is
  what XP rules and badges read as ``weekday``, ``weekend`` and ``hour``.
* **What makes a study day.** By default any study event (not in
  :data:`NOT_STUDY`). A program's ``recognition.study_day`` asks more (``minutes
  >= 10 or answers >= 3``): the state keeps the day's tallies
  (:class:`~levelwise.domain.state.DayTally`) and the day counts (an active
  day, a streak day) at the event that first makes the condition hold.
* **Streaks** grow by one on each new study day. Missed days are covered by
  freezes when the learner holds enough (one per day; one is earned every
  ``freeze_every`` streak days, up to ``max_freezes``), else the streak breaks
  with a logged reason. A time-zone change never costs a day: the gap is
  counted in the old and the new zone and the smaller one is taken, and a day
  that is earlier than the last one (flying west) changes nothing.
* **Integrity flags** mark XP that stays off public boards but still counts
  for the learner: ``rate`` when more than ``burst_events`` events fall within
  a minute, ``repeat`` when a question is answered right again within
  ``repeat_hours`` of its last right answer.
* **Badges** are counted from events (``on`` + ``where``, tiers by count,
  optionally repeatable) or read from state (tiers by condition); a badge with
  a date window is earnable only on study days inside it.
* **Titles** unlock with levels and badges; the learner displays the one they
  chose while it stays unlocked, else the last unlocked one in file order.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Set as AbstractSet
from dataclasses import replace
from datetime import date, datetime, timedelta
from functools import lru_cache
from types import MappingProxyType
from typing import cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from levelwise.domain.events import (
    Event,
    LiveInteracted,
    ProfileUpdated,
    QuestionAnswered,
)
from levelwise.domain.expr import Expr, Schema
from levelwise.domain.fields import event_env
from levelwise.domain.gates import fields_read, gate_variable
from levelwise.domain.outcomes import (
    BadgeEarned,
    Outcome,
    StreakBroken,
    StreakFrozen,
    TitleChanged,
)
from levelwise.domain.program import STUDY_DAY_VARIABLES, Badge, Program
from levelwise.domain.state import (
    BadgeHold,
    DayTally,
    LearnerState,
    Profile,
    StateChanges,
    Streak,
    evolve,
)

NOT_STUDY = frozenset(
    {
        "enrolment.started",
        "subscription.renewed",
        "profile.updated",
        "live.credited",
        "team.rewarded",
    }
)
"""Event types that are not study: they neither extend nor break a streak.

A ``live.credited`` gives back minutes a network drop cost: it may come after
the class's day has ended, and must not make a day of study of that day. A
``team.rewarded`` is the team's doing, posted when the goal is met.
"""


@lru_cache(maxsize=256)
def zone(name: str | None) -> ZoneInfo | None:
    """The IANA zone ``name`` (None when absent or unknown)."""
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def event_day(local: datetime, state: LearnerState, program: Program) -> str:
    """The study day an event counts on: for caps, active days, streaks, badges.

    Args:
        local: When the event happened in the zone the learner had before it
            (:func:`event_local`: a ``profile.updated`` that sets a zone
            applies from the next event).
        state: The learner before the event.
        program: The program (its ``day_start``).

    Returns:
        The :func:`local_day` of ``local``, never earlier than the learner's
        last day (``state.day``): a day that comes out earlier, after flying
        west or from another UTC offset, is still the last one, so it neither
        restarts the daily caps nor counts again.
    """
    return max(local_day(local, program.recognition.day_start), state.day)


def local_time(moment: datetime, tz: str | None) -> datetime:
    """``moment`` in the IANA zone ``tz``; without a (known) zone, as given.

    The learner's local time (module notes): what study days count in and
    what expressions over an event read as ``weekday``, ``weekend`` and
    ``hour`` (:func:`levelwise.domain.fields.event_env`).
    """
    where = zone(tz)
    return moment.astimezone(where) if where is not None else moment


def event_local(event: Event, state: LearnerState) -> datetime:
    """When ``event`` happened in the zone the learner had before it."""
    return local_time(event.occurred_at, state.profile.timezone)


def study_day(moment: datetime, tz: str | None, day_start: int) -> str:
    """The learner's study day of ``moment`` as ``YYYY-MM-DD`` (module notes)."""
    return local_day(local_time(moment, tz), day_start)


def local_day(local: datetime, day_start: int) -> str:
    """The study day of the local time ``local`` (see :func:`study_day`)."""
    # The local date shifted back by ``day_start`` hours: the time of day is
    # ``hour + f`` with ``0 <= f < 1``, so the date moves by
    # ``floor((hour + f - day_start) / 24) = (hour - day_start) // 24`` days.
    shift = (local.hour - day_start) // 24
    day = local.date()
    if shift:
        day += timedelta(days=shift)
    return day.isoformat()


@lru_cache(maxsize=4096)
def board_windows(day: date) -> tuple[str, str, str]:
    """The board windows an award on local date ``day`` counts in."""
    year, week, _ = day.isocalendar()
    return (
        "all",
        f"week:{year:04d}-W{week:02d}",
        f"month:{day.year:04d}-{day.month:02d}",
    )


def clean_changes(
    event: Event,
    state: LearnerState,
    changes: StateChanges,
    flags: tuple[str, ...],
    at: str,
) -> None:
    """Add the event's unflagged XP to its board windows (``state.clean``).

    The state keeps the all-time total and those of the two latest weeks and
    months with awards: enough for a batch of events that crosses into a new
    week or month.
    """
    gained = changes.get("xp", state.xp) - state.xp
    if gained <= 0 or flags:
        return
    clean = dict(state.clean)
    for window in board_windows(event.occurred_at.date()):
        old = clean.get(window)
        clean[window] = ((old[0] if old else 0) + gained, at)
        if old is None and window != "all":  # a new week or month
            kind = window[:5]
            same = sorted(k for k in clean if k[:5] == kind)
            for stale in same[:-KEPT_WINDOWS]:
                del clean[stale]
    changes["clean"] = MappingProxyType(clean)


KEPT_WINDOWS = 2
"""Latest weeks (and months) with awards whose totals the state keeps."""


def profile_changes(
    event: ProfileUpdated, state: LearnerState, changes: StateChanges
) -> None:
    """Apply the fields the event carries to the learner's profile."""
    p = state.profile
    changes["profile"] = Profile(
        timezone=event.timezone if event.timezone is not None else p.timezone,
        cohort=event.cohort if event.cohort is not None else p.cohort,
        team=event.team if event.team is not None else p.team,
        public_boards=(
            event.public_boards if event.public_boards is not None else p.public_boards
        ),
        title=event.title if event.title is not None else p.title,
        display_name=(
            event.display_name if event.display_name is not None else p.display_name
        ),
    )


def flags_for(
    event: Event, state: LearnerState, changes: StateChanges, program: Program
) -> tuple[str, ...]:
    """The integrity flags of ``event``; records what later checks need.

    Times are POSIX seconds (``recent``: the latest events; ``correct_items``:
    when each question was last answered right, within the repeat window).
    """
    rules = program.recognition
    flags: list[str] = []
    now = event.occurred_at.timestamp()
    recent = (*state.recent, now)[-rules.burst_events - 1 :]
    changes["recent"] = recent
    if len(recent) > rules.burst_events and recent[0] >= now - 60.0:
        flags.append("rate")
    if isinstance(event, QuestionAnswered) and event.correct:
        since = now - rules.repeat_hours * 3600.0
        last = state.correct_items.get(event.item)
        if last is not None and last >= since:
            flags.append("repeat")
        # Only answers within the window can flag a repeat: keep just those.
        kept = {k: v for k, v in state.correct_items.items() if v >= since}
        kept[event.item] = now
        changes["correct_items"] = MappingProxyType(kept)
    return tuple(flags)


def study_day_schema() -> Schema:
    """The variables a ``recognition.study_day`` condition may read."""
    return Schema(variables=dict.fromkeys(STUDY_DAY_VARIABLES, "number"))


_NEW_TALLY = DayTally()
"""The tallies of a day without study yet (shared: it is frozen)."""


def tally_changes(
    event: Event,
    state: LearnerState,
    changes: StateChanges,
    rule: Expr,
    day: str,
) -> bool:
    """Tally a study event for its day; whether the day counts from this event.

    For programs with a ``recognition.study_day`` condition, ``rule`` (module
    notes): the tallies start afresh when the study day changes, a study
    event adds to them (after its XP and units are in ``changes``), and the
    first event after which the condition holds makes the day an active day
    and returns True (the streak then moves, as it does on any study event
    by default). Events in :data:`NOT_STUDY` tally nothing.
    """
    tally = state.day_tally if day == state.day else _NEW_TALLY
    if event.TYPE in NOT_STUDY:
        if tally is not state.day_tally:
            changes["day_tally"] = tally
        return False
    s = state
    seconds = (
        changes.get("watch_seconds", s.watch_seconds)
        + changes.get("live_seconds", s.live_seconds)
        + changes.get("practice_seconds", s.practice_seconds)
        - (s.watch_seconds + s.live_seconds + s.practice_seconds)
    )
    units = len(changes.get("units_completed", s.units_completed))
    answered = isinstance(event, QuestionAnswered) or (
        isinstance(event, LiveInteracted) and event.correct is not None
    )
    new = DayTally(
        seconds=tally.seconds + seconds,
        answers=tally.answers + answered,
        events=tally.events + 1,
        units=tally.units + units - len(s.units_completed),
        xp=tally.xp + changes.get("xp", s.xp) - s.xp,
        counted=tally.counted,
    )
    reached = not new.counted and bool(
        rule.evaluate(
            {
                "minutes": new.seconds / 60.0,
                "answers": new.answers,
                "events": new.events,
                "units": new.units,
                "xp": new.xp,
            }
        )
    )
    if reached:
        new = replace(new, counted=True)
        changes["active_days"] = s.active_days + 1
    changes["day_tally"] = new
    return reached


def streak_changes(
    event: Event,
    state: LearnerState,
    changes: StateChanges,
    program: Program,
    outcomes: list[Outcome],
    at: str,
    day: str,
) -> None:
    """Extend, freeze or break the streak on a study event (module notes).

    ``day`` is the event's study day (:func:`event_day`).
    """
    if event.TYPE in NOT_STUDY:
        return
    rules = program.recognition
    tz = state.profile.timezone
    s = state.streak
    if s.day and day <= s.day:
        return  # the same study day (an earlier one counts as the last one)
    length, freezes = 1, s.freezes
    if s.day:
        missed = _missed(s.day, day, event, s, rules.day_start)
        if missed == 0:
            length = s.length + 1
        elif missed <= freezes:
            freezes -= missed
            length = s.length + 1
            outcomes.append(
                StreakFrozen(
                    event.id,
                    event.learner,
                    at,
                    missed,
                    freezes,
                    f"{missed} missed day(s) before {day} covered by freezes",
                )
            )
        else:
            first = date.fromisoformat(s.day) + timedelta(days=1)
            last = date.fromisoformat(day) - timedelta(days=1)
            span = first.isoformat() if first == last else f"{first} to {last}"
            outcomes.append(
                StreakBroken(
                    event.id,
                    event.learner,
                    at,
                    s.length,
                    f"no study on {span} ({missed} day(s)); "
                    f"{freezes} freeze(s) in hand",
                )
            )
    since = s.since_freeze + 1 if length > 1 else 1
    if since >= rules.freeze_every:
        since = 0
        freezes = min(rules.max_freezes, freezes + 1)
    best = max(s.best, length)
    changes["streak"] = Streak(length, best, day, freezes, since, tz)


def _missed(last: str, day: str, event: Event, streak: Streak, day_start: int) -> int:
    """Days without study between ``last`` and ``day`` (travel-proof).

    After a time-zone change the gap is also counted in the zone the last day
    was counted in, and the smaller gap is taken.
    """
    gap = (date.fromisoformat(day) - date.fromisoformat(last)).days - 1
    old = study_day(event.occurred_at, streak.zone, day_start)
    gap = min(gap, (date.fromisoformat(old) - date.fromisoformat(last)).days - 1)
    return max(gap, 0)


def count_badges(
    event: Event,
    state: LearnerState,
    changes: StateChanges,
    program: Program,
    outcomes: list[Outcome],
    at: str,
    day: str,
    local: datetime,
) -> bool:
    """Count the event for counting badges; award the tiers it reaches.

    ``local`` is the event's time in the learner's zone (:func:`event_local`),
    which a badge's ``where`` reads as ``weekday``, ``weekend`` and ``hour``.
    Returns whether any badge was earned (titles may have unlocked).
    """
    badges = program.counting_badges.get(event.TYPE)
    if not badges:
        return False
    earned = len(outcomes)
    env: dict[str, object] | None = None
    holds: dict[str, BadgeHold] | None = None
    for badge in badges:
        if (badge.start is not None or badge.end is not None) and not _open_on(
            badge, day
        ):
            continue
        if badge.where is not None:
            if env is None:
                env = event_env(event, program, local)
            if not badge.where.evaluate(env):
                continue
        if holds is None:
            holds = dict(state.badges)
        hold = holds.get(badge.id, _NO_HOLD)
        count = hold.count + 1
        tier, times = hold.tier, hold.times
        while tier < len(badge.tiers) and count >= (badge.tiers[tier].count or 0):
            tier += 1
            times += 1
            outcomes.append(_earned(event, at, badge, tier, times, count))
        if badge.repeatable and tier == len(badge.tiers) and hold.tier == tier:
            last = badge.tiers[-1].count or 1
            if count >= last:
                times += 1
                outcomes.append(_earned(event, at, badge, tier, times, count))
                count = 0
        holds[badge.id] = BadgeHold(tier, times, count)
    # The field counts as changed even when no badge counted the event (later
    # checks read the set of changed fields); unchanged, it keeps its mapping.
    changes["badges"] = state.badges if holds is None else MappingProxyType(holds)
    return len(outcomes) > earned


_NO_HOLD = BadgeHold()
"""The standing on a badge never earned nor counted (shared: it is frozen)."""


def _earned(
    event: Event, at: str, badge: Badge, tier: int, times: int, count: int
) -> BadgeEarned:
    where = f" where {badge.where.source}" if badge.where is not None else ""
    reason = f"{count} x {badge.on}{where}"
    level = badge.tiers[tier - 1]
    reason += f" (tier needs {level.count})"
    return BadgeEarned(
        event.id, event.learner, at, badge.id, badge.title, level.tier, times, reason
    )


def _open_on(badge: Badge, day: str) -> bool:
    return (badge.start is None or day >= badge.start) and (
        badge.end is None or day <= badge.end
    )


def settle_badges_and_title(
    state: LearnerState,
    changed: AbstractSet[str],
    event: Event,
    program: Program,
    priors: Callable[[], Callable[[str], float]],
    outcomes: list[Outcome],
    at: str,
    day: str,
) -> LearnerState:
    """Award state badges whose conditions now hold, then settle the title.

    Args:
        state: The learner after the event.
        changed: The state fields the event changed (``level`` and ``badges``
            when a level or a badge tier moved).
        event: The event.
        program: The program.
        priors: Gives the mastery prior (made only when a badge reads mastery).
        outcomes: Where awards go.
        at: The event's UTC sort key.
        day: The event's study day.
    """
    holds: dict[str, BadgeHold] | None = None
    prior: Callable[[str], float] | None = None
    for badge, names, fields in _state_badges(program):
        if fields.isdisjoint(changed) or not _open_on(badge, day):
            continue
        hold = (holds or state.badges).get(badge.id, _NO_HOLD)
        tier = hold.tier
        while tier < len(badge.tiers):
            when = badge.tiers[tier].when
            if prior is None:
                prior = priors()
            env = {n: gate_variable(state, n, prior, program) for n in names}
            if when is None or not when.evaluate(env):
                break
            tier += 1
            if holds is None:
                holds = dict(state.badges)
            holds[badge.id] = BadgeHold(tier, hold.times + tier - hold.tier, 0)
            reason = f"{when.source} ({_shown(env, when.names)})"
            outcomes.append(
                BadgeEarned(
                    event.id,
                    event.learner,
                    at,
                    badge.id,
                    badge.title,
                    badge.tiers[tier - 1].tier,
                    holds[badge.id].times,
                    reason,
                )
            )
    if holds is not None:
        state = evolve(state, {"badges": MappingProxyType(holds)})
        changed = changed | {"level"}  # a tier moved: titles may unlock
    if program.titles and not changed.isdisjoint(_TITLE_FIELDS):
        state = _settle_title(state, event, program, outcomes, at)
    return state


_TITLE_FIELDS = frozenset({"level", "profile"})
"""What titles depend on (badge tiers move ``level`` in the changed fields)."""

_StateBadge = tuple[Badge, frozenset[str], frozenset[str]]


def _state_badges(program: Program) -> tuple[_StateBadge, ...]:
    """The program's state badges with what they read, derived once per program.

    Each is ``(badge, gate variables, state fields they read)``.
    """
    found = program.memo.get(_state_badges)
    if found is None:
        found = tuple(
            (badge, names, fields_read(names)) for badge, names in program.state_badges
        )
        program.memo[_state_badges] = found
    return cast("tuple[_StateBadge, ...]", found)


def _shown(env: dict[str, object], names: frozenset[str]) -> str:
    parts = []
    for name in sorted(names):
        value = env[name]
        parts.append(
            f"{name}={value:.4g}" if isinstance(value, float) else f"{name}={value}"
        )
    return ", ".join(parts)


def unlocked_titles(state: LearnerState, program: Program) -> list[str]:
    """The ids of the titles ``state`` has unlocked, in file order."""
    ladder = {lvl.id: i for i, lvl in enumerate(program.levels)}
    found = []
    for title in program.titles:
        ok = True
        if title.level is not None:
            ok = state.level >= ladder.get(title.level, len(ladder))
        if ok and title.badge is not None:
            hold = state.badges.get(title.badge)
            badge = next((b for b in program.badges if b.id == title.badge), None)
            need = 1
            if badge is not None and title.tier is not None:
                tiers = [t.tier for t in badge.tiers]
                need = tiers.index(title.tier) + 1 if title.tier in tiers else 1
            ok = hold is not None and hold.tier >= need
        if ok:
            found.append(title.id)
    return found


def _settle_title(
    state: LearnerState,
    event: Event,
    program: Program,
    outcomes: list[Outcome],
    at: str,
) -> LearnerState:
    unlocked = unlocked_titles(state, program)
    chosen = state.profile.title
    shown = chosen if chosen in unlocked else (unlocked[-1] if unlocked else "")
    if shown == state.title:
        return state
    names = {t.id: t.name for t in program.titles}
    outcomes.append(
        TitleChanged(
            event.id, event.learner, at, shown, names.get(shown, ""), state.title
        )
    )
    return evolve(state, {"title": shown})
