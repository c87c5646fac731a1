"""XP awards in the fold: the rules an event matches, with caps, decay and receipts."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType
from typing import cast

from levelwise.domain.events import Event
from levelwise.domain.fields import event_env
from levelwise.domain.outcomes import Outcome, Receipt, XpAwarded
from levelwise.domain.program import Program, XpRule
from levelwise.domain.state import LearnerState, StateChanges, frozen

_NUMBERS = (int, float)


def award_xp(
    event: Event,
    state: LearnerState,
    changes: StateChanges,
    program: Program,
    outcomes: list[Outcome],
    at: str,
    local: datetime,
    flags: tuple[str, ...] = (),
) -> None:
    """Apply the program's XP rules for ``event``: receipts, caps and repeats.

    The rules read the event through :func:`~levelwise.domain.fields.event_env`,
    with ``local`` (the event's time in the learner's zone) as its calendar.

    Records ``xp``, ``xp_today`` and ``repeats`` in ``changes`` when they move
    and appends one ``XpAwarded`` per rule that gives XP (0 when capped).
    ``xp_today`` is the XP per rule on the learner's study day (``day``, the
    one streaks use); the fold empties it when a new study day starts.
    """
    rules = program.rules_by_type.get(event.TYPE)
    if not rules:
        return
    env = event_env(event, program, local)
    xp = changes.get("xp", state.xp)  # a team task's reward may come first
    # Read-only until the first award: copied then.
    tally: Mapping[str, int] = changes.get("xp_today", state.xp_today)
    today: dict[str, int] | None = None
    repeats: dict[str, int] | None = None
    inputs = _input_names(program)
    for rule in rules:
        if rule.when is not None and not rule.when.evaluate(env):
            continue
        repeat = 0
        if event.unit is not None and rule.repeat_decay != 1.0:
            if repeats is None:
                repeats = dict(state.repeats)
            key = f"{rule.id}|{event.unit}"
            repeat = repeats.get(key, 0)
            repeats[key] = repeat + 1
        earned = tally.get(rule.id, 0)
        receipt = _receipt(rule, inputs[id(rule)], env, repeat, earned)
        if receipt is None:
            continue
        xp += receipt.xp
        if today is None:
            tally = today = dict(tally)
        today[rule.id] = receipt.earned_today + receipt.xp
        outcomes.append(
            frozen(
                XpAwarded,
                event_id=event.id,
                learner=event.learner,
                at=at,
                xp=receipt.xp,
                total=xp,
                receipt=receipt,
                flags=flags,
            )
        )
    if xp != changes.get("xp", state.xp):
        changes["xp"] = xp
    if today is not None:
        changes["xp_today"] = MappingProxyType(today)
    if repeats is not None:
        changes["repeats"] = MappingProxyType(repeats)


def _receipt(
    rule: XpRule,
    names: tuple[str, ...],
    env: dict[str, object],
    repeat: int,
    earned: int,
) -> Receipt | None:
    value = rule.xp.evaluate(env)
    base = float(value) if isinstance(value, _NUMBERS) else 0.0
    if not math.isfinite(base):
        base = 0.0  # beyond float range (10 / 1e-310): no whole XP to give
    factor = max(rule.repeat_floor, rule.repeat_decay**repeat) if repeat else 1.0
    amount = max(0, round(base * factor))
    capped = rule.daily_cap is not None and earned + amount > rule.daily_cap
    if capped:
        amount = max(0, (rule.daily_cap or 0) - earned)
    elif amount == 0:
        return None
    return frozen(
        Receipt,
        rule=rule.id,
        formula=rule.xp.source,
        inputs=tuple((k, env[k]) for k in names if k in env),
        base=round(base, 6),
        factor=round(factor, 6) if repeat else factor,
        repeat=repeat,
        daily_cap=rule.daily_cap,
        earned_today=earned,
        capped=capped,
        xp=amount,
    )


def _input_names(program: Program) -> dict[int, tuple[str, ...]]:
    """Per rule (by identity), the names its formula reads, sorted as receipts are.

    The program holds its rules for as long as its memo lives, so their ids
    stay theirs.
    """
    found = program.memo.get(_input_names)
    if found is None:
        found = {id(r): tuple(sorted(r.xp.names)) for r in program.xp_rules}
        program.memo[_input_names] = found
    return cast("dict[int, tuple[str, ...]]", found)
