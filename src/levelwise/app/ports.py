"""Ports: what the use cases need from storage, as Protocols."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple, Protocol

import orjson

from levelwise.domain import codec
from levelwise.domain.outcomes import Outcome
from levelwise.domain.state import LearnerState

if TYPE_CHECKING:
    from levelwise.app.notify.ports import Outbox, OutboxSession

Key = tuple[str, str]
"""A position in a learner's log: ``(occurred_at, event_id)``."""


@dataclass(frozen=True)
class StoredEvent:
    """An event as the log keeps it: an opaque, canonical JSON body.

    Attributes:
        event_id: The client's id, unique per tenant.
        learner: The learner it belongs to.
        type: The wire type (``lesson.watched``).
        version: The body's schema version (for upcasting).
        occurred_at: UTC sort key (``YYYY-MM-DDTHH:MM:SS.ffffffZ``).
        body: Canonical JSON of the validated event.
        digest: SHA-256 of ``body``; equal digests mean the same event.
    """

    event_id: str
    learner: str
    type: str
    version: int
    occurred_at: str
    body: str
    digest: str


@dataclass(frozen=True)
class Snapshot:
    """A learner's folded state (a projection; rebuilt by replay).

    The same shape serves as a checkpoint: the state right after the event
    ``(last_at, last_id)``, kept so that a late event need not re-fold from
    the start.

    Attributes:
        learner: The learner.
        program_version: The program version that produced it.
        level: The current level's id.
        xp: Total XP.
        last_at: ``occurred_at`` of the last folded event.
        last_id: Id of the last folded event.
        events: How many events were folded.
        state: The full state as canonical JSON.
    """

    learner: str
    program_version: int
    level: str
    xp: int
    last_at: str
    last_id: str
    events: int
    state: str

    def learner_state(self) -> LearnerState:
        """The learner state this snapshot holds, decoded."""
        return codec.state_from_dict(orjson.loads(self.state))


@dataclass(frozen=True)
class StoredOutcome:
    """One fold outcome (XP with receipt, level reached, unit completed).

    Attributes:
        learner: The learner.
        event_id: The event that produced it.
        seq: Its position among that event's outcomes.
        program_version: The program version that decided it.
        kind: ``xp`` | ``level_reached`` | ``level_lost`` | ``unit_completed``.
        at: ``occurred_at`` of the event (UTC sort key).
        body: The outcome as canonical JSON.
    """

    learner: str
    event_id: str
    seq: int
    program_version: int
    kind: str
    at: str
    body: str


class Decision(NamedTuple):
    """One outcome the fold decided, with the event that caused it.

    A named tuple, not a frozen dataclass: one is made per outcome on the
    ingest path, and a tuple is built in a quarter of the time.

    Attributes:
        learner: The learner.
        event_id: The event that caused it.
        seq: Its place among that event's outcomes.
        at: The event's UTC sort key.
        outcome: The outcome itself.
    """

    learner: str
    event_id: str
    seq: int
    at: str
    outcome: Outcome

    @property
    def kind(self) -> str:
        """The outcome's stored kind (``xp``, ``level``, ``badge``...)."""
        return codec.OUTCOME_KINDS[type(self.outcome)]


@dataclass(frozen=True)
class StoredProgram:
    """A stored program version with its source text."""

    version: int
    source: str
    digest: str
    created_at: str


@dataclass(frozen=True)
class StoredPlacement:
    """A placement test session as the store keeps it.

    Attributes:
        session_id: The session's id (unique per tenant).
        learner: The learner taking the test.
        program_version: The program version whose item bank it uses.
        status: ``open`` or ``finished``.
        state: The CAT state as JSON (opaque to the store).
        created_at: When it was started (Clock time).
        updated_at: When it last changed (Clock time); for a finished session,
            when it finished.
    """

    session_id: str
    learner: str
    program_version: int
    status: str
    state: str
    created_at: str
    updated_at: str


class LogSession(Protocol):
    """One tenant's view of the store inside one transaction.

    Everything written in a session commits together or not at all.
    """

    @property
    def outbox(self) -> OutboxSession:
        """The notification outbox, written in this transaction."""
        ...

    def lock_learners(self, learners: Sequence[str]) -> None:
        """Serialise writers per learner until the transaction ends."""
        ...

    def digests(self, event_ids: Sequence[str]) -> dict[str, str]:
        """The digests of those ids that are already stored."""
        ...

    def append(self, events: Sequence[StoredEvent]) -> None:
        """Append new events (ids not stored yet)."""
        ...

    def history(self, learner: str, after: Key | None = None) -> list[StoredEvent]:
        """A learner's events in ``(occurred_at, event_id)`` order.

        Args:
            learner: The learner.
            after: If given, only the events whose ``(occurred_at, event_id)``
                is greater than this key.
        """
        ...

    def learners(self) -> list[str]:
        """Every learner with events, sorted."""
        ...

    def snapshots(self, learners: Sequence[str]) -> dict[str, Snapshot]:
        """The stored snapshots of those learners that have one."""
        ...

    def put_snapshots(self, snapshots: Sequence[Snapshot]) -> None:
        """Insert or replace snapshots (one per learner)."""
        ...

    def add_outcomes(self, outcomes: Sequence[StoredOutcome]) -> None:
        """Record outcomes."""
        ...

    def clear_outcomes(
        self, learner: str, program_version: int, after: Key | None = None
    ) -> None:
        """Forget a learner's outcomes of one program version (before a re-fold).

        Args:
            learner: The learner.
            program_version: The program version whose outcomes go.
            after: If given, only the outcomes whose ``(at, event_id)`` is
                greater than this key go; earlier ones stay.
        """
        ...

    def outcomes(
        self,
        learner: str,
        program_version: int,
        kinds: Sequence[str] = (),
        limit: int = 100,
    ) -> list[StoredOutcome]:
        """A learner's outcomes of a version, newest first (by ``at``, then event)."""
        ...

    def put_checkpoints(self, checkpoints: Sequence[Snapshot]) -> None:
        """Insert or replace checkpoints: a learner's state after some event.

        A checkpoint is keyed by learner, program version and the key
        ``(last_at, last_id)`` of the last event it folded; a late event
        re-folds from the newest checkpoint before it instead of from the start.
        """
        ...

    def checkpoint_before(
        self, learner: str, program_version: int, key: Key
    ) -> Snapshot | None:
        """The newest checkpoint of that learner and version before ``key``.

        Args:
            learner: The learner.
            program_version: The program version that folded it.
            key: An ``(occurred_at, event_id)`` key; only checkpoints whose
                ``(last_at, last_id)`` is less than it qualify.

        Returns:
            The checkpoint with the greatest such key, or None.
        """
        ...

    def clear_checkpoints(
        self, learner: str, program_version: int, after: Key | None = None
    ) -> None:
        """Forget a learner's checkpoints of one program version (before a re-fold).

        Args:
            learner: The learner.
            program_version: The program version whose checkpoints go.
            after: If given, only the checkpoints whose ``(last_at, last_id)``
                is greater than this key go.
        """
        ...

    def save_program(self, source: str, digest: str, created_at: str) -> int:
        """Store a new program version and return its number (1, 2, ...)."""
        ...

    def program(self, version: int | None = None) -> StoredProgram | None:
        """A stored program version (default: the newest), or None."""
        ...

    def put_placement(self, placement: StoredPlacement) -> None:
        """Insert a placement session or replace it (``created_at`` is kept)."""
        ...

    def placement(self, session_id: str) -> StoredPlacement | None:
        """A placement session of this tenant, or None."""
        ...

    def placement_exposure(self) -> str | None:
        """The tenant's item exposure history as JSON, or None if none yet."""
        ...

    def put_placement_exposure(self, exposure: str) -> None:
        """Replace the tenant's item exposure history (JSON)."""
        ...


class EventLog(Protocol):
    """The event log, projections and program versions of every tenant."""

    @property
    def outbox(self) -> Outbox:
        """The committed notification outbox and webhook deliveries."""
        ...

    def session(self, tenant: str) -> AbstractContextManager[LogSession]:
        """Open a transaction scoped to ``tenant``; it commits when the block exits."""
        ...

    def read(self, tenant: str) -> AbstractContextManager[LogSession]:
        """Open a read-only view of ``tenant``: one consistent snapshot.

        It never waits for writers and writers never wait for it. Its write
        methods raise ``StoreError`` (nothing is written).
        """
        ...

    def tenant_for_key(self, key_digest: str) -> str | None:
        """The tenant an API key (by SHA-256 digest) belongs to, if any."""
        ...

    def add_key(self, tenant: str, key_digest: str, label: str) -> None:
        """Bind an API key (by digest) to a tenant."""
        ...


class Clock(Protocol):
    """Where the app reads the time (``recorded_at``, program dates, forecasts)."""

    def now_iso(self) -> str:
        """The current time as a UTC ISO string."""
        ...
