"""Fold a learner's events into what is stored: snapshots, receipts, checkpoints.

A checkpoint is the learner's state after every ``CHECKPOINT_EVERY`` events of
the time-sorted log. A late event re-folds the learner from the last checkpoint
before it instead of from the start, so the state still equals a fresh fold of
the sorted log (ARCHITECTURE.md, "The fold is pure and deterministic") while the
work stays bounded by the checkpoint interval plus the events after the late one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

from levelwise.app.ingest.wire import from_body
from levelwise.app.ports import Decision, LogSession, Snapshot, StoredOutcome
from levelwise.domain import codec
from levelwise.domain.events import Event
from levelwise.domain.fold import fold, initial_state, voided_in
from levelwise.domain.mastery import MasteryModel
from levelwise.domain.program import Program
from levelwise.domain.state import LearnerState

CHECKPOINT_EVERY = 200
"""Record a checkpoint each time a learner's folded event count reaches a
multiple of this. Larger means fewer rows and longer late-event re-folds."""


@dataclass
class Writes:
    """What folding decided in one transaction, kept as values until stored.

    Attributes:
        version: The program version the fold ran under.
        decisions: The outcomes, in fold order.
        checkpoints: Checkpoints to put.
    """

    version: int
    decisions: list[Decision] = field(default_factory=list)
    checkpoints: list[Snapshot] = field(default_factory=list)

    def store(self, s: LogSession) -> None:
        """Add the outcome rows and put the checkpoints (nothing when empty)."""
        if self.decisions:
            s.add_outcomes(
                [
                    StoredOutcome(
                        d.learner,
                        d.event_id,
                        d.seq,
                        self.version,
                        d.kind,
                        d.at,
                        dumps(codec.outcome_body(d.outcome)),
                    )
                    for d in self.decisions
                ]
            )
        if self.checkpoints:
            s.put_checkpoints(self.checkpoints)


def fold_into(
    state: LearnerState,
    events: list[Event],
    program: Program,
    model: MasteryModel,
    writes: Writes,
) -> LearnerState:
    """Fold ``events`` (sorted, all after ``state``) and collect what to store.

    The events voided by voidings among ``events`` are passed over, and so
    are those ``state`` knows are voided (see :func:`levelwise.domain.fold.fold`).

    Args:
        state: The learner's state before the first event.
        events: The events, in ``(occurred_at, id)`` order.
        program: The compiled program.
        model: Its mastery model.
        writes: Receives the decisions and checkpoints.

    Returns:
        The state after the last event.
    """
    decisions = writes.decisions
    voided = voided_in(events)
    for event in events:
        count = state.events
        state, outcomes = fold(state, event, program, model, voided)
        if outcomes:
            at = event.sort_key[0]
            for seq, outcome in enumerate(outcomes):
                decisions.append(Decision(state.learner, event.id, seq, at, outcome))
        # An event folded to nothing (an unmapped statement, a voided event)
        # moves no count and makes no checkpoint.
        if state.events != count and state.events % CHECKPOINT_EVERY == 0:
            writes.checkpoints.append(snapshot_of(state, program))
    return state


def rewind(
    s: LogSession,
    learner: str,
    since: Snapshot | None,
    new: list[Event],
    program: Program,
    model: MasteryModel,
) -> tuple[LearnerState, list[Event]]:
    """Forget a learner's projection after ``since`` and return what to re-fold.

    Clears the learner's outcomes and checkpoints of this program version that
    come after ``since`` (all of them when it is None), then loads the stored
    events after it.

    Args:
        s: The open session (the learner is locked).
        learner: The learner.
        since: The checkpoint to start from, or None for the initial state.
        new: Events not stored yet, all after ``since``; merged in order.
        program: The compiled program.
        model: Its mastery model.

    Returns:
        The state to fold from and the sorted events to fold into it.
    """
    after = None if since is None else (since.last_at, since.last_id)
    s.clear_outcomes(learner, program.version, after)
    s.clear_checkpoints(learner, program.version, after)
    events = [from_body(e.body, e.version) for e in s.history(learner, after)]
    if new:
        events.extend(new)
        events.sort(key=lambda e: e.sort_key)
    if since is None:
        return initial_state(learner, program, model), events
    return since.learner_state(), events


def snapshot_of(state: LearnerState, program: Program) -> Snapshot:
    """The stored projection (or checkpoint) of a state."""
    return Snapshot(
        learner=state.learner,
        program_version=program.version,
        level=program.levels[state.level].id,
        xp=state.xp,
        last_at=state.last_key[0],
        last_id=state.last_key[1],
        events=state.events,
        state=dumps(codec.state_to_dict(state)),
    )


def loads(text: str) -> Any:
    """Parse stored JSON."""
    return orjson.loads(text)


def dumps(data: object) -> str:
    """Canonical JSON (sorted keys, compact), as the domain codec defines it."""
    return orjson.dumps(data, option=orjson.OPT_SORT_KEYS).decode()
