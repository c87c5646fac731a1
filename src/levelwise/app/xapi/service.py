"""The xAPI record store's use cases: statements, documents, clients.

:class:`RecordStore` takes decoded requests from the HTTP layer (statements as
JSON values, attachment parts by hash, query filters) and answers in xAPI's
terms. It validates every statement (:mod:`levelwise.app.xapi.statements`),
checks attachments and signatures, assigns ids, stores all of a request or
none of it, and then hands what was newly stored to the engine's feed (the
school's ``xapi:`` mapping turns statements into learning events).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from levelwise.app.ports import Clock
from levelwise.app.xapi.ports import (
    Attachment,
    Client,
    Document,
    DocumentKey,
    DocumentKind,
    StatementPage,
    StatementQuery,
    StatementRecord,
    StoredStatement,
    XapiStore,
    ifi_key,
    utc_key,
)
from levelwise.app.xapi.signature import (
    SIGNATURE_TYPE,
    check_signature,
    is_signature,
)
from levelwise.app.xapi.statements import (
    Statement,
    canonical,
    ids_format,
    validate_statement,
)
from levelwise.errors import StatementError

ABOUT_VERSIONS = ("2.0.0", "1.0.3")
"""The xAPI versions this record store speaks, for ``GET /xapi/about``."""
MAX_STATEMENTS = 1000
"""The most statements one request may carry."""
MAX_LIMIT = 500
"""The most statements one page of a query holds."""
Feed = Callable[[str, Sequence[StoredStatement]], object]
"""Hands newly stored statements of a school to the engine."""


@dataclass(frozen=True)
class Saved:
    """What a PUT or POST of statements did.

    Attributes:
        ids: The id of each statement sent, in order (assigned when absent).
        fresh: The statements newly stored (not those already held).
    """

    ids: list[str]
    fresh: list[StoredStatement] = field(default_factory=list)


@dataclass(frozen=True)
class NewClient:
    """A client just created: the only time its secret is shown."""

    client: Client
    secret: str


def secret_hash(secret: str) -> str:
    """SHA-256 of a client secret, in hex."""
    return hashlib.sha256(secret.encode()).hexdigest()


def served(stored: StoredStatement) -> dict[str, Any]:
    """A stored statement as the LRS serves it: with ``stored`` (and a timestamp)."""
    data: dict[str, Any] = json.loads(stored.record.body)
    data["stored"] = _rfc3339(stored.stored)
    data.setdefault("timestamp", data["stored"])
    return data


def in_format(
    data: dict[str, Any], form: str, languages: Sequence[str]
) -> dict[str, Any]:
    """A served statement in the ``exact``, ``ids`` or ``canonical`` format."""
    if form == "ids":
        return ids_format(data)
    if form == "canonical":
        return canonical(data, languages)
    return data


def _rfc3339(key: str) -> str:
    """The store's UTC key as an RFC 3339 timestamp (``...Z``, milliseconds)."""
    return key[:23] + "Z"


class RecordStore:
    """One LRS for every school, over one store.

    Args:
        store: Statements, attachments, documents and clients.
        clock: Stamps client creation and assigned timestamps.
        feed: Called with each school's newly stored statements, after they
            are stored (None: statements only fill the record store).
        home_page: The IRL naming this LRS in the ``authority`` it gives.
        default_version: The version answers name when a request names none.
    """

    def __init__(
        self,
        store: XapiStore,
        clock: Clock,
        feed: Feed | None = None,
        home_page: str = "https://levelwise.invalid",
        default_version: str = ABOUT_VERSIONS[0],
    ) -> None:
        """Keep the store, the clock and the feed."""
        if default_version not in ABOUT_VERSIONS:
            raise ValueError(f"unsupported xAPI version {default_version!r}")
        self.default_version = default_version
        self.store = store
        self._clock = clock
        self._feed = feed
        self._home_page = home_page.rstrip("/") + "/"

    def _now_key(self) -> str:
        return utc_key(datetime.fromisoformat(self._clock.now_iso()))

    # -- clients ----------------------------------------------------------------

    def add_client(self, tenant: str, label: str = "") -> NewClient:
        """Create an LRS client of a school: a Basic user (key) and password."""
        key = "lrs_" + secrets.token_hex(10)
        secret = secrets.token_urlsafe(24)
        client = Client(
            key=key,
            tenant=tenant,
            secret_hash=secret_hash(secret),
            label=label,
            created=self._now_key(),
        )
        self.store.add_client(client)
        return NewClient(client, secret)

    def clients(self, tenant: str) -> list[Client]:
        """A school's clients, oldest first."""
        return self.store.clients(tenant)

    def remove_client(self, tenant: str, key: str) -> bool:
        """Revoke a client; True when the school had it."""
        return self.store.remove_client(tenant, key)

    def client_for(self, key: str, secret: str) -> Client | None:
        """The client whose Basic credentials these are, or None."""
        client = self.store.client(key)
        if client is None:
            return None
        if not hmac.compare_digest(client.secret_hash, secret_hash(secret)):
            return None
        return client

    def authority(self, client: Client) -> dict[str, Any]:
        """The Agent a client's statements are asserted by."""
        agent: dict[str, Any] = {
            "objectType": "Agent",
            "account": {"homePage": self._home_page, "name": client.key},
        }
        if client.label:
            agent["name"] = client.label
        return agent

    # -- statements -------------------------------------------------------------

    def save(
        self,
        tenant: str,
        version: str,
        data: object,
        parts: Mapping[str, Attachment],
        authority: Mapping[str, Any],
        statement_id: str | None = None,
    ) -> Saved:
        """Validate and store one statement (PUT) or several (POST), all or none.

        Args:
            tenant: The school.
            version: The negotiated xAPI version.
            data: The decoded JSON: one statement, or (POST) an array of them.
            parts: Attachment contents sent as multipart parts, by SHA-2.
            authority: The authority to set where a statement has none.
            statement_id: The ``statementId`` of a PUT.

        Raises:
            StatementError: A statement breaks the specification, an
                attachment has no content, a part belongs to no statement, or
                a signature does not hold (400).
            StatementConflictError: An id is held by another statement (409).
        """
        items = self._items(data, statement_id)
        checked = [validate_statement(item, version) for item in items]
        ids = [s.id for s in checked if s.id is not None]
        if len(ids) != len(set(ids)):
            raise StatementError("statements: an id is used more than once")
        _check_parts(checked, parts)
        records = [self._record(s, version, authority) for s in checked]
        used = {sha for r in records for sha in r.attachments}
        kept = [parts[sha] for sha in sorted(used) if sha in parts]
        stored = self.store.put_statements(tenant, records, kept)
        fresh = list({s.id: s for s in stored if s.fresh}.values())
        if fresh and self._feed is not None:
            self._feed(tenant, fresh)
        return Saved([r.id for r in records], fresh)

    @staticmethod
    def _items(data: object, statement_id: str | None) -> list[object]:
        if statement_id is None:
            items = data if isinstance(data, list) else [data]
            if len(items) > MAX_STATEMENTS:
                msg = f"statements: at most {MAX_STATEMENTS} per request"
                raise StatementError(msg)
            return items
        if not isinstance(data, dict):
            raise StatementError("statement: a PUT carries one statement object")
        sent = data.get("id")
        if sent is not None and str(sent).lower() != statement_id.lower():
            msg = "id: differs from the statementId parameter"
            raise StatementError(msg)
        return [{**data, "id": statement_id.lower()}]

    def _record(
        self, statement: Statement, version: str, authority: Mapping[str, Any]
    ) -> StatementRecord:
        data = dict(statement.data)
        data["id"] = statement.id or str(uuid.uuid4())
        data.pop("stored", None)
        data.setdefault("authority", dict(authority))
        data.setdefault("version", "2.0.0" if version == "2.0.0" else "1.0.0")
        if statement.timestamp is not None and version == "2.0.0":
            data["timestamp"] = statement.timestamp
        body = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        agents = list(statement.related_agents)
        if "authority" not in statement.data:
            agents.extend(_authority_keys(data["authority"]))
        return StatementRecord(
            id=data["id"],
            timestamp=statement.timestamp or self._now_key(),
            body=body,
            verb=statement.verb_id,
            actors=statement.actor_ifis,
            object_activity=statement.object_activity_id,
            object_agents=statement.object_agent_ifis,
            related_activities=statement.related_activities,
            related_agents=tuple(dict.fromkeys(agents)),
            registration=statement.registration,
            target=_target(statement),
            attachments=tuple(a["sha2"] for a in statement.data.get("attachments", ())),
        )

    def statement(
        self, tenant: str, statement_id: str, *, voided: bool = False
    ) -> StoredStatement | None:
        """One statement by ``statementId`` or ``voidedStatementId``."""
        return self.store.statement(tenant, statement_id.lower(), voided=voided)

    def query(self, tenant: str, query: StatementQuery) -> StatementPage:
        """A page of statements (``limit`` 0 or over :data:`MAX_LIMIT`: that many)."""
        return self.store.statements(tenant, query)

    def consistent_through(self, tenant: str) -> str:
        """``X-Experience-API-Consistent-Through``: an RFC 3339 timestamp."""
        return _rfc3339(self.store.consistent_through(tenant))

    def attachments_of(
        self, tenant: str, statements: Sequence[StoredStatement]
    ) -> list[Attachment]:
        """The stored contents of the statements' attachments, each once."""
        found: dict[str, Attachment] = {}
        for s in statements:
            for sha in s.record.attachments:
                if sha in found:
                    continue
                content = self.store.attachment(tenant, sha)
                if content is not None:
                    found[sha] = content
        return list(found.values())

    # -- activities and agents --------------------------------------------------

    def activity(self, tenant: str, activity_id: str) -> dict[str, Any]:
        """The Activity with every definition statements gave it, merged.

        Later statements' properties win; language maps are merged, so a name
        in ``en-US`` and another in ``fr-FR`` are both kept.
        """
        query = StatementQuery(
            activity=activity_id,
            related_activities=True,
            ascending=True,
            limit=MAX_LIMIT,
        )
        definition: dict[str, Any] = {}
        while True:
            page = self.store.statements(tenant, query)
            for s in page.statements:
                for found in _activities(json.loads(s.record.body), activity_id):
                    _merge_definition(definition, found)
            if page.more is None:
                break
            query = replace(query, after=page.more)
        activity: dict[str, Any] = {"objectType": "Activity", "id": activity_id}
        if definition:
            activity["definition"] = definition
        return activity

    @staticmethod
    def person(agent: Mapping[str, Any]) -> dict[str, Any]:
        """The Person object of an Agent: its names and identifiers as arrays."""
        person: dict[str, Any] = {"objectType": "Person"}
        for key in ("name", "mbox", "mbox_sha1sum", "openid", "account"):
            if key in agent:
                person[key] = [agent[key]]
        return person

    # -- documents --------------------------------------------------------------

    def document(self, tenant: str, key: DocumentKey) -> Document | None:
        """One State, Activity Profile or Agent Profile document."""
        return self.store.document(tenant, key)

    def put_document(
        self,
        tenant: str,
        key: DocumentKey,
        content: bytes,
        content_type: str,
        *,
        merge: bool,
        expected_etag: str | None,
        must_not_exist: bool,
    ) -> Document:
        """Store a document (PUT) or merge a JSON object into it (POST)."""
        change = self.store.merge_document if merge else self.store.put_document
        return change(
            tenant,
            key,
            content,
            content_type,
            expected_etag=expected_etag,
            must_not_exist=must_not_exist,
        )

    def delete_document(
        self, tenant: str, key: DocumentKey, *, expected_etag: str | None
    ) -> bool:
        """Delete one document; True when there was one."""
        return self.store.delete_document(tenant, key, expected_etag=expected_etag)

    def delete_documents(
        self,
        tenant: str,
        kind: DocumentKind,
        *,
        activity: str = "",
        agent: str = "",
        registration: str = "",
    ) -> int:
        """Delete the documents of one activity, agent and registration."""
        return self.store.delete_documents(
            tenant, kind, activity=activity, agent=agent, registration=registration
        )

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
        """The ids of those documents, changed after ``since`` when given."""
        return self.store.document_ids(
            tenant,
            kind,
            activity=activity,
            agent=agent,
            registration=registration,
            since=since,
        )


def _target(statement: Statement) -> str | None:
    obj = statement.data["object"]
    if obj.get("objectType") == "StatementRef":
        return str(obj["id"]).lower()
    return None


def _authority_keys(authority: Mapping[str, Any]) -> list[str]:
    key = ifi_key(authority)
    return [key] if key is not None else []


def _check_parts(
    statements: Sequence[Statement], parts: Mapping[str, Attachment]
) -> None:
    """Every declared attachment has content or a ``fileUrl``; every part is declared.

    Raises:
        StatementError: An attachment without ``fileUrl`` has no part, a part
            belongs to no attachment, or a signature fails its checks.
    """
    declared: set[str] = set()
    for i, s in enumerate(statements):
        for j, attachment in enumerate(s.data.get("attachments", ())):
            sha = attachment["sha2"]
            declared.add(sha)
            where = f"statement {i}: attachments[{j}]"
            if sha not in parts and "fileUrl" not in attachment:
                msg = f"{where}: no part carries its content and it has no fileUrl"
                raise StatementError(msg)
            if is_signature(attachment):
                if attachment["contentType"] != SIGNATURE_TYPE:
                    msg = f"{where}: a signature's contentType is {SIGNATURE_TYPE}"
                    raise StatementError(msg)
                if sha not in parts:
                    raise StatementError(f"{where}: the signature was not sent")
                check_signature(s.data, parts[sha].content)
    extra = sorted(set(parts) - declared)
    if extra:
        msg = f"attachment part {extra[0]} belongs to no statement's attachments"
        raise StatementError(msg)


_LANGUAGE_MAPS = frozenset({"name", "description"})


def _activities(node: Any, activity_id: str) -> list[dict[str, Any]]:
    """The definitions of ``activity_id`` anywhere in a statement."""
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        if (
            node.get("id") == activity_id
            and node.get("objectType", "Activity") == "Activity"
            and isinstance(node.get("definition"), dict)
        ):
            found.append(node["definition"])
        for key, value in node.items():
            if key != "definition":
                found.extend(_activities(value, activity_id))
    elif isinstance(node, list):
        for item in node:
            found.extend(_activities(item, activity_id))
    return found


def _merge_definition(into: dict[str, Any], definition: dict[str, Any]) -> None:
    for key, value in definition.items():
        old = into.get(key)
        if key in _LANGUAGE_MAPS and isinstance(old, dict) and isinstance(value, dict):
            into[key] = {**old, **value}
        elif key == "extensions" and isinstance(old, dict) and isinstance(value, dict):
            into[key] = {**old, **value}
        else:
            into[key] = value
