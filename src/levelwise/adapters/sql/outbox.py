"""The SQL outbox: notifications in the ingest transaction, webhook queue and log."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Engine, and_, bindparam, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql import Insert

from levelwise.adapters.sql.driver import chunks, store_errors, upsert
from levelwise.adapters.sql.engine import reader
from levelwise.adapters.sql.tables.outbox import (
    outbox,
    webhook_attempts,
    webhook_deliveries,
    webhook_endpoints,
)
from levelwise.app.notify.ports import Attempt, Delivery, Endpoint, Notification

_NOTIFICATION = (
    "notification_id",
    "learner",
    "cohort",
    "kind",
    "event_id",
    "program_version",
    "at",
    "created_at",
    "body",
    "position",
)
_ENDPOINT = ("endpoint_id", "url", "secret", "kinds", "created_at")
_ATTEMPT = (
    "tenant",
    "notification_id",
    "endpoint_id",
    "attempt",
    "at",
    "status_code",
    "error",
    "duration_ms",
)


def _insert_new(dialect: str, table: Any, keys: Sequence[str]) -> Insert:
    """``INSERT ... ON CONFLICT (keys) DO NOTHING``."""
    if dialect == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing(index_elements=keys)
    return sqlite.insert(table).on_conflict_do_nothing(index_elements=keys)


def _endpoint(row: Any) -> Endpoint:
    return Endpoint(row[0], row[1], row[2], tuple(row[3].split()), row[4])


def _takes(endpoint: Endpoint, kind: str) -> bool:
    return not endpoint.kinds or kind in endpoint.kinds


def _endpoints(connection: Connection, tenant: str) -> list[Endpoint]:
    c = webhook_endpoints.c
    query = (
        select(*(c[k] for k in _ENDPOINT))
        .where(c.tenant == tenant)
        .order_by(c.created_at, c.endpoint_id)
    )
    return [_endpoint(row) for row in connection.execute(query)]


def _queue(
    connection: Connection,
    tenant: str,
    pairs: Sequence[tuple[str, str]],
    now: str,
    *,
    reset: bool,
) -> None:
    """Queue ``(notification id, endpoint id)`` deliveries, due at ``now``."""
    if not pairs:
        return
    rows = [
        {
            "tenant": tenant,
            "notification_id": nid,
            "endpoint_id": eid,
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": now,
        }
        for nid, eid in pairs
    ]
    dialect = connection.dialect.name
    if reset:
        statement = upsert(
            dialect, webhook_deliveries, ("status", "attempts", "next_attempt_at")
        )
    else:
        keys = ("tenant", "notification_id", "endpoint_id")
        statement = _insert_new(dialect, webhook_deliveries, keys)
    connection.execute(statement, rows)


class SqlOutboxSession:
    """The outbox inside one ``_SqlSession`` transaction."""

    def __init__(self, connection: Connection, tenant: str) -> None:
        """Write through ``connection`` (its transaction) for ``tenant``."""
        self._conn = connection
        self._tenant = tenant

    @property
    def tenant(self) -> str:
        """The session's tenant."""
        return self._tenant

    def add_notifications(self, notifications: Sequence[Notification]) -> int:
        """Insert the notifications whose id is new and queue their deliveries."""
        c = outbox.c
        known: set[str] = set()
        with store_errors():
            for chunk in chunks([n.id for n in notifications]):
                query = select(c.notification_id).where(
                    c.tenant == self._tenant, c.notification_id.in_(chunk)
                )
                known.update(self._conn.execute(query).scalars())
            new = {n.id: n for n in notifications if n.id not in known}
            if not new:
                return 0
            rows = [
                {
                    "tenant": self._tenant,
                    **{k: getattr(n, k) for k in _NOTIFICATION[1:-1]},
                    "notification_id": n.id,
                }
                for n in new.values()
            ]
            keys = ("tenant", "notification_id")
            statement = _insert_new(self._conn.dialect.name, outbox, keys)
            self._conn.execute(statement, rows)
            endpoints = _endpoints(self._conn, self._tenant)
            pairs = [
                (n.id, e.id)
                for n in new.values()
                for e in endpoints
                if _takes(e, n.kind)
            ]
            now = min(n.created_at for n in new.values())
            _queue(self._conn, self._tenant, pairs, now, reset=False)
        return len(new)


class SqlOutbox:
    """Every tenant's committed outbox, endpoints, delivery queue and log.

    Args:
        engine: The event log's engine (migrated).
    """

    def __init__(self, engine: Engine) -> None:
        """Keep the engine; nothing is opened yet."""
        self._engine = engine
        self._reader = reader(engine)

    def notifications(
        self,
        tenant: str,
        *,
        after: int = 0,
        learner: str | None = None,
        cohort: str | None = None,
        limit: int = 100,
    ) -> list[Notification]:
        """A tenant's notifications after a position, oldest first."""
        c = outbox.c
        query = (
            select(*(c[k] for k in _NOTIFICATION))
            .where(c.tenant == tenant, c.position > after)
            .order_by(c.position)
            .limit(max(limit, 0))
        )
        if learner is not None:
            query = query.where(c.learner == learner)
        if cohort is not None:
            query = query.where(c.cohort == cohort)
        with store_errors(), self._reader.begin() as connection:
            return [Notification(*row) for row in connection.execute(query)]

    def last_position(self, tenant: str) -> int:
        """The greatest position of the tenant's notifications (0 if none)."""
        c = outbox.c
        query = select(func.coalesce(func.max(c.position), 0)).where(c.tenant == tenant)
        with store_errors(), self._reader.begin() as connection:
            return int(connection.execute(query).scalar_one())

    def add_endpoint(self, tenant: str, endpoint: Endpoint) -> None:
        """Store a new endpoint."""
        row = {
            "tenant": tenant,
            "endpoint_id": endpoint.id,
            "url": endpoint.url,
            "secret": endpoint.secret,
            "kinds": " ".join(endpoint.kinds),
            "created_at": endpoint.created_at,
        }
        with store_errors(), self._engine.begin() as connection:
            connection.execute(webhook_endpoints.insert(), row)

    def endpoints(self, tenant: str) -> list[Endpoint]:
        """The tenant's endpoints, oldest first."""
        with store_errors(), self._reader.begin() as connection:
            return _endpoints(connection, tenant)

    def remove_endpoint(self, tenant: str, endpoint_id: str) -> bool:
        """Delete an endpoint and its queued deliveries; False if unknown."""
        e, d = webhook_endpoints.c, webhook_deliveries.c
        with store_errors(), self._engine.begin() as connection:
            gone = connection.execute(
                webhook_endpoints.delete().where(
                    e.tenant == tenant, e.endpoint_id == endpoint_id
                )
            )
            connection.execute(
                webhook_deliveries.delete().where(
                    d.tenant == tenant, d.endpoint_id == endpoint_id
                )
            )
        return bool(gone.rowcount)

    def claim_due(
        self, now: str, lease_until: str, limit: int, tenant: str | None = None
    ) -> list[Delivery]:
        """Pending deliveries due at ``now``, postponed to ``lease_until``.

        On PostgreSQL the rows are locked with ``SKIP LOCKED``, so concurrent
        workers claim different deliveries; SQLite has one writer at a time.
        """
        d, o, e = webhook_deliveries.c, outbox.c, webhook_endpoints.c
        joined = webhook_deliveries.join(
            outbox, and_(o.tenant == d.tenant, o.notification_id == d.notification_id)
        ).join(
            webhook_endpoints,
            and_(e.tenant == d.tenant, e.endpoint_id == d.endpoint_id),
        )
        query = (
            select(d.tenant, d.notification_id, d.endpoint_id, e.url, e.secret, o.body)
            .add_columns(d.attempts)
            .select_from(joined)
            .where(d.status == "pending", d.next_attempt_at <= now)
            .order_by(d.next_attempt_at, d.tenant, d.notification_id, d.endpoint_id)
            .limit(max(limit, 0))
            .with_for_update(of=webhook_deliveries, skip_locked=True)
        )
        if tenant is not None:
            query = query.where(d.tenant == tenant)
        postpone = (
            update(webhook_deliveries)
            .where(
                d.tenant == bindparam("b_tenant"),
                d.notification_id == bindparam("b_nid"),
                d.endpoint_id == bindparam("b_eid"),
            )
            .values(next_attempt_at=lease_until)
        )
        with store_errors(), self._engine.begin() as connection:
            claimed = [Delivery(*row) for row in connection.execute(query)]
            if claimed:
                keys = [
                    {
                        "b_tenant": x.tenant,
                        "b_nid": x.notification_id,
                        "b_eid": x.endpoint_id,
                    }
                    for x in claimed
                ]
                connection.execute(postpone, keys)
        return claimed

    def record(self, attempt: Attempt, next_attempt_at: str | None) -> None:
        """Log an attempt and settle its delivery."""
        d = webhook_deliveries.c
        code = attempt.status_code
        changes: dict[str, Any] = {"attempts": attempt.attempt}
        if code is not None and 200 <= code < 300:
            changes["status"] = "delivered"
        elif next_attempt_at is None:
            changes["status"] = "failed"
        else:
            changes["next_attempt_at"] = next_attempt_at
        settle = (
            update(webhook_deliveries)
            .where(
                d.tenant == attempt.tenant,
                d.notification_id == attempt.notification_id,
                d.endpoint_id == attempt.endpoint_id,
            )
            .values(**changes)
        )
        row = {k: getattr(attempt, k) for k in _ATTEMPT}
        with store_errors(), self._engine.begin() as connection:
            connection.execute(webhook_attempts.insert(), row)
            connection.execute(settle)

    def attempts(
        self, tenant: str, endpoint_id: str, limit: int = 100
    ) -> list[Attempt]:
        """An endpoint's delivery log, newest first."""
        c = webhook_attempts.c
        query = (
            select(*(c[k] for k in _ATTEMPT))
            .where(c.tenant == tenant, c.endpoint_id == endpoint_id)
            .order_by(c.position.desc())
            .limit(max(limit, 0))
        )
        with store_errors(), self._reader.begin() as connection:
            return [Attempt(*row) for row in connection.execute(query)]

    def requeue(
        self,
        tenant: str,
        now: str,
        *,
        ids: Sequence[str] = (),
        since: str | None = None,
        until: str | None = None,
        endpoint_id: str | None = None,
    ) -> int:
        """Queue notifications again for the endpoints that take their kind."""
        c = outbox.c
        with store_errors(), self._engine.begin() as connection:
            picked: list[tuple[str, str]] = []
            if ids:
                for chunk in chunks(ids):
                    query = select(c.notification_id, c.kind).where(
                        c.tenant == tenant, c.notification_id.in_(chunk)
                    )
                    picked.extend((i, k) for i, k in connection.execute(query))
            elif since is not None:
                query = select(c.notification_id, c.kind).where(
                    c.tenant == tenant, c.created_at >= since
                )
                if until is not None:
                    query = query.where(c.created_at < until)
                picked.extend((i, k) for i, k in connection.execute(query))
            endpoints = [
                e for e in _endpoints(connection, tenant) if endpoint_id in (None, e.id)
            ]
            pairs = [(i, e.id) for i, k in picked for e in endpoints if _takes(e, k)]
            _queue(connection, tenant, pairs, now, reset=True)
        return len(pairs)
