"""In-memory event log: for unit tests and ``--db memory``; same contract as SQL."""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import NoReturn

from levelwise.adapters.memory.outbox import MemoryOutbox, ReadOnlyOutbox
from levelwise.app.notify.ports import OutboxSession
from levelwise.app.ports import (
    Key,
    LogSession,
    Snapshot,
    StoredEvent,
    StoredOutcome,
    StoredPlacement,
    StoredProgram,
)
from levelwise.errors import ConcurrencyError, StoreError

_Checkpoints = dict[tuple[str, int], dict[Key, Snapshot]]


@dataclass
class _Tenant:
    events: dict[str, StoredEvent] = field(default_factory=dict)
    by_learner: dict[str, list[StoredEvent]] = field(default_factory=dict)
    snapshots: dict[str, Snapshot] = field(default_factory=dict)
    outcomes: dict[tuple[str, int], list[StoredOutcome]] = field(default_factory=dict)
    checkpoints: _Checkpoints = field(default_factory=dict)
    programs: list[StoredProgram] = field(default_factory=list)
    placements: dict[str, StoredPlacement] = field(default_factory=dict)
    exposure: str | None = None

    def copy(self) -> _Tenant:
        """A copy that can change without touching this one (rows are frozen)."""
        work = copy.copy(self)
        work.events = dict(self.events)
        work.by_learner = {k: list(v) for k, v in self.by_learner.items()}
        work.snapshots = dict(self.snapshots)
        work.outcomes = {k: list(v) for k, v in self.outcomes.items()}
        work.checkpoints = {k: dict(v) for k, v in self.checkpoints.items()}
        work.programs = list(self.programs)
        work.placements = dict(self.placements)
        return work


class _MemorySession:
    def __init__(self, data: _Tenant, outbox: OutboxSession | None = None) -> None:
        self.data = data
        self.outbox = outbox or ReadOnlyOutbox()

    def lock_learners(self, learners: Sequence[str]) -> None:
        """Nothing to do: the log holds one lock for the whole transaction."""

    def digests(self, event_ids: Sequence[str]) -> dict[str, str]:
        events = self.data.events
        return {i: events[i].digest for i in event_ids if i in events}

    def append(self, events: Sequence[StoredEvent]) -> None:
        for event in events:
            if event.event_id in self.data.events:
                msg = f"event {event.event_id!r} is already stored"
                raise ConcurrencyError(msg)
            self.data.events[event.event_id] = event
            self.data.by_learner.setdefault(event.learner, []).append(event)

    def history(self, learner: str, after: Key | None = None) -> list[StoredEvent]:
        rows = self.data.by_learner.get(learner, [])
        if after is not None:
            rows = [e for e in rows if (e.occurred_at, e.event_id) > after]
        return sorted(rows, key=lambda e: (e.occurred_at, e.event_id))

    def learners(self) -> list[str]:
        return sorted(self.data.by_learner)

    def snapshots(self, learners: Sequence[str]) -> dict[str, Snapshot]:
        snaps = self.data.snapshots
        return {i: snaps[i] for i in learners if i in snaps}

    def put_snapshots(self, snapshots: Sequence[Snapshot]) -> None:
        for snap in snapshots:
            self.data.snapshots[snap.learner] = snap

    def add_outcomes(self, outcomes: Sequence[StoredOutcome]) -> None:
        for outcome in outcomes:
            key = (outcome.learner, outcome.program_version)
            self.data.outcomes.setdefault(key, []).append(outcome)

    def clear_outcomes(
        self, learner: str, program_version: int, after: Key | None = None
    ) -> None:
        key = (learner, program_version)
        if after is None:
            self.data.outcomes.pop(key, None)
        elif key in self.data.outcomes:
            rows = self.data.outcomes[key]
            self.data.outcomes[key] = [o for o in rows if (o.at, o.event_id) <= after]

    def outcomes(
        self,
        learner: str,
        program_version: int,
        kinds: Sequence[str] = (),
        limit: int = 100,
    ) -> list[StoredOutcome]:
        rows = self.data.outcomes.get((learner, program_version), [])
        if kinds:
            rows = [o for o in rows if o.kind in kinds]
        ordered = sorted(rows, key=lambda o: (o.at, o.event_id, o.seq), reverse=True)
        return ordered[:limit]

    def put_checkpoints(self, checkpoints: Sequence[Snapshot]) -> None:
        for point in checkpoints:
            kept = self.data.checkpoints.setdefault(
                (point.learner, point.program_version), {}
            )
            kept[(point.last_at, point.last_id)] = point

    def checkpoint_before(
        self, learner: str, program_version: int, key: Key
    ) -> Snapshot | None:
        kept = self.data.checkpoints.get((learner, program_version), {})
        earlier = [k for k in kept if k < key]
        return kept[max(earlier)] if earlier else None

    def clear_checkpoints(
        self, learner: str, program_version: int, after: Key | None = None
    ) -> None:
        key = (learner, program_version)
        if after is None:
            self.data.checkpoints.pop(key, None)
        elif key in self.data.checkpoints:
            kept = self.data.checkpoints[key]
            self.data.checkpoints[key] = {k: v for k, v in kept.items() if k <= after}

    def save_program(self, source: str, digest: str, created_at: str) -> int:
        version = len(self.data.programs) + 1
        self.data.programs.append(StoredProgram(version, source, digest, created_at))
        return version

    def program(self, version: int | None = None) -> StoredProgram | None:
        programs = self.data.programs
        if version is None:
            return programs[-1] if programs else None
        return programs[version - 1] if 0 < version <= len(programs) else None

    def put_placement(self, placement: StoredPlacement) -> None:
        old = self.data.placements.get(placement.session_id)
        if old is not None:
            placement = replace(placement, created_at=old.created_at)
        self.data.placements[placement.session_id] = placement

    def placement(self, session_id: str) -> StoredPlacement | None:
        return self.data.placements.get(session_id)

    def placement_exposure(self) -> str | None:
        return self.data.exposure

    def put_placement_exposure(self, exposure: str) -> None:
        self.data.exposure = exposure


def _read_only(*_: object, **__: object) -> NoReturn:
    msg = "this session only reads; open a write session to change the log"
    raise StoreError(msg)


class _ReadSession(_MemorySession):
    """A read-only view of committed data, shared without a copy.

    A write session never changes the data it started from (it swaps in a
    changed copy), so this view stays consistent; its writes raise.
    """

    append = put_snapshots = add_outcomes = clear_outcomes = _read_only
    put_checkpoints = clear_checkpoints = save_program = _read_only
    put_placement = put_placement_exposure = _read_only


class InMemoryEventLog:
    """Keeps every tenant's log in dictionaries.

    A session works on a copy of the tenant's data and swaps it in on success,
    so a failed transaction changes nothing, as with a database. A read
    session shares the committed data without a copy and without the lock.
    """

    def __init__(self) -> None:
        """Start empty."""
        self._tenants: dict[str, _Tenant] = {}
        self._keys: dict[str, str] = {}
        self._lock = threading.RLock()
        self.outbox = MemoryOutbox()

    @contextmanager
    def session(self, tenant: str) -> Iterator[LogSession]:
        """Open a transaction on ``tenant``; commits when the block exits cleanly."""
        with self._lock:
            work = self._tenants.get(tenant, _Tenant()).copy()
            staged = self.outbox.stage(tenant)
            yield _MemorySession(work, staged)
            self._tenants[tenant] = work
            staged.commit()

    @contextmanager
    def read(self, tenant: str) -> Iterator[LogSession]:
        """Open a read-only view of ``tenant``'s committed data.

        Raises:
            StoreError: On any write through the view.
        """
        yield _ReadSession(self._tenants.get(tenant, _Tenant()))

    def tenant_for_key(self, key_digest: str) -> str | None:
        """The tenant bound to this key digest."""
        return self._keys.get(key_digest)

    def add_key(self, tenant: str, key_digest: str, label: str) -> None:  # noqa: ARG002
        """Bind a key digest to a tenant (labels are not kept in memory)."""
        self._keys[key_digest] = tenant
