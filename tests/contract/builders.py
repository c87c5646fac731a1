"""Builders of stored rows for the EventLog behaviour suite."""

from __future__ import annotations

import hashlib
import json

from levelwise.app.ports import Snapshot, StoredEvent, StoredOutcome


def at(second: int, day: int = 5) -> str:
    """A fixed-width UTC sort key, ``second`` seconds into a January day."""
    minutes, seconds = divmod(second, 60)
    hours, minutes = divmod(minutes, 60)
    return f"2026-01-{day:02d}T{hours:02d}:{minutes:02d}:{seconds:02d}.000000Z"


def stored_event(
    event_id: str, learner: str = "ana", when: str | None = None, **extra: object
) -> StoredEvent:
    """A stored ``lesson.watched`` event with its canonical body and digest."""
    occurred_at = when or at(0)
    data = {"id": event_id, "learner": learner, "occurred_at": occurred_at, **extra}
    body = json.dumps(data, sort_keys=True, separators=(",", ":"))
    digest = hashlib.sha256(body.encode()).hexdigest()
    return StoredEvent(
        event_id, learner, "lesson.watched", 1, occurred_at, body, digest
    )


def snapshot(learner: str = "ana", xp: int = 10, version: int = 1) -> Snapshot:
    """A learner's snapshot after some XP."""
    state = json.dumps({"learner": learner, "xp": xp})
    return Snapshot(learner, version, "a1", xp, at(xp), f"e-{xp}", xp // 10, state)


def outcome(
    event_id: str,
    seq: int = 0,
    *,
    learner: str = "ana",
    kind: str = "xp",
    when: str | None = None,
    version: int = 1,
) -> StoredOutcome:
    """One outcome of an event."""
    body = json.dumps({"kind": kind, "event": event_id, "seq": seq})
    return StoredOutcome(learner, event_id, seq, version, kind, when or at(0), body)


def checkpoint(
    learner: str = "ana",
    events: int = 200,
    *,
    when: str | None = None,
    event_id: str | None = None,
    version: int = 1,
    xp: int = 0,
) -> Snapshot:
    """A learner's checkpoint after ``events`` events (keyed by its last event)."""
    state = json.dumps({"learner": learner, "events": events, "xp": xp})
    last_at = when or at(events)
    last_id = event_id or f"e-{events:04d}"
    return Snapshot(learner, version, "a1", xp, last_at, last_id, events, state)
