"""A real xAPI client, TinCanPython (``tincan`` 1.0.0), against a live server.

Levelwise is served by uvicorn on loopback over a fresh SQLite file; the
client talks to ``/xapi/`` with a school's LRS credentials (HTTP Basic) and
``X-Experience-API-Version: 1.0.3``, the newest version it knows.

The client needs five shims, each applied by the ``tincan_shims`` fixture,
each for a bug or an age of the client, none for the server:

* a document read back arrives as ``bytes``, and the client's
  ``Document.content`` setter only takes ``str`` or ``bytearray``
  (``bytearray(value, "utf-8")`` raises ``TypeError`` for ``bytes``): the shim
  accepts ``bytes`` too;
* ``RemoteLRS.save_state`` sends its PUT twice and answers the second
  response, so a conditional save (``If-Match``) always looks refused (the
  first PUT changed the ETag): the shim sends it once;
* the client creates an Activity or Agent Profile with no concurrency header,
  which 1.0.3 forbids (the conformance suite expects a 400): the shim adds
  ``If-None-Match: *`` to a profile PUT without ``If-Match``;
* ``About.version`` refuses any version it does not know, and a 2.0 record
  store lists ``2.0.0`` next to ``1.0.3``: the shim keeps the ones it knows;
* the client looks for ``etag`` in ``getheaders()`` (a list of pairs), so it
  never reads a document's ETag: the tests read it from the response.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from tincan import (
    Activity,
    ActivityDefinition,
    ActivityProfileDocument,
    Agent,
    AgentAccount,
    AgentProfileDocument,
    Context,
    ContextActivities,
    LanguageMap,
    RemoteLRS,
    Result,
    Score,
    StateDocument,
    Statement,
    StatementRef,
    Verb,
)
from tincan.about import About
from tincan.documents.document import Document
from tincan.http_request import HTTPRequest
from tincan.lrs_response import LRSResponse

from levelwise.app.engine import Levelwise
from levelwise.bootstrap import build, create_api
from tests.support.factories import SMALL_PROGRAM
from tests.support.live_server import serve

ROOT = Path(__file__).resolve().parents[2]
SCHOOL = "school"
HOME = "https://school.example"
ANSWERED = "http://adlnet.gov/expapi/verbs/answered"
COMPLETED = "http://adlnet.gov/expapi/verbs/completed"
VOIDED = "http://adlnet.gov/expapi/verbs/voided"
KNOWN_VERSIONS = ("1.0.3", "1.0.2", "1.0.1", "1.0.0", "0.95", "0.9")


@pytest.fixture
def tincan_shims(monkeypatch: pytest.MonkeyPatch) -> None:
    def set_content(doc: Document, value: Any) -> None:
        if isinstance(value, bytes):
            value = bytearray(value)
        elif value is not None and not isinstance(value, bytearray):
            value = bytearray(value, "utf-8")
        doc._content = value

    own_check = About.version.fset

    def set_version(about: About, value: Any) -> None:
        values = [value] if isinstance(value, str) else list(value or [])
        own_check(about, [v for v in values if v in KNOWN_VERSIONS] or None)

    def save_state_once(client: RemoteLRS, state: StateDocument) -> LRSResponse:
        request = HTTPRequest(
            method="PUT", resource="activities/state", content=state.content
        )
        content_type = state.content_type or "application/octet-stream"
        request.headers["Content-Type"] = content_type
        if state.etag is not None:
            request.headers["If-Match"] = state.etag
        request.query_params = {
            "stateId": state.id,
            "activityId": state.activity.id,
            "agent": state.agent.to_json(client.version),
        }
        response = client._send_request(request)
        response.content = state
        return response

    own_send = RemoteLRS._send_request

    def send(client: RemoteLRS, request: HTTPRequest) -> LRSResponse:
        profile = request.resource in ("activities/profile", "agents/profile")
        if profile and request.method == "PUT" and "If-Match" not in request.headers:
            request.headers["If-None-Match"] = "*"
        return own_send(client, request)

    monkeypatch.setattr(
        Document, "content", property(Document.content.fget, set_content)
    )
    monkeypatch.setattr(RemoteLRS, "save_state", save_state_once)
    monkeypatch.setattr(RemoteLRS, "_send_request", send)
    monkeypatch.setattr(About, "version", property(About.version.fget, set_version))


@dataclass
class Lrs:
    """The served engine, its base URL and a client with the school's key."""

    engine: Levelwise
    base: str
    client: RemoteLRS
    key: str
    secret: str


@pytest.fixture
def lrs(tmp_path: Path, tincan_shims: None) -> Iterator[Lrs]:
    engine = build(str(tmp_path / "levelwise.db"))
    engine.put_program(SCHOOL, SMALL_PROGRAM)
    with serve(create_api(engine)) as base:
        about = httpx.get(f"{base}/xapi/about")
        if about.status_code == 404:
            pytest.skip("the xAPI record store's routes (/xapi/...) are not served yet")
        assert engine.xapi is not None
        made = engine.xapi.add_client(SCHOOL, "tincan")
        client = RemoteLRS(
            endpoint=f"{base}/xapi/",
            version="1.0.3",
            username=made.client.key,
            password=made.secret,
        )
        yield Lrs(engine, base, client, made.client.key, made.secret)


def learner(n: int) -> Agent:
    return Agent(
        name=f"Learner {n}",
        account=AgentAccount(name=f"learner-{n:03d}", home_page=HOME),
    )


def answered(n: int, question: int, correct: bool, at: datetime) -> Statement:
    return Statement(
        actor=learner(n),
        verb=Verb(id=ANSWERED, display=LanguageMap({"en-US": "answered"})),
        object=Activity(
            id=f"{HOME}/questions/{question}",
            definition=ActivityDefinition(
                name=LanguageMap({"en-US": f"Question {question}"}),
                type="http://adlnet.gov/expapi/activities/cmi.interaction",
                interaction_type="choice",
                correct_responses_pattern=["b"],
            ),
        ),
        result=Result(
            success=correct,
            response="b" if correct else "c",
            score=Score(scaled=1.0 if correct else 0.0),
            duration=timedelta(seconds=42),
        ),
        context=Context(
            registration=uuid.UUID(int=n, version=4),
            context_activities=ContextActivities(
                parent=[Activity(id=f"{HOME}/lessons/1")]
            ),
        ),
        timestamp=at,
    )


def etag_of(response: Any) -> str | None:
    value = response.response.getheader("ETag")
    return None if value is None else str(value)


def test_the_about_resource_names_the_version_the_client_speaks(lrs: Lrs) -> None:
    about = lrs.client.about()
    assert about.success, about.data
    assert "1.0.3" in about.content.version


def test_statements_are_saved_and_read_back(lrs: Lrs) -> None:
    at = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    one = answered(1, 1, True, at)
    one.id = uuid.uuid4()
    saved = lrs.client.save_statement(one)  # with an id: PUT
    assert saved.success, saved.data
    many = [answered(2, q, q % 2 == 0, at + timedelta(minutes=q)) for q in range(5)]
    batch = lrs.client.save_statements(many)  # without ids: POST, ids assigned
    assert batch.success, batch.data
    ids = [s.id for s in batch.content]
    assert all(isinstance(i, uuid.UUID) for i in ids) and len(set(ids)) == 5

    back = lrs.client.retrieve_statement(str(one.id))
    assert back.success, back.data
    got = back.content
    assert got.id == one.id
    assert got.verb.id == ANSWERED
    assert got.object.id == f"{HOME}/questions/1"
    assert got.result.success is True and got.result.score.scaled == 1.0
    assert got.result.duration == timedelta(seconds=42)
    assert got.context.registration == uuid.UUID(int=1, version=4)
    assert got.timestamp == at
    assert got.stored is not None and got.authority is not None

    found = lrs.client.query_statements(
        {"agent": learner(2), "verb": Verb(id=ANSWERED), "ascending": "true"}
    )
    assert found.success, found.data
    assert [s.id for s in found.content.statements] == ids


def test_a_query_pages_with_more(lrs: Lrs) -> None:
    at = datetime(2026, 11, 3, 9, 0, tzinfo=UTC)
    sent = [answered(3, q, True, at + timedelta(seconds=q)) for q in range(7)]
    assert lrs.client.save_statements(sent).success
    seen: list[uuid.UUID] = []
    page = lrs.client.query_statements({"agent": learner(3), "limit": 3})
    while True:
        assert page.success, page.data
        seen += [s.id for s in page.content.statements]
        if not page.content.more:
            break
        page = lrs.client.more_statements(page.content)
    assert sorted(seen) == sorted(s.id for s in sent)
    assert len(seen) == 7


def test_a_voided_statement_is_read_as_voided_only(lrs: Lrs) -> None:
    at = datetime(2026, 11, 4, 9, 0, tzinfo=UTC)
    target = answered(4, 1, True, at)
    target.id = uuid.uuid4()
    assert lrs.client.save_statement(target).success
    voiding = Statement(
        actor=learner(4),
        verb=Verb(id=VOIDED, display=LanguageMap({"en-US": "voided"})),
        object=StatementRef(id=target.id),
    )
    assert lrs.client.save_statement(voiding).success
    assert not lrs.client.retrieve_statement(str(target.id)).success
    voided = lrs.client.retrieve_voided_statement(str(target.id))
    assert voided.success, voided.data
    assert voided.content.id == target.id


def test_a_state_document_is_saved_read_and_guarded_by_its_etag(lrs: Lrs) -> None:
    lesson = Activity(id=f"{HOME}/lessons/1")
    doc = StateDocument(
        activity=lesson,
        agent=learner(5),
        id="bookmark",
        content='{"page": 3}',
        content_type="application/json",
    )
    assert lrs.client.save_state(doc).success
    read = lrs.client.retrieve_state(lesson, learner(5), "bookmark")
    assert read.success, read.data
    assert bytes(read.content.content) == b'{"page": 3}'
    etag = etag_of(read)
    assert etag

    ids = lrs.client.retrieve_state_ids(lesson, learner(5))
    assert ids.success and ids.content == ["bookmark"]

    stale = StateDocument(
        activity=lesson,
        agent=learner(5),
        id="bookmark",
        content='{"page": 9}',
        content_type="application/json",
        etag='"0000000000000000000000000000000000000000"',
    )
    refused = lrs.client.save_state(stale)
    assert not refused.success and refused.response.status == 412
    fresh = StateDocument(
        activity=lesson,
        agent=learner(5),
        id="bookmark",
        content='{"page": 4}',
        content_type="application/json",
        etag=etag,
    )
    assert lrs.client.save_state(fresh).success
    again = lrs.client.retrieve_state(lesson, learner(5), "bookmark")
    assert bytes(again.content.content) == b'{"page": 4}'

    assert lrs.client.delete_state(again.content).success
    gone = lrs.client.retrieve_state(lesson, learner(5), "bookmark")
    assert gone.response.status == 404


def test_an_activity_profile_is_saved_and_read(lrs: Lrs) -> None:
    course = Activity(id=f"{HOME}/courses/english-a1")
    profile = ActivityProfileDocument(
        activity=course,
        id="syllabus",
        content='{"weeks": 12}',
        content_type="application/json",
    )
    assert lrs.client.save_activity_profile(profile).success
    read = lrs.client.retrieve_activity_profile(course, "syllabus")
    assert read.success, read.data
    assert bytes(read.content.content) == b'{"weeks": 12}'
    assert etag_of(read)
    ids = lrs.client.retrieve_activity_profile_ids(course)
    assert ids.success and ids.content == ["syllabus"]


def test_an_agent_profile_is_saved_and_read(lrs: Lrs) -> None:
    profile = AgentProfileDocument(
        agent=learner(6),
        id="preferences",
        content="plain text is a document too",
        content_type="text/plain",
    )
    assert lrs.client.save_agent_profile(profile).success
    read = lrs.client.retrieve_agent_profile(learner(6), "preferences")
    assert read.success, read.data
    assert bytes(read.content.content) == b"plain text is a document too"
    ids = lrs.client.retrieve_agent_profile_ids(learner(6))
    assert ids.success and ids.content == ["preferences"]


def test_a_wrong_secret_is_refused_and_stores_nothing(lrs: Lrs) -> None:
    intruder = RemoteLRS(
        endpoint=f"{lrs.base}/xapi/",
        version="1.0.3",
        username=lrs.key,
        password="not-the-secret",
    )
    statement = answered(7, 1, True, datetime(2026, 11, 5, tzinfo=UTC))
    statement.id = uuid.uuid4()
    refused = intruder.save_statement(statement)
    assert not refused.success and refused.response.status == 401
    assert not lrs.client.retrieve_statement(str(statement.id)).success


KANA = ROOT / "tests/data/programs/xapi_school.yaml"


def test_statements_move_a_learner_through_the_school_mapping(
    tmp_path: Path, tincan_shims: None
) -> None:
    engine = build(str(tmp_path / "kana.db"))
    engine.put_program(SCHOOL, KANA.read_text())
    assert engine.xapi is not None
    made = engine.xapi.add_client(SCHOOL, "lms")
    kana_learner = Agent(
        account=AgentAccount(name="yuki", home_page="https://lms.kana.example")
    )
    at = datetime(2026, 11, 6, 10, 0, tzinfo=UTC)
    sent = []
    for item, correct in ((1, True), (2, True), (3, False)):
        statement = Statement(
            id=uuid.uuid4(),
            actor=kana_learner,
            verb=Verb(id=ANSWERED, display=LanguageMap({"en-US": "answered"})),
            object=Activity(id=f"https://kana.example/quiz/hiragana/{item}"),
            result=Result(success=correct),
            timestamp=at + timedelta(minutes=item),
        )
        sent.append(statement)
    with serve(create_api(engine)) as base:
        client = RemoteLRS(
            endpoint=f"{base}/xapi/",
            version="1.0.3",
            username=made.client.key,
            password=made.secret,
        )
        saved = client.save_statements(sent)
        assert saved.success, saved.data

    view = engine.learner(SCHOOL, "yuki")
    assert view.xp == 10 + 10 + 2  # the program's answer rule: if(correct, 10, 2)
    assert view.mastery["hiragana"][2] == 3  # three pieces of evidence
    named = {r["event_id"] for r in engine.receipts(SCHOOL, "yuki")}
    assert {str(s.id) for s in sent} <= named
