"""SQL store of group PK definitions (SQLite and PostgreSQL) over ``tables_pk``."""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import Engine, select, update
from sqlalchemy.dialects import postgresql, sqlite

from levelwise.adapters.sql.driver import store_errors
from levelwise.adapters.sql.engine import reader, writing
from levelwise.adapters.sql.tables.pk import pks
from levelwise.app.recognition.ports import PkSpec
from levelwise.errors import PkNotFoundError


def _spec(row: Any) -> PkSpec:
    teams = tuple((team, tuple(members)) for team, members in orjson.loads(row.teams))
    return PkSpec(
        pk=row.pk,
        teams=teams,
        rounds=row.rounds,
        cohort=row.cohort,
        started_at=row.started_at,
        start_position=row.start_position,
        finished_at=row.finished_at,
        final_position=row.final_position,
    )


class SqlPkStore:
    """PK definitions in the event log's database.

    Args:
        engine: The log's engine.
    """

    def __init__(self, engine: Engine) -> None:
        """Keep the engine; reads use its read-only twin."""
        self._engine = engine
        self._reader = reader(engine)

    def create(self, tenant: str, spec: PkSpec) -> PkSpec:
        """Store ``spec`` unless its id exists; return the stored definition."""
        values = {
            "tenant": tenant,
            "pk": spec.pk,
            "teams": orjson.dumps(spec.teams).decode(),
            "rounds": spec.rounds,
            "cohort": spec.cohort,
            "started_at": spec.started_at,
            "start_position": spec.start_position,
        }
        dialect = postgresql if self._engine.dialect.name == "postgresql" else sqlite
        statement = (
            dialect.insert(pks)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["tenant", "pk"])
        )
        with store_errors(), writing(self._engine) as c:
            c.execute(statement)
            row = c.execute(self._select(tenant, spec.pk)).one()
        return _spec(row)

    @staticmethod
    def _select(tenant: str, pk: str) -> Any:
        return select(pks).where(pks.c.tenant == tenant, pks.c.pk == pk)

    def get(self, tenant: str, pk: str) -> PkSpec | None:
        """The PK, or None."""
        with store_errors(), self._reader.connect() as c:
            row = c.execute(self._select(tenant, pk)).one_or_none()
        return None if row is None else _spec(row)

    def finish(self, tenant: str, pk: str, finished_at: str, position: int) -> PkSpec:
        """Mark the PK finished unless it is; return the stored definition.

        Raises:
            PkNotFoundError: The PK does not exist.
        """
        statement = (
            update(pks)
            .where(pks.c.tenant == tenant, pks.c.pk == pk, pks.c.finished_at.is_(None))
            .values(finished_at=finished_at, final_position=position)
        )
        with store_errors(), writing(self._engine) as c:
            c.execute(statement)
            row = c.execute(self._select(tenant, pk)).one_or_none()
        if row is None:
            msg = f"PK {pk!r} does not exist in this school"
            raise PkNotFoundError(msg)
        return _spec(row)
