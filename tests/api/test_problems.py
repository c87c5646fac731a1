"""problem+json everywhere: routing errors, unexpected errors, OpenAPI."""

from __future__ import annotations

import logging
from collections import Counter

import httpx
import pytest

import levelwise.errors
from levelwise.api.problems import PROBLEMS, ProblemType, problem_type
from levelwise.app.engine import Levelwise
from levelwise.app.ports import Clock, EventLog
from levelwise.app.views import LearnerView
from levelwise.errors import (
    BatchConflictError,
    ConcurrencyError,
    DetailedError,
    LearnerNotFoundError,
    LevelwiseError,
    StoreError,
)
from tests.api.conftest import FixedClock, assert_problem, client_for

pytestmark = pytest.mark.anyio


class BrokenEngine(Levelwise):
    """An engine whose reads fail the way a bug or a dead database would."""

    def __init__(self, log: EventLog, clock: Clock, error: Exception) -> None:
        super().__init__(log, clock)
        self.error = error

    def learner(self, tenant: str, learner: str) -> LearnerView:
        raise self.error


@pytest.fixture
def broken(engine):
    def build(error: Exception) -> tuple[httpx.AsyncClient, dict[str, str]]:
        failing = BrokenEngine(engine.log, FixedClock(), error)
        key = failing.create_key("school-a", "test")
        return client_for(failing), {"X-API-Key": key}

    return build


async def test_an_unknown_route_is_404_problem(client):
    response = await client.get("/v1/nothing-here")

    body = assert_problem(response, 404, "not-found")
    assert body["instance"] == "/v1/nothing-here"


async def test_a_wrong_method_is_405_problem_with_allow(client):
    response = await client.delete("/health")

    assert_problem(response, 405, "method-not-allowed")
    assert response.headers["allow"] == "GET, HEAD"


async def test_an_unexpected_error_is_a_generic_500_and_is_logged(broken, caplog):
    client, headers = broken(RuntimeError("password=hunter2 in the DSN"))

    with caplog.at_level(logging.ERROR, logger="levelwise.api.problems"):
        async with client:
            response = await client.get("/v1/learners/ana", headers=headers)

    body = assert_problem(response, 500, "internal-error")
    assert "hunter2" not in response.text
    assert body["detail"] == "An unexpected error occurred; it has been logged."
    (record,) = caplog.records
    assert record.exc_info is not None
    assert "hunter2" in str(record.exc_info[1])


async def test_a_store_failure_is_503_without_driver_details(broken, caplog):
    client, headers = broken(StoreError("connection to 10.0.0.5 refused"))

    with caplog.at_level(logging.ERROR, logger="levelwise.api.problems"):
        async with client:
            response = await client.get("/v1/learners/ana", headers=headers)

    assert_problem(response, 503, "store-unavailable")
    assert "10.0.0.5" not in response.text
    assert len(caplog.records) == 1


@pytest.mark.parametrize(
    ("error", "slug", "retry_after"),
    [
        (ConcurrencyError("another writer first"), "concurrent-write", "1"),
        (StoreError("database is locked"), "store-unavailable", "5"),
    ],
    ids=["concurrent-write", "store-busy"],
)
async def test_a_transient_failure_is_503_with_retry_after(
    broken, error, slug, retry_after
):
    client, headers = broken(error)

    async with client:
        response = await client.get("/v1/learners/ana", headers=headers)

    assert_problem(response, 503, slug)
    assert response.headers["retry-after"] == retry_after


async def test_a_lasting_failure_sends_no_retry_after(broken):
    client, headers = broken(LearnerNotFoundError("no such learner"))

    async with client:
        response = await client.get("/v1/learners/ana", headers=headers)

    assert_problem(response, 404, "learner-not-found")
    assert "retry-after" not in response.headers


async def test_an_unmapped_levelwise_error_is_a_generic_500(broken, caplog):
    client, headers = broken(LevelwiseError("internal state"))

    with caplog.at_level(logging.ERROR, logger="levelwise.api.problems"):
        async with client:
            response = await client.get("/v1/learners/ana", headers=headers)

    assert_problem(response, 500, "internal-error")
    assert "internal state" not in response.text


class ForgottenLearnerError(LearnerNotFoundError):
    """A subclass nobody mapped."""


@pytest.mark.parametrize(
    ("error", "status"),
    [
        # Mapped itself.
        (LearnerNotFoundError, 404),
        # Inherits its parent's mapping through the MRO.
        (ForgottenLearnerError, 404),
        # EventConflictError's subclass behind the DetailedError mixin.
        (BatchConflictError, 409),
        # Not a Levelwise error: internal.
        (KeyError, 500),
    ],
    ids=["mapped", "subclass", "api-subclass", "foreign"],
)
def test_problem_types_resolve_through_the_mro(error, status):
    assert problem_type(error).status == status


MIXINS = (DetailedError,)
"""Errors that only add members to their subclasses and are never raised alone."""

ERRORS = sorted(
    (
        value
        for value in vars(levelwise.errors).values()
        if isinstance(value, type)
        and issubclass(value, LevelwiseError)
        and value is not LevelwiseError
        and value not in MIXINS
    ),
    key=lambda cls: cls.__name__,
)


def listed_type(error: type[BaseException]) -> ProblemType | None:
    """The entry that lists ``error`` or a base of it below ``LevelwiseError``.

    ``Exception`` and ``LevelwiseError`` do not count: they catch everything.
    """
    for klass in error.__mro__:
        if klass is LevelwiseError:
            return None
        for kind in PROBLEMS:
            if klass in kind.errors:
                return kind
    return None


@pytest.mark.parametrize("error", ERRORS, ids=lambda cls: cls.__name__)
def test_every_levelwise_error_has_a_problem_type(error):
    kind = listed_type(error)

    assert kind is not None, f"{error.__name__} is in no entry of PROBLEMS"
    assert problem_type(error) is kind


def test_an_error_missing_from_the_table_is_noticed():
    class StrayError(LevelwiseError):
        """Declared without a problem type."""

    assert listed_type(StrayError) is None
    assert listed_type(ForgottenLearnerError) is not None


def test_the_error_tree_is_walked_whole():
    found: set[type] = set()
    todo = [LevelwiseError]
    while todo:
        for sub in todo.pop().__subclasses__():
            if sub.__module__ == levelwise.errors.__name__ and sub not in found:
                found.add(sub)
                todo.append(sub)

    assert found == {*ERRORS, *MIXINS}


def test_mixins_are_not_in_the_table():
    # A mixin comes first in its subclasses' MRO: listing it would hide the
    # problem type of their real base (BatchConflictError would turn 500).
    listed = {error for kind in PROBLEMS for error in kind.errors}

    assert listed.isdisjoint(MIXINS)


def test_each_problem_type_has_its_own_slug_and_each_error_one_type():
    slugs = Counter(kind.slug for kind in PROBLEMS)
    errors = Counter(error for kind in PROBLEMS for error in kind.errors)

    assert [slug for slug, n in slugs.items() if n > 1] == []
    assert [error for error, n in errors.items() if n > 1] == []


@pytest.mark.parametrize(
    ("path", "params", "body", "part", "words"),
    [
        ("/v1/webhooks", {}, {"url": "ftp://x.test/h"}, "body", "not an http"),
        ("/v1/webhooks/replay", {"since": "soon"}, None, "query", "not an ISO"),
    ],
    ids=["body", "query"],
)
async def test_a_domain_input_error_points_at_the_routes_input(
    client, school_a, path, params, body, part, words
):
    response = await client.post(path, params=params, json=body, headers=school_a)

    problem = assert_problem(response, 422, "invalid-request")
    (error,) = problem["errors"]
    assert error["loc"] == [part] and error["type"] == "value_error"
    assert words in error["msg"]
    assert problem["detail"] == f"{part}: {error['msg']}"


async def test_openapi_declares_problem_responses(client):
    schema = (await client.get("/openapi.json")).json()

    post = schema["paths"]["/v1/events"]["post"]
    for status in ("401", "409", "413", "422", "500"):
        assert "application/problem+json" in post["responses"][status]["content"]
    assert "event-conflict" in post["responses"]["409"]["description"]
    learner = schema["paths"]["/v1/learners/{learner_id}"]["get"]
    assert set(learner["responses"]) >= {"200", "401", "404", "409", "422", "503"}
    put = schema["paths"]["/v1/programs"]["put"]
    assert "application/yaml" in put["requestBody"]["content"]
    assert "invalid-program" in put["responses"]["422"]["description"]
    assert {"Problem", "BatchProblem", "InvalidProgramProblem"} <= set(
        schema["components"]["schemas"]
    )
    assert set(schema["components"]["securitySchemes"]) == {
        "HTTPBearer",
        "APIKeyHeader",
    }


async def test_docs_are_served(client):
    response = await client.get("/docs")

    assert response.status_code == 200
    assert "openapi.json" in response.text
