"""The xAPI record store ports: statements, attachments and documents.

The store knows nothing of HTTP or of validation: the service validates a
statement, reduces it to a :class:`StatementRecord` (its body as text plus the
values the queries filter on) and hands it over. Agents are named by their
inverse functional identifier as one string (see :func:`ifi_key`).

Every operation takes the school (``tenant``); nothing of one school is visible
to another.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, Protocol

from levelwise.errors import (
    DocumentMergeError,
    PreconditionFailedError,
    StatementConflictError,
)

VOIDED = "http://adlnet.gov/expapi/verbs/voided"
"""The verb of a voiding statement."""

DocumentKind = Literal["state", "activity", "agent"]
"""State, Activity Profile or Agent Profile."""


def ifi_key(agent: Mapping[str, Any]) -> str | None:
    """The key that identifies an Agent or Group by its IFI (None if anonymous).

    The key is ``<ifi>:<value>`` (``mbox:mailto:a@b.org``, ``mbox_sha1sum:<hex>``
    in lower case, ``openid:<uri>``) or ``account:["<homePage>","<name>"]``;
    the store and the query parser both build keys with it, so they match.

    Args:
        agent: A valid Agent or Group object.
    """
    if "mbox" in agent:
        return f"mbox:{agent['mbox']}"
    if "mbox_sha1sum" in agent:
        return f"mbox_sha1sum:{str(agent['mbox_sha1sum']).lower()}"
    if "openid" in agent:
        return f"openid:{agent['openid']}"
    account = agent.get("account")
    if isinstance(account, Mapping):
        pair = json.dumps([account["homePage"], account["name"]], separators=(",", ":"))
        return f"account:{pair}"
    return None


def etag_of(content: bytes) -> str:
    """The ETag of a document: the SHA-1 of its content, in hex (unquoted)."""
    return hashlib.sha1(content, usedforsecurity=False).hexdigest()


def merged(old: bytes, new: bytes) -> bytes:
    """A JSON document merged as for POST: ``new``'s properties replace ``old``'s.

    Raises:
        DocumentMergeError: Either is not a JSON object.
    """
    objects: list[dict[str, Any]] = []
    for content in (old, new):
        try:
            value = json.loads(content)
        except ValueError:
            value = None
        if not isinstance(value, dict):
            msg = "only JSON objects can be merged"
            raise DocumentMergeError(msg)
        objects.append(value)
    together = {**objects[0], **objects[1]}
    return json.dumps(together, ensure_ascii=False, separators=(",", ":")).encode()


def utc_key(moment: datetime) -> str:
    """``YYYY-MM-DDTHH:MM:SS.ffffffZ`` of an aware datetime."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def next_stored(now: datetime, last: str | None) -> str:
    """The next ``stored`` key: now, or one microsecond after ``last`` if not later."""
    key = utc_key(now)
    if last is None or key > last:
        return key
    after = datetime.strptime(last, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    return utc_key(after + timedelta(microseconds=1))


@dataclass(frozen=True)
class StatementRecord:
    """A valid statement as the service hands it to the store.

    Attributes:
        id: The statement id (a lowercase UUID).
        timestamp: Its ``timestamp`` (UTC, as the service normalised it).
        body: The statement's JSON text, without ``stored`` (the service adds
            :attr:`StoredStatement.stored` when it serves it). Two records with
            the same id are the same statement when their bodies are equal.
        verb: The verb id.
        actors: IFI keys of the actor (and of an identified group's members).
        object_activity: The object's activity id, if the object is one.
        object_agents: IFI keys of an agent or group object.
        related_activities: Every other activity id in the statement (context
            activities, a sub-statement's object), for ``related_activities``.
        related_agents: Every other agent's IFI key (authority, instructor,
            team, context agents, sub-statement's actor), for ``related_agents``.
        registration: The context's registration, if any.
        target: The id a ``StatementRef`` object points at, if any (a voiding
            statement's target is the statement it voids).
        attachments: The SHA-2 of each attachment, in statement order.
    """

    id: str
    timestamp: str
    body: str
    verb: str
    actors: tuple[str, ...] = ()
    object_activity: str | None = None
    object_agents: tuple[str, ...] = ()
    related_activities: tuple[str, ...] = ()
    related_agents: tuple[str, ...] = ()
    registration: str | None = None
    target: str | None = None
    attachments: tuple[str, ...] = ()

    @property
    def voids(self) -> str | None:
        """The id of the statement this one voids, if it is a voiding statement."""
        return self.target if self.verb == VOIDED else None

    def keys(self) -> set[tuple[str, str]]:
        """``(kind, value)`` pairs the queries match on (own values only).

        Kinds: ``verb``, ``registration``, ``agent`` (actor or object),
        ``agent+`` (any agent), ``activity`` (the object) and ``activity+``
        (any activity).
        """
        direct = {("agent", a) for a in (*self.actors, *self.object_agents)}
        found = {("verb", self.verb)} | direct
        found |= {("agent+", a) for _, a in direct}
        found |= {("agent+", a) for a in self.related_agents}
        if self.registration is not None:
            found.add(("registration", self.registration))
        if self.object_activity is not None:
            found |= {
                ("activity", self.object_activity),
                ("activity+", self.object_activity),
            }
        found |= {("activity+", a) for a in self.related_activities}
        return found


def check_condition(
    current: Document | None, expected_etag: str | None, must_not_exist: bool
) -> None:
    """Raise ``PreconditionFailedError`` unless ``If-Match``/``If-None-Match`` hold."""
    if must_not_exist and current is not None:
        msg = "the document exists (If-None-Match: *)"
        raise PreconditionFailedError(msg)
    if expected_etag is None:
        return
    if current is None or expected_etag not in ("*", current.etag):
        msg = "the document's ETag does not match If-Match"
        raise PreconditionFailedError(msg)


def unique_records(records: Sequence[StatementRecord]) -> list[StatementRecord]:
    """The records without repeats, in order.

    Raises:
        StatementConflictError: An id repeats with another body.
    """
    seen: dict[str, StatementRecord] = {}
    for record in records:
        first = seen.setdefault(record.id, record)
        if first.body != record.body:
            msg = f"statement {record.id} is sent twice with different bodies"
            raise StatementConflictError(msg)
    return list(seen.values())


@dataclass(frozen=True)
class StoredStatement:
    """A statement as stored.

    Attributes:
        record: What the service handed over.
        stored: The store's UTC sort key (``YYYY-MM-DDTHH:MM:SS.ffffffZ``),
            strictly increasing per school in the order statements were stored.
        voided: Whether a voiding statement targets it.
        fresh: Whether the ``put_statements`` that returned it stored it (not
            a statement already held).
    """

    record: StatementRecord
    stored: str
    voided: bool = False
    fresh: bool = False

    @property
    def id(self) -> str:
        """The statement id."""
        return self.record.id


@dataclass(frozen=True)
class Cursor:
    """Where a page of statements stopped: the last statement served."""

    stored: str
    id: str


@dataclass(frozen=True)
class StatementQuery:
    """The filters of ``GET statements`` (every one optional).

    Filters on agent, verb, activity and registration also match a statement
    whose ``StatementRef`` targets (directly or through a chain) a statement
    that matches them, as the specification requires. Voided statements are
    never returned.

    Attributes:
        agent: An IFI key (actor or object; any agent with ``related_agents``).
        verb: A verb id.
        activity: An activity id (the object; any with ``related_activities``).
        registration: A registration.
        related_activities: Widen ``activity`` to every activity.
        related_agents: Widen ``agent`` to every agent.
        since: Only statements stored after this UTC key.
        until: Only statements stored at or before this UTC key.
        limit: The most statements to return (at least 1).
        ascending: Oldest first (else newest first).
        after: Continue after this cursor (from :attr:`StatementPage.more`).
    """

    agent: str | None = None
    verb: str | None = None
    activity: str | None = None
    registration: str | None = None
    related_activities: bool = False
    related_agents: bool = False
    since: str | None = None
    until: str | None = None
    limit: int = 100
    ascending: bool = False
    after: Cursor | None = None

    def filters(self) -> list[tuple[str, str]]:
        """The ``(kind, value)`` keys every returned statement must have."""
        found: list[tuple[str, str]] = []
        if self.agent is not None:
            found.append(("agent+" if self.related_agents else "agent", self.agent))
        if self.verb is not None:
            found.append(("verb", self.verb))
        if self.activity is not None:
            kind = "activity+" if self.related_activities else "activity"
            found.append((kind, self.activity))
        if self.registration is not None:
            found.append(("registration", self.registration))
        return found


@dataclass(frozen=True)
class StatementPage:
    """One page of a query and where the next begins (None when there is none)."""

    statements: list[StoredStatement]
    more: Cursor | None


@dataclass(frozen=True)
class Attachment:
    """An attachment's content, stored once per school by its SHA-2."""

    sha2: str
    content_type: str
    content: bytes


@dataclass(frozen=True)
class DocumentKey:
    """Names one document.

    State: ``activity``, ``agent``, ``registration`` (``""`` when none) and
    ``id`` (the stateId). Activity Profile: ``activity`` and ``id``. Agent
    Profile: ``agent`` and ``id``. Unused parts stay ``""``.
    """

    kind: DocumentKind
    id: str
    activity: str = ""
    agent: str = ""
    registration: str = ""


@dataclass(frozen=True)
class Document:
    """A stored document.

    Attributes:
        key: Its name.
        content: The bytes as stored.
        content_type: The ``Content-Type`` it was stored with.
        etag: :func:`etag_of` its content (quote it when serving).
        updated: UTC key of its last change.
    """

    key: DocumentKey
    content: bytes
    content_type: str
    etag: str
    updated: str


class StatementStore(Protocol):
    """Where one LRS keeps statements and attachments."""

    def put_statements(
        self,
        tenant: str,
        records: Sequence[StatementRecord],
        attachments: Sequence[Attachment] = (),
    ) -> list[StoredStatement]:
        """Store statements and their attachments: all of them or none.

        A record whose id is already stored with the same body changes
        nothing; a voiding statement voids its stored target (and one stored
        later), unless the target is itself a voiding statement.

        Returns:
            The stored statement of each record, in order (the earlier one for
            a duplicate).

        Raises:
            StatementConflictError: An id is stored, or repeated in ``records``,
                with another body; nothing was stored.
        """
        ...

    def statement(
        self, tenant: str, statement_id: str, *, voided: bool = False
    ) -> StoredStatement | None:
        """A statement by ``statementId`` (not voided) or ``voidedStatementId``."""
        ...

    def statements(self, tenant: str, query: StatementQuery) -> StatementPage:
        """A page of the statements that match ``query``."""
        ...

    def consistent_through(self, tenant: str) -> str:
        """A UTC key through which every stored statement is visible to queries."""
        ...

    def attachment(self, tenant: str, sha2: str) -> Attachment | None:
        """An attachment's content by its SHA-2."""
        ...


class DocumentStore(Protocol):
    """Where one LRS keeps State, Activity Profile and Agent Profile documents.

    ``expected_etag`` is ``If-Match`` (``"*"``: any existing document) and
    ``must_not_exist`` is ``If-None-Match: *``; an unmet condition raises
    :class:`PreconditionFailedError` and changes nothing.
    """

    def document(self, tenant: str, key: DocumentKey) -> Document | None:
        """One document, or None."""
        ...

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
        ...

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
        """Create a document, or merge a JSON object into a stored one (POST).

        The new object's top-level properties replace the stored ones.

        Raises:
            DocumentMergeError: The stored document or ``content`` is not a
                JSON object (when there is one to merge into).
            PreconditionFailedError: A condition is not met.
        """
        ...

    def delete_document(
        self, tenant: str, key: DocumentKey, *, expected_etag: str | None = None
    ) -> bool:
        """Delete a document; True when there was one."""
        ...

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
        ...

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
        ...


@dataclass(frozen=True)
class Client:
    """An LRS client's credentials: HTTP Basic user ``key``, password a secret.

    Attributes:
        key: The public key (the Basic user name), unique over all schools.
        tenant: The school whose statements the client reads and writes.
        secret_hash: SHA-256 of the secret, in hex; the secret is never stored.
        label: What the school calls the client (``moodle``, ``authoring``).
        created: UTC key of its creation.
    """

    key: str
    tenant: str
    secret_hash: str
    label: str
    created: str


class ClientStore(Protocol):
    """Where the LRS keeps its clients' credentials."""

    def add_client(self, client: Client) -> None:
        """Store a new client (its key is new)."""
        ...

    def client(self, key: str) -> Client | None:
        """The client with this key, of any school."""
        ...

    def clients(self, tenant: str) -> list[Client]:
        """A school's clients, oldest first."""
        ...

    def remove_client(self, tenant: str, key: str) -> bool:
        """Revoke a school's client; True when there was one."""
        ...


class FeedStore(Protocol):
    """How far the feed has carried each school's statements into the log."""

    def feed_cursor(self, tenant: str) -> str | None:
        """The ``stored`` key of the last statement fed (None: none yet)."""
        ...

    def set_feed_cursor(self, tenant: str, stored: str) -> None:
        """Note that every statement stored up to ``stored`` was fed."""
        ...

    def feed_pending(self) -> list[str]:
        """The schools with statements stored after their cursor, sorted."""
        ...


class XapiStore(StatementStore, DocumentStore, ClientStore, FeedStore, Protocol):
    """Statements, attachments, documents, clients and the feed's cursors."""
