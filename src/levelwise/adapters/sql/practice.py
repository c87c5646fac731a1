"""SQL store of practice sessions (SQLite and PostgreSQL) over ``practice_sessions``."""

from __future__ import annotations

from sqlalchemy import Engine, insert, select, update

from levelwise.adapters.sql.driver import store_errors
from levelwise.adapters.sql.engine import reader, writing
from levelwise.adapters.sql.tables.practice import practice_sessions as t
from levelwise.app.practice.ports import SessionRecord, record_from_json, record_json
from levelwise.errors import PracticeNotFoundError


class SqlPracticeStore:
    """Practice sessions in the event log's database, one JSON document each.

    Args:
        engine: The log's engine.
    """

    def __init__(self, engine: Engine) -> None:
        """Keep the engine; reads use its read-only twin."""
        self._engine = engine
        self._reader = reader(engine)

    def create(self, tenant: str, record: SessionRecord) -> None:
        """Store a new session (its id is new)."""
        statement = insert(t).values(
            tenant=tenant,
            session=record.session,
            learner=record.learner,
            status=record.status,
            started_at=record.started_at,
            doc=record_json(record),
        )
        with store_errors(), writing(self._engine) as c:
            c.execute(statement)

    def get(self, tenant: str, session: str) -> SessionRecord | None:
        """The session, or None (also for another school's session)."""
        query = select(t.c.doc).where(t.c.tenant == tenant, t.c.session == session)
        with store_errors(), self._reader.connect() as c:
            doc = c.execute(query).scalar_one_or_none()
        return None if doc is None else record_from_json(doc)

    def save(self, tenant: str, record: SessionRecord) -> None:
        """Replace the stored session with ``record``.

        Raises:
            PracticeNotFoundError: The session does not exist in this school.
        """
        statement = (
            update(t)
            .where(t.c.tenant == tenant, t.c.session == record.session)
            .values(status=record.status, doc=record_json(record))
        )
        with store_errors(), writing(self._engine) as c:
            done = c.execute(statement).rowcount
        if not done:
            msg = f"practice session {record.session!r} does not exist in this school"
            raise PracticeNotFoundError(msg)
