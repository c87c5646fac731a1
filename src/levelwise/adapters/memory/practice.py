"""In-memory practice sessions: same contract as the SQL store."""

from __future__ import annotations

import threading

from levelwise.app.practice.ports import SessionRecord
from levelwise.errors import PracticeNotFoundError


class InMemoryPracticeStore:
    """Every tenant's practice sessions in a dictionary."""

    def __init__(self) -> None:
        """Start empty."""
        self._records: dict[tuple[str, str], SessionRecord] = {}
        self._lock = threading.Lock()

    def create(self, tenant: str, record: SessionRecord) -> None:
        """Store a new session (its id is new)."""
        with self._lock:
            self._records[(tenant, record.session)] = record

    def get(self, tenant: str, session: str) -> SessionRecord | None:
        """The session, or None (also for another school's session)."""
        with self._lock:
            return self._records.get((tenant, session))

    def save(self, tenant: str, record: SessionRecord) -> None:
        """Replace the stored session with ``record``.

        Raises:
            PracticeNotFoundError: The session does not exist in this school.
        """
        with self._lock:
            if (tenant, record.session) not in self._records:
                msg = (
                    f"practice session {record.session!r} does not exist in this school"
                )
                raise PracticeNotFoundError(msg)
            self._records[(tenant, record.session)] = record
