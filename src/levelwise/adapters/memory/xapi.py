"""In-memory xAPI record store: for tests and ``--db memory``; same as SQL."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime

from levelwise.app.xapi.ports import (
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
from levelwise.errors import StatementConflictError


def _now() -> datetime:
    return datetime.now(UTC)


class _Tenant:
    """One school's statements, attachments and documents."""

    def __init__(self) -> None:
        self.statements: dict[str, StoredStatement] = {}
        self.order: list[str] = []
        self.attachments: dict[str, Attachment] = {}
        self.documents: dict[DocumentKey, Document] = {}

    def keys(self, statement: StoredStatement) -> set[tuple[str, str]]:
        """Its own query keys and those of the statements it refers to."""
        found: set[tuple[str, str]] = set()
        seen: set[str] = set()
        current: StoredStatement | None = statement
        while current is not None and current.id not in seen:
            seen.add(current.id)
            found |= current.record.keys()
            target = current.record.target
            current = self.statements.get(target) if target else None
        return found


class InMemoryXapiStore:
    """Statements and documents in dicts, guarded by one lock.

    Args:
        now: The clock that stamps ``stored`` and ``updated``.
    """

    def __init__(self, now: Callable[[], datetime] = _now) -> None:
        """Start with nothing stored."""
        self._now = now
        self._tenants: dict[str, _Tenant] = {}
        self._clients: dict[str, Client] = {}
        self._cursors: dict[str, str] = {}
        self._lock = threading.RLock()

    def feed_cursor(self, tenant: str) -> str | None:
        """The ``stored`` key of the last statement fed (None: none yet)."""
        with self._lock:
            return self._cursors.get(tenant)

    def set_feed_cursor(self, tenant: str, stored: str) -> None:
        """Note that every statement stored up to ``stored`` was fed."""
        with self._lock:
            self._cursors[tenant] = stored

    def feed_pending(self) -> list[str]:
        """The schools with statements stored after their cursor, sorted."""
        with self._lock:
            return sorted(
                tenant
                for tenant, t in self._tenants.items()
                if t.order
                and t.statements[t.order[-1]].stored > self._cursors.get(tenant, "")
            )

    def add_client(self, client: Client) -> None:
        """Store a new client."""
        with self._lock:
            self._clients[client.key] = client

    def client(self, key: str) -> Client | None:
        """The client with this key, of any school."""
        with self._lock:
            return self._clients.get(key)

    def clients(self, tenant: str) -> list[Client]:
        """A school's clients, oldest first."""
        with self._lock:
            found = [c for c in self._clients.values() if c.tenant == tenant]
        return sorted(found, key=lambda c: (c.created, c.key))

    def remove_client(self, tenant: str, key: str) -> bool:
        """Revoke a school's client; True when there was one."""
        with self._lock:
            found = self._clients.get(key)
            if found is None or found.tenant != tenant:
                return False
            del self._clients[key]
            return True

    def _tenant(self, tenant: str) -> _Tenant:
        return self._tenants.setdefault(tenant, _Tenant())

    def put_statements(
        self,
        tenant: str,
        records: Sequence[StatementRecord],
        attachments: Sequence[Attachment] = (),
    ) -> list[StoredStatement]:
        """Store statements and attachments atomically (see ``StatementStore``)."""
        unique = unique_records(records)
        with self._lock:
            t = self._tenant(tenant)
            for record in unique:
                old = t.statements.get(record.id)
                if old is not None and old.record.body != record.body:
                    msg = f"statement {record.id} is stored with another body"
                    raise StatementConflictError(msg)
            last = t.statements[t.order[-1]].stored if t.order else None
            fresh: set[str] = set()
            for record in unique:
                if record.id in t.statements:
                    continue
                last = next_stored(self._now(), last)
                t.statements[record.id] = StoredStatement(record, last)
                t.order.append(record.id)
                fresh.add(record.id)
            for record in unique:
                self._void(t, record)
            for a in attachments:
                t.attachments.setdefault(a.sha2, a)
            return [replace(t.statements[r.id], fresh=r.id in fresh) for r in records]

    @staticmethod
    def _void(t: _Tenant, record: StatementRecord) -> None:
        """Apply voiding between ``record`` and what is stored."""
        target = t.statements.get(record.voids or "")
        if target is not None and target.record.voids is None:
            t.statements[target.id] = replace(target, voided=True)
        if record.voids is None and any(
            s.record.voids == record.id for s in t.statements.values()
        ):
            t.statements[record.id] = replace(t.statements[record.id], voided=True)

    def statement(
        self, tenant: str, statement_id: str, *, voided: bool = False
    ) -> StoredStatement | None:
        """One statement by id, voided ones only when ``voided``."""
        with self._lock:
            found = self._tenant(tenant).statements.get(statement_id)
        return found if found is not None and found.voided == voided else None

    def statements(self, tenant: str, query: StatementQuery) -> StatementPage:
        """A page of the statements that match ``query``."""
        filters = query.filters()
        page: list[StoredStatement] = []
        with self._lock:
            t = self._tenant(tenant)
            order = t.order if query.ascending else reversed(t.order)
            for statement_id in order:
                s = t.statements[statement_id]
                if not _in_range(s.stored, query) or s.voided:
                    continue
                if filters and not set(filters) <= t.keys(s):
                    continue
                if len(page) == query.limit:
                    last = page[-1]
                    return StatementPage(page, Cursor(last.stored, last.id))
                page.append(s)
        return StatementPage(page, None)

    def consistent_through(self, tenant: str) -> str:
        """Now: every statement stored is visible at once."""
        del tenant
        return utc_key(self._now())

    def attachment(self, tenant: str, sha2: str) -> Attachment | None:
        """An attachment's content by its SHA-2."""
        with self._lock:
            return self._tenant(tenant).attachments.get(sha2)

    def document(self, tenant: str, key: DocumentKey) -> Document | None:
        """One document, or None."""
        with self._lock:
            return self._tenant(tenant).documents.get(key)

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
        with self._lock:
            documents = self._tenant(tenant).documents
            check_condition(documents.get(key), expected_etag, must_not_exist)
            doc = Document(
                key, content, content_type, etag_of(content), utc_key(self._now())
            )
            documents[key] = doc
            return doc

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
        with self._lock:
            old = self._tenant(tenant).documents.get(key)
            check_condition(old, expected_etag, must_not_exist)
            if old is not None:
                content = merged(old.content, content)
                content_type = "application/json"
            return self.put_document(tenant, key, content, content_type)

    def delete_document(
        self, tenant: str, key: DocumentKey, *, expected_etag: str | None = None
    ) -> bool:
        """Delete a document; True when there was one."""
        with self._lock:
            documents = self._tenant(tenant).documents
            check_condition(documents.get(key), expected_etag, False)
            return documents.pop(key, None) is not None

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
        with self._lock:
            documents = self._tenant(tenant).documents
            keys = [
                k
                for k in documents
                if (k.kind, k.activity, k.agent, k.registration)
                == (kind, activity, agent, registration)
            ]
            for k in keys:
                del documents[k]
            return len(keys)

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
        with self._lock:
            return sorted(
                k.id
                for k, d in self._tenant(tenant).documents.items()
                if (k.kind, k.activity, k.agent, k.registration)
                == (kind, activity, agent, registration)
                and (since is None or d.updated > since)
            )


def _in_range(stored: str, query: StatementQuery) -> bool:
    if query.since is not None and stored <= query.since:
        return False
    if query.until is not None and stored > query.until:
        return False
    after = query.after
    if after is None:
        return True
    return stored > after.stored if query.ascending else stored < after.stored
