"""SqlXapiStore: the xAPI record store in the ``xapi_*`` tables of the log's database.

Each statement's query keys (verb, agents, activities, registration) are rows of
``xapi_statement_keys``, together with the keys of the statements it refers to
through ``StatementRef`` (copied both ways when either arrives), so every filter
of ``GET statements`` is one indexed lookup. A school's writes of statements
queue on one lock (PostgreSQL: an advisory lock; SQLite: its single writer), so
``stored`` keys grow in commit order and ``more`` cursors never skip a statement.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    Insert,
    delete,
    func,
    literal,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from levelwise.adapters.sql.driver import chunks, store_errors
from levelwise.adapters.sql.engine import reader, writing
from levelwise.adapters.sql.tables.xapi import (
    xapi_attachments,
    xapi_clients,
    xapi_documents,
    xapi_feed,
    xapi_statement_keys,
    xapi_statements,
)
from levelwise.app.xapi.ports import (
    VOIDED,
    Attachment,
    Client,
    Cursor,
    Document,
    DocumentKey,
    DocumentKind,
    StatementPage,
    StatementQuery,
    StatementRecord,
    StoredStatement,
    check_condition,
    etag_of,
    merged,
    next_stored,
    unique_records,
    utc_key,
)
from levelwise.errors import PreconditionFailedError, StatementConflictError

_s = xapi_statements.c
_k = xapi_statement_keys.c
_a = xapi_attachments.c
_d = xapi_documents.c
_c = xapi_clients.c
_f = xapi_feed.c


def _now() -> datetime:
    return datetime.now(UTC)


def _insert(dialect: str, table: Any) -> Insert:
    module = postgresql if dialect == "postgresql" else sqlite
    insert: Insert = module.insert(table).on_conflict_do_nothing()
    return insert


def _fields(record: StatementRecord) -> str:
    return json.dumps(
        {
            "actors": record.actors,
            "object_activity": record.object_activity,
            "object_agents": record.object_agents,
            "related_activities": record.related_activities,
            "related_agents": record.related_agents,
            "attachments": record.attachments,
        },
        separators=(",", ":"),
    )


def _stored(row: Any) -> StoredStatement:
    f = json.loads(row.fields)
    record = StatementRecord(
        id=row.id,
        timestamp=row.timestamp,
        body=row.body,
        verb=row.verb,
        actors=tuple(f["actors"]),
        object_activity=f["object_activity"],
        object_agents=tuple(f["object_agents"]),
        related_activities=tuple(f["related_activities"]),
        related_agents=tuple(f["related_agents"]),
        registration=row.registration,
        target=row.target,
        attachments=tuple(f["attachments"]),
    )
    return StoredStatement(record, row.stored, bool(row.voided))


def _document(row: Any) -> Document:
    key = DocumentKey(row.kind, row.doc_id, row.activity, row.agent, row.registration)
    return Document(key, bytes(row.content), row.content_type, row.etag, row.updated)


def _where(tenant: str, key: DocumentKey) -> list[Any]:
    return [
        _d.tenant == tenant,
        _d.kind == key.kind,
        _d.activity == key.activity,
        _d.agent == key.agent,
        _d.registration == key.registration,
        _d.doc_id == key.id,
    ]


class SqlXapiStore:
    """The xAPI record store on SQLite or PostgreSQL.

    Args:
        engine: The event log's engine (from ``create_engine_for``, migrated).
        now: The clock that stamps ``stored`` and ``updated``.
    """

    def __init__(self, engine: Engine, now: Callable[[], datetime] = _now) -> None:
        """Keep the engine, a read-only view of it and the clock."""
        self._engine = engine
        self._reader = reader(engine)
        self._now = now
        self._dialect = engine.dialect.name

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with store_errors(), self._reader.begin() as connection:
            yield connection

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with store_errors(), writing(self._engine) as connection:
            yield connection

    def _rows(self, connection: Connection, tenant: str, ids: list[str]) -> list[Any]:
        rows: list[Any] = []
        for chunk in chunks(ids):
            query = select(xapi_statements).where(_s.tenant == tenant, _s.id.in_(chunk))
            rows.extend(connection.execute(query))
        return rows

    def put_statements(
        self,
        tenant: str,
        records: Sequence[StatementRecord],
        attachments: Sequence[Attachment] = (),
    ) -> list[StoredStatement]:
        """Store statements and attachments in one transaction (see ``StatementStore``).

        Raises:
            StatementConflictError: An id comes with another body.
            StoreError: The database failed.
        """
        unique = unique_records(records)
        with self._write() as c:
            if self._dialect == "postgresql":
                lock = text("SELECT pg_advisory_xact_lock(hashtextextended(:t, 17))")
                c.execute(lock, {"t": f"xapi:{tenant}"})
            old = {r.id: r for r in self._rows(c, tenant, [r.id for r in unique])}
            for record in unique:
                if record.id in old and old[record.id].body != record.body:
                    msg = f"statement {record.id} is stored with another body"
                    raise StatementConflictError(msg)
            fresh = [r for r in unique if r.id not in old]
            stored: dict[str, str] = {}
            voided: set[str] = set()
            if fresh:
                stored, voided = self._insert(c, tenant, fresh)
            if attachments:
                rows = [
                    {
                        "tenant": tenant,
                        "sha2": a.sha2,
                        "content_type": a.content_type,
                        "content": a.content,
                    }
                    for a in attachments
                ]
                c.execute(_insert(self._dialect, xapi_attachments), rows)
        # What this put did is known without reading it back: the fresh rows'
        # stored keys, and which statements (fresh or held) it voided.
        found: dict[str, StoredStatement] = {}
        for i, row in old.items():
            held = _stored(row)
            now_voided = i in voided and row.verb != VOIDED
            found[i] = replace(held, voided=held.voided or now_voided)
        for record in fresh:
            now_voided = record.id in voided and record.verb != VOIDED
            found[record.id] = StoredStatement(
                record, stored[record.id], now_voided, fresh=True
            )
        return [found[r.id] for r in records]

    def _insert(
        self, c: Connection, tenant: str, fresh: list[StatementRecord]
    ) -> tuple[dict[str, str], set[str]]:
        """Insert new statements, their keys, references and voiding.

        Returns:
            The ``stored`` key of each new statement, and the ids of the
            statements (held or new) that are voided now.
        """
        last = c.execute(
            select(func.max(_s.stored)).where(_s.tenant == tenant)
        ).scalar()
        rows = []
        for record in fresh:
            last = next_stored(self._now(), last)
            rows.append(
                {
                    "tenant": tenant,
                    "id": record.id,
                    "stored": last,
                    "timestamp": record.timestamp,
                    "verb": record.verb,
                    "registration": record.registration,
                    "target": record.target,
                    "voided": False,
                    "body": record.body,
                    "fields": _fields(record),
                }
            )
        c.execute(xapi_statements.insert(), rows)
        keys = [
            {"tenant": tenant, "kind": kind, "value": value, "statement": r.id}
            for r in fresh
            for kind, value in sorted(r.keys())
        ]
        add_keys = _insert(self._dialect, xapi_statement_keys)
        c.execute(add_keys, keys)
        fresh_ids = [r.id for r in fresh]
        referred: set[str] = set()
        voided: set[str] = set()
        for chunk in chunks(fresh_ids):
            query = select(_s.target, _s.verb).where(
                _s.tenant == tenant, _s.target.in_(chunk)
            )
            for target, verb in c.execute(query):
                referred.add(target)
                if verb == VOIDED:
                    voided.add(target)
        for record in fresh:
            if record.target is not None:
                self._inherit(c, tenant, record.id, record.target)
            if record.id in referred:
                self._pass_on(c, tenant, record.id)
        voided |= {r.voids for r in fresh if r.voids is not None}
        for chunk in chunks(sorted(voided)):
            c.execute(
                update(xapi_statements)
                .where(_s.tenant == tenant, _s.id.in_(chunk), _s.verb != VOIDED)
                .values(voided=True)
            )
        return {str(row["id"]): str(row["stored"]) for row in rows}, voided

    def _inherit(self, c: Connection, tenant: str, child: str, parent: str) -> None:
        """Give ``child`` every query key of ``parent`` (it refers to it)."""
        source = select(
            _k.tenant, _k.kind, _k.value, literal(child, _k.statement.type)
        ).where(_k.tenant == tenant, _k.statement == parent)
        insert = _insert(self._dialect, xapi_statement_keys)
        c.execute(insert.from_select(["tenant", "kind", "value", "statement"], source))

    def _pass_on(self, c: Connection, tenant: str, parent: str) -> None:
        """Give statements stored earlier that refer to ``parent`` its keys."""
        seen = {parent}
        todo = [parent]
        while todo:
            current = todo.pop()
            query = select(_s.id).where(_s.tenant == tenant, _s.target == current)
            for child in c.execute(query).scalars():
                if child not in seen:
                    seen.add(child)
                    self._inherit(c, tenant, child, current)
                    todo.append(child)

    def statement(
        self, tenant: str, statement_id: str, *, voided: bool = False
    ) -> StoredStatement | None:
        """One statement by id, voided ones only when ``voided``."""
        query = select(xapi_statements).where(
            _s.tenant == tenant, _s.id == statement_id, _s.voided == voided
        )
        with self._read() as c:
            row = c.execute(query).first()
        return None if row is None else _stored(row)

    def statements(self, tenant: str, query: StatementQuery) -> StatementPage:
        """A page of the statements that match ``query``."""
        sql = select(xapi_statements).where(_s.tenant == tenant, _s.voided.is_(False))
        for kind, value in query.filters():
            matching = select(_k.statement).where(
                _k.tenant == tenant, _k.kind == kind, _k.value == value
            )
            sql = sql.where(_s.id.in_(matching))
        if query.since is not None:
            sql = sql.where(_s.stored > query.since)
        if query.until is not None:
            sql = sql.where(_s.stored <= query.until)
        if query.after is not None:
            after = query.after.stored
            sql = sql.where(_s.stored > after if query.ascending else _s.stored < after)
        order = _s.stored.asc() if query.ascending else _s.stored.desc()
        with self._read() as c:
            rows = list(c.execute(sql.order_by(order).limit(query.limit + 1)))
        page = [_stored(r) for r in rows[: query.limit]]
        if len(rows) <= query.limit:
            return StatementPage(page, None)
        return StatementPage(page, Cursor(page[-1].stored, page[-1].id))

    def consistent_through(self, tenant: str) -> str:
        """Now: a statement is visible once its request is answered.

        Statements are stamped and committed under one writer per school
        (SQLite's write lock, PostgreSQL's advisory lock), so a query sees
        every statement whose PUT or POST has been answered.
        """
        del tenant
        return utc_key(self._now())

    def attachment(self, tenant: str, sha2: str) -> Attachment | None:
        """An attachment's content by its SHA-2."""
        query = select(_a.content_type, _a.content).where(
            _a.tenant == tenant, _a.sha2 == sha2
        )
        with self._read() as c:
            row = c.execute(query).first()
        return None if row is None else Attachment(sha2, row[0], bytes(row[1]))

    def document(self, tenant: str, key: DocumentKey) -> Document | None:
        """One document, or None."""
        with self._read() as c:
            row = c.execute(select(xapi_documents).where(*_where(tenant, key))).first()
        return None if row is None else _document(row)

    def _change(
        self,
        tenant: str,
        key: DocumentKey,
        content: bytes,
        content_type: str,
        conditions: tuple[str | None, bool],
        merge: bool,
    ) -> Document:
        expected_etag, must_not_exist = conditions
        with self._write() as c:
            current = select(xapi_documents).where(*_where(tenant, key))
            row = c.execute(current.with_for_update()).first()
            old = None if row is None else _document(row)
            check_condition(old, expected_etag, must_not_exist)
            if merge and old is not None:
                content = merged(old.content, content)
                content_type = "application/json"
            doc = Document(
                key, content, content_type, etag_of(content), utc_key(self._now())
            )
            values = {
                "content": doc.content,
                "content_type": doc.content_type,
                "etag": doc.etag,
                "updated": doc.updated,
            }
            if old is not None:
                c.execute(
                    update(xapi_documents).where(*_where(tenant, key)).values(values)
                )
                return doc
            row_values = {
                "tenant": tenant,
                "kind": key.kind,
                "activity": key.activity,
                "agent": key.agent,
                "registration": key.registration,
                "doc_id": key.id,
                **values,
            }
            try:
                c.execute(xapi_documents.insert(), row_values)
            except IntegrityError as exc:
                msg = "the document was created meanwhile"
                raise PreconditionFailedError(msg) from exc
            return doc

    def put_document(
        self,
        tenant: str,
        key: DocumentKey,
        content: bytes,
        content_type: str,
        *,
        expected_etag: str | None = None,
        must_not_exist: bool = False,
    ) -> Document:
        """Create or replace a document (PUT)."""
        conditions = (expected_etag, must_not_exist)
        return self._change(tenant, key, content, content_type, conditions, False)

    def merge_document(
        self,
        tenant: str,
        key: DocumentKey,
        content: bytes,
        content_type: str,
        *,
        expected_etag: str | None = None,
        must_not_exist: bool = False,
    ) -> Document:
        """Create a document or merge a JSON object into it (POST)."""
        conditions = (expected_etag, must_not_exist)
        return self._change(tenant, key, content, content_type, conditions, True)

    def delete_document(
        self, tenant: str, key: DocumentKey, *, expected_etag: str | None = None
    ) -> bool:
        """Delete a document; True when there was one."""
        with self._write() as c:
            current = select(xapi_documents).where(*_where(tenant, key))
            row = c.execute(current.with_for_update()).first()
            check_condition(
                None if row is None else _document(row), expected_etag, False
            )
            if row is None:
                return False
            c.execute(delete(xapi_documents).where(*_where(tenant, key)))
            return True

    def delete_documents(
        self,
        tenant: str,
        kind: DocumentKind,
        *,
        activity: str = "",
        agent: str = "",
        registration: str = "",
    ) -> int:
        """Delete every document of one activity/agent/registration; how many."""
        with self._write() as c:
            result = c.execute(
                delete(xapi_documents).where(
                    _d.tenant == tenant,
                    _d.kind == kind,
                    _d.activity == activity,
                    _d.agent == agent,
                    _d.registration == registration,
                )
            )
            return int(result.rowcount)

    def document_ids(
        self,
        tenant: str,
        kind: DocumentKind,
        *,
        activity: str = "",
        agent: str = "",
        registration: str = "",
        since: str | None = None,
    ) -> list[str]:
        """The ids of those documents (updated after ``since``), sorted."""
        query = select(_d.doc_id).where(
            _d.tenant == tenant,
            _d.kind == kind,
            _d.activity == activity,
            _d.agent == agent,
            _d.registration == registration,
        )
        if since is not None:
            query = query.where(_d.updated > since)
        with self._read() as c:
            return list(c.execute(query.order_by(_d.doc_id)).scalars())

    def feed_cursor(self, tenant: str) -> str | None:
        """The ``stored`` key of the last statement fed (None: none yet)."""
        with self._read() as c:
            found = c.execute(select(_f.stored).where(_f.tenant == tenant)).scalar()
        return None if found is None else str(found)

    def set_feed_cursor(self, tenant: str, stored: str) -> None:
        """Note that every statement stored up to ``stored`` was fed."""
        module = postgresql if self._dialect == "postgresql" else sqlite
        upsert = module.insert(xapi_feed).values(tenant=tenant, stored=stored)
        upsert = upsert.on_conflict_do_update(
            index_elements=["tenant"], set_={"stored": stored}
        )
        with self._write() as c:
            c.execute(upsert)

    def feed_pending(self) -> list[str]:
        """The schools with statements stored after their cursor, sorted."""
        last = (
            select(_s.tenant, func.max(_s.stored).label("last"))
            .group_by(_s.tenant)
            .subquery()
        )
        query = (
            select(last.c.tenant)
            .select_from(last.outerjoin(xapi_feed, _f.tenant == last.c.tenant))
            .where((_f.stored.is_(None)) | (last.c.last > _f.stored))
            .order_by(last.c.tenant)
        )
        with self._read() as c:
            return [str(t) for t in c.execute(query).scalars()]

    def add_client(self, client: Client) -> None:
        """Store a new client."""
        row = {
            "key": client.key,
            "tenant": client.tenant,
            "secret_hash": client.secret_hash,
            "label": client.label,
            "created": client.created,
        }
        with self._write() as c:
            c.execute(xapi_clients.insert(), row)

    def client(self, key: str) -> Client | None:
        """The client with this key, of any school."""
        with self._read() as c:
            row = c.execute(select(xapi_clients).where(_c.key == key)).first()
        return None if row is None else _client(row)

    def clients(self, tenant: str) -> list[Client]:
        """A school's clients, oldest first."""
        query = (
            select(xapi_clients).where(_c.tenant == tenant).order_by(_c.created, _c.key)
        )
        with self._read() as c:
            return [_client(row) for row in c.execute(query)]

    def remove_client(self, tenant: str, key: str) -> bool:
        """Revoke a school's client; True when there was one."""
        with self._write() as c:
            gone = c.execute(
                delete(xapi_clients).where(_c.tenant == tenant, _c.key == key)
            )
        return bool(gone.rowcount)


def _client(row: Any) -> Client:
    return Client(row.key, row.tenant, row.secret_hash, row.label, row.created)
