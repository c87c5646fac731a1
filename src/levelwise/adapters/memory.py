"""In-memory event log: for unit tests and ``--db memory``; same contract as SQL."""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from levelwise.app.ports import (
    LogSession,
    Snapshot,
    StoredEvent,
    StoredOutcome,
    StoredProgram,
)
from levelwise.errors import ConcurrencyError


@dataclass
class _Tenant:
    events: dict[str, StoredEvent] = field(default_factory=dict)
    by_learner: dict[str, list[StoredEvent]] = field(default_factory=dict)
    snapshots: dict[str, Snapshot] = field(default_factory=dict)
    outcomes: dict[tuple[str, int], list[StoredOutcome]] = field(default_factory=dict)
    programs: list[StoredProgram] = field(default_factory=list)


class _MemorySession:
    def __init__(self, data: _Tenant) -> None:
        self.data = data

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

    def history(self, learner: str) -> list[StoredEvent]:
        rows = self.data.by_learner.get(learner, [])
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

    def clear_outcomes(self, learner: str, program_version: int) -> None:
        self.data.outcomes.pop((learner, program_version), None)

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

    def save_program(self, source: str, digest: str, created_at: str) -> int:
        version = len(self.data.programs) + 1
        self.data.programs.append(StoredProgram(version, source, digest, created_at))
        return version

    def program(self, version: int | None = None) -> StoredProgram | None:
        programs = self.data.programs
        if version is None:
            return programs[-1] if programs else None
        return programs[version - 1] if 0 < version <= len(programs) else None


class InMemoryEventLog:
    """Keeps every tenant's log in dictionaries.

    A session works on a copy of the tenant's data and swaps it in on success,
    so a failed transaction changes nothing, as with a database.
    """

    def __init__(self) -> None:
        """Start empty."""
        self._tenants: dict[str, _Tenant] = {}
        self._keys: dict[str, str] = {}
        self._lock = threading.RLock()

    @contextmanager
    def session(self, tenant: str) -> Iterator[LogSession]:
        """Open a transaction on ``tenant``; commits when the block exits cleanly."""
        with self._lock:
            current = self._tenants.get(tenant, _Tenant())
            work = copy.copy(current)
            work.events = dict(current.events)
            work.by_learner = {k: list(v) for k, v in current.by_learner.items()}
            work.snapshots = dict(current.snapshots)
            work.outcomes = {k: list(v) for k, v in current.outcomes.items()}
            work.programs = list(current.programs)
            yield _MemorySession(work)
            self._tenants[tenant] = work

    def tenant_for_key(self, key_digest: str) -> str | None:
        """The tenant bound to this key digest."""
        return self._keys.get(key_digest)

    def add_key(self, tenant: str, key_digest: str, label: str) -> None:  # noqa: ARG002
        """Bind a key digest to a tenant (labels are not kept in memory)."""
        self._keys[key_digest] = tenant
