"""The xAPI record store contract, on memory, SQLite and PostgreSQL."""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from levelwise.adapters.memory.xapi import InMemoryXapiStore
from levelwise.adapters.sql.xapi import SqlXapiStore
from levelwise.app.xapi.ports import (
    VOIDED,
    Attachment,
    DocumentKey,
    StatementQuery,
    StatementRecord,
    XapiStore,
    etag_of,
    ifi_key,
    next_stored,
)
from levelwise.errors import (
    DocumentMergeError,
    PreconditionFailedError,
    StatementConflictError,
)

ANA = "mbox:mailto:ana@example.org"
BOB = 'account:["https://lms.example.org","bob"]'
ANSWERED = "http://adlnet.gov/expapi/verbs/answered"
COMPLETED = "http://adlnet.gov/expapi/verbs/completed"
Q1 = "https://school.example.org/q/1"
COURSE = "https://school.example.org/course"


class Ticks:
    """A clock one second further at every call."""

    def __init__(self) -> None:
        self.at = datetime(2027, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.at += timedelta(seconds=1)
        return self.at


@pytest.fixture(
    params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def store(request: pytest.FixtureRequest) -> XapiStore:
    """Each xAPI store implementation in turn, on a ticking clock."""
    if request.param == "memory":
        return InMemoryXapiStore(Ticks())
    name = "sqlite_engine" if request.param == "sqlite" else "pg_engine"
    return SqlXapiStore(request.getfixturevalue(name), Ticks())


def rec(verb=ANSWERED, actor=ANA, activity=Q1, **extra) -> StatementRecord:
    sid = extra.pop("id", None) or str(uuid.uuid4())
    body = json.dumps({"id": sid, "verb": verb, "n": extra.pop("n", 0)})
    return StatementRecord(
        id=sid,
        timestamp="2027-01-01T00:00:00.000000Z",
        body=body,
        verb=verb,
        actors=(actor,),
        object_activity=activity,
        **extra,
    )


def ids(page) -> list[str]:
    return [s.id for s in page.statements]


def test_statements_are_put_once_and_read_back(store, tenant):
    a, b = rec(), rec(COMPLETED, registration=str(uuid.uuid4()))
    first = store.put_statements(tenant, [a, b, a])
    assert [s.record for s in first] == [a, b, a]
    assert first[0].stored < first[1].stored
    assert [s.fresh for s in first] == [True, True, True]  # a twice: one statement
    again = store.put_statements(tenant, [a])
    assert again == [replace(first[0], fresh=False)]  # held already: not fresh
    got = store.statement(tenant, b.id)
    assert got is not None
    assert (got.record, got.stored, got.voided) == (b, first[1].stored, False)
    assert store.statement(tenant, str(uuid.uuid4())) is None
    assert store.consistent_through(tenant) >= first[1].stored


def test_a_conflicting_body_stores_nothing_of_the_batch(store, tenant):
    a = rec()
    store.put_statements(tenant, [a])
    other = StatementRecord(**{**a.__dict__, "body": a.body + " "})
    fresh = rec()
    with pytest.raises(StatementConflictError):
        store.put_statements(tenant, [fresh, other])
    with pytest.raises(StatementConflictError):
        store.put_statements(tenant, [fresh, rec(id=fresh.id, n=1)])
    assert store.statement(tenant, fresh.id) is None
    assert store.statements(tenant, StatementQuery()).statements[0].record == a


def test_queries_filter_on_each_parameter(store, tenant):
    reg = str(uuid.uuid4())
    s1 = rec(related_activities=(COURSE,), registration=reg)
    s2 = rec(COMPLETED, actor=BOB, activity=COURSE, related_agents=(ANA,))
    s3 = rec(COMPLETED, activity=None, object_agents=(BOB,))
    stored = store.put_statements(tenant, [s1, s2, s3])

    def q(**kw) -> list[str]:
        return ids(store.statements(tenant, StatementQuery(**kw)))

    assert q() == [s3.id, s2.id, s1.id]
    assert q(ascending=True) == [s1.id, s2.id, s3.id]
    assert q(agent=ANA) == [s3.id, s1.id]
    assert q(agent=ANA, related_agents=True) == [s3.id, s2.id, s1.id]
    assert q(agent=BOB) == [s3.id, s2.id]
    assert q(verb=COMPLETED) == [s3.id, s2.id]
    assert q(activity=COURSE) == [s2.id]
    assert q(activity=COURSE, related_activities=True) == [s2.id, s1.id]
    assert q(registration=reg) == [s1.id]
    assert q(verb=COMPLETED, agent=ANA) == [s3.id]
    assert q(since=stored[0].stored) == [s3.id, s2.id]
    assert q(until=stored[1].stored) == [s2.id, s1.id]
    assert q(since=stored[0].stored, until=stored[1].stored) == [s2.id]


def test_more_pages_stay_consistent_while_statements_arrive(store, tenant):
    first = [rec(n=i) for i in range(5)]
    store.put_statements(tenant, first)

    def pages(ascending: bool) -> tuple[list[str], str]:
        page = store.statements(tenant, StatementQuery(limit=2, ascending=ascending))
        seen = ids(page)
        late = rec(n=9)
        store.put_statements(tenant, [late])
        while page.more is not None:
            query = StatementQuery(limit=2, ascending=ascending, after=page.more)
            page = store.statements(tenant, query)
            seen += ids(page)
        return seen, late.id

    newest_first, late = pages(ascending=False)
    assert newest_first == [r.id for r in reversed(first)]
    oldest_first, later = pages(ascending=True)
    assert oldest_first == [r.id for r in first] + [late, later]


def test_voided_statements_leave_queries_but_their_voiding_ones_match(store, tenant):
    target = rec(COMPLETED, activity=COURSE)
    store.put_statements(tenant, [target])
    voiding = rec(VOIDED, actor=BOB, activity=None, target=target.id)
    store.put_statements(tenant, [voiding])
    assert store.statement(tenant, target.id) is None
    voided = store.statement(tenant, target.id, voided=True)
    assert voided is not None and voided.voided
    assert store.statement(tenant, voiding.id, voided=True) is None
    assert ids(store.statements(tenant, StatementQuery())) == [voiding.id]
    # Filters of the voided target also match the statement referring to it.
    assert ids(store.statements(tenant, StatementQuery(verb=COMPLETED))) == [voiding.id]
    by_activity = StatementQuery(activity=COURSE, agent=BOB)
    assert ids(store.statements(tenant, by_activity)) == [voiding.id]
    # Voiding a voiding statement voids nothing.
    store.put_statements(tenant, [rec(VOIDED, activity=None, target=voiding.id)])
    assert store.statement(tenant, voiding.id) is not None


def test_a_reference_stored_before_its_target_matches_once_it_arrives(store, tenant):
    target_id = str(uuid.uuid4())
    ref = rec(COMPLETED, actor=BOB, activity=None, target=target_id)
    store.put_statements(tenant, [ref])
    assert ids(store.statements(tenant, StatementQuery(verb=ANSWERED))) == []
    voiding = rec(VOIDED, actor=BOB, activity=None, target=target_id)
    store.put_statements(tenant, [voiding, rec(id=target_id)])
    assert store.statement(tenant, target_id, voided=True) is not None
    found = ids(store.statements(tenant, StatementQuery(verb=ANSWERED)))
    assert found == [voiding.id, ref.id]


def test_attachments_are_stored_once_by_sha2(store, tenant, other_tenant):
    sha = "ab" * 32
    first = Attachment(sha, "text/plain", b"hello")
    store.put_statements(tenant, [rec(attachments=(sha,))], [first])
    store.put_statements(tenant, [rec()], [Attachment(sha, "text/html", b"other")])
    assert store.attachment(tenant, sha) == first
    assert store.attachment(tenant, "cd" * 32) is None
    assert store.attachment(other_tenant, sha) is None


def test_documents_are_put_merged_listed_and_deleted(store, tenant):
    agent_key = DocumentKey("agent", "prefs", agent=ANA)
    doc = store.put_document(tenant, agent_key, b'{"a":1,"b":2}', "application/json")
    assert doc.etag == etag_of(b'{"a":1,"b":2}')
    assert store.document(tenant, agent_key) == doc
    merged = store.merge_document(tenant, agent_key, b'{"b":3,"c":4}', "x")
    assert json.loads(merged.content) == {"a": 1, "b": 3, "c": 4}
    assert merged.updated > doc.updated and merged.etag == etag_of(merged.content)
    created = store.merge_document(
        tenant,
        DocumentKey("activity", "p", activity=Q1),
        b'{"x":1}',
        "application/json",
    )
    assert created.content == b'{"x":1}'
    plain = store.put_document(
        tenant, DocumentKey("agent", "text", agent=ANA), b"hi", "text/plain"
    )
    with pytest.raises(DocumentMergeError):
        store.merge_document(tenant, plain.key, b'{"a":1}', "application/json")
    with pytest.raises(DocumentMergeError):
        store.merge_document(tenant, agent_key, b"[1]", "application/json")
    assert store.document(tenant, plain.key) == plain
    assert store.document_ids(tenant, "agent", agent=ANA) == ["prefs", "text"]
    assert store.document_ids(tenant, "agent", agent=ANA, since=doc.updated) == [
        "prefs",
        "text",
    ]
    assert store.document_ids(tenant, "agent", agent=ANA, since=merged.updated) == [
        "text"
    ]
    assert store.document_ids(tenant, "agent", agent=BOB) == []
    assert store.delete_document(tenant, plain.key)
    assert not store.delete_document(tenant, plain.key)
    assert store.document(tenant, plain.key) is None


def test_state_documents_are_keyed_by_registration(store, tenant):
    reg = str(uuid.uuid4())
    keys = [
        DocumentKey("state", sid, activity=Q1, agent=ANA, registration=r)
        for sid, r in (("s1", ""), ("s2", ""), ("s1", reg))
    ]
    for n, key in enumerate(keys):
        store.put_document(tenant, key, str(n).encode(), "text/plain")
    assert store.document(tenant, keys[2]).content == b"2"
    where = {"activity": Q1, "agent": ANA}
    assert store.document_ids(tenant, "state", **where) == ["s1", "s2"]
    assert store.document_ids(tenant, "state", registration=reg, **where) == ["s1"]
    assert store.delete_documents(tenant, "state", **where) == 2
    assert store.document_ids(tenant, "state", **where) == []
    assert store.document(tenant, keys[2]).content == b"2"


def test_conditional_writes_check_the_etag(store, tenant):
    key = DocumentKey("activity", "p", activity=Q1)
    with pytest.raises(PreconditionFailedError):
        store.put_document(tenant, key, b"1", "text/plain", expected_etag="*")
    assert store.document(tenant, key) is None
    doc = store.put_document(tenant, key, b"1", "text/plain", must_not_exist=True)
    with pytest.raises(PreconditionFailedError):
        store.put_document(tenant, key, b"2", "text/plain", must_not_exist=True)
    with pytest.raises(PreconditionFailedError):
        store.put_document(tenant, key, b"2", "text/plain", expected_etag="0" * 40)
    with pytest.raises(PreconditionFailedError):
        store.merge_document(tenant, key, b"{}", "x", expected_etag="0" * 40)
    with pytest.raises(PreconditionFailedError):
        store.delete_document(tenant, key, expected_etag="0" * 40)
    assert store.document(tenant, key) == doc
    new = store.put_document(tenant, key, b"2", "text/plain", expected_etag=doc.etag)
    assert store.delete_document(tenant, key, expected_etag=new.etag)


def test_nothing_of_one_school_is_visible_to_another(store, tenant, other_tenant):
    a = rec()
    store.put_statements(tenant, [a])
    key = DocumentKey("agent", "p", agent=ANA)
    store.put_document(tenant, key, b"1", "text/plain")
    assert store.statement(other_tenant, a.id) is None
    assert store.statements(other_tenant, StatementQuery()).statements == []
    assert store.document(other_tenant, key) is None
    assert store.document_ids(other_tenant, "agent", agent=ANA) == []
    assert not store.delete_document(other_tenant, key)
    # The same statement id is another school's own statement.
    b = StatementRecord(**{**a.__dict__, "body": "{}"})
    assert store.put_statements(other_tenant, [b])[0].record == b
    assert store.statement(tenant, a.id).record == a


def test_helpers_name_agents_and_order_stored_keys():
    assert ifi_key({"mbox": "mailto:ana@example.org"}) == ANA
    account = {"homePage": "https://lms.example.org", "name": "bob"}
    assert ifi_key({"account": account}) == BOB
    assert ifi_key({"objectType": "Group", "member": []}) is None
    now = datetime(2027, 1, 1, tzinfo=UTC)
    assert next_stored(now, None) == "2027-01-01T00:00:00.000000Z"
    later = "2027-01-01T00:00:05.000000Z"
    assert next_stored(now, later) == "2027-01-01T00:00:05.000001Z"


def test_the_feed_cursor_moves_and_names_the_schools_behind(store, tenant):
    other = tenant + "-b"
    assert store.feed_cursor(tenant) is None
    assert tenant not in store.feed_pending()
    first = store.put_statements(tenant, [rec()])
    store.put_statements(other, [rec()])
    assert {tenant, other} <= set(store.feed_pending())

    store.set_feed_cursor(tenant, first[0].stored)
    assert store.feed_cursor(tenant) == first[0].stored
    assert tenant not in store.feed_pending() and other in store.feed_pending()
    later = store.put_statements(tenant, [rec()])
    assert tenant in store.feed_pending()
    store.set_feed_cursor(tenant, later[0].stored)  # moved again: one row
    assert store.feed_cursor(tenant) == later[0].stored
    assert tenant not in store.feed_pending()
