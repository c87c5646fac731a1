"""``/v1/metrics`` and ``/v1/experiments`` over an in-memory engine."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from levelwise.adapters.memory.event_log import InMemoryEventLog
from levelwise.adapters.memory.metrics import InMemoryMetricStore
from levelwise.app.engine import Levelwise
from tests.api.conftest import assert_problem, client_for
from tests.support.factories import SMALL_PROGRAM
from tests.support.metrics_support import FixedClock, scenario

pytestmark = pytest.mark.anyio

EXPERIMENT = {
    "description": "Friday clubs",
    "control": "A",
    "variants": [
        {"name": "A", "classes": ["red"]},
        {"name": "B", "learners": ["bo"], "share": 0.5},
    ],
}


@pytest.fixture
def engine() -> Levelwise:
    log = InMemoryEventLog()
    lw = Levelwise(log, FixedClock(), metrics=InMemoryMetricStore(log))
    lw.put_program("school", SMALL_PROGRAM)
    lw.ingest("school", scenario())
    return lw


@pytest.fixture
def auth(engine) -> dict[str, str]:
    return {"Authorization": f"Bearer {engine.create_key('school', 'test')}"}


@pytest.fixture
async def client(engine) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(engine) as c:
        yield c


async def test_the_dashboard_as_json(client, auth):
    r = await client.get("/v1/metrics", params={"end": "2026-03-10"}, headers=auth)

    assert r.status_code == 200, r.text
    body = r.json()
    assert body["as_of"] == "2026-03-10"
    assert body["overall"]["learners"] == 4
    assert body["overall"]["completion"] == {
        "value": 2 / 3,
        "numerator": 2,
        "denominator": 3,
        "n": 3,
    }
    assert body["cohorts"] == ["2025-12", "2026-01"]
    assert body["levels"][0]["stuck"] == [["units_completed includes [u1]", 3]]
    assert body["filter"]["term_weeks"] == 8


async def test_filters_by_class_and_cohort(client, auth):
    r = await client.get(
        "/v1/metrics", params={"class": "red", "cohort": "2026-01"}, headers=auth
    )

    assert r.status_code == 200, r.text
    assert r.json()["overall"]["learners"] == 1
    assert r.json()["filter"]["klass"] == "red"


async def test_an_end_before_the_start_is_refused(client, auth):
    r = await client.get(
        "/v1/metrics", params={"start": "2026-02-01", "end": "2026-01-01"}, headers=auth
    )

    body = assert_problem(r, 422, "invalid-request")
    assert "before start" in body["detail"]


@pytest.mark.parametrize(
    "path",
    [
        "/v1/metrics",
        "/v1/metrics/cohorts.csv",
        "/v1/metrics/classes.csv",
        "/v1/metrics/weeks.csv",
        "/v1/metrics/levels.csv",
        "/v1/metrics/experiments.csv",
    ],
)
async def test_a_start_after_the_last_event_is_refused(client, auth, path):
    # No end given: the end is the last event's day (2026-03-09), so the
    # start is after it (issue 13, defect 13).
    r = await client.get(path, params={"start": "2030-01-01"}, headers=auth)

    body = assert_problem(r, 422, "invalid-request")
    assert "is after the end" in body["detail"]
    assert [e["loc"] for e in body["errors"]] == [["query"]]


async def test_a_table_as_csv(client, auth):
    r = await client.get("/v1/metrics/cohorts.csv", headers=auth)

    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "text/csv; charset=utf-8"
    assert r.headers["content-disposition"] == (
        'attachment; filename="metrics-cohorts.csv"'
    )
    assert r.text.splitlines()[0].startswith("key,learners,active,")


async def test_an_unknown_table_is_refused(client, auth):
    r = await client.get("/v1/metrics/people.csv", headers=auth)

    assert_problem(r, 422, "invalid-request")


async def test_experiments_put_list_compare_delete(client, auth):
    put = await client.put("/v1/experiments/clubs", json=EXPERIMENT, headers=auth)
    listed = await client.get("/v1/experiments", headers=auth)
    board = await client.get("/v1/metrics", headers=auth)
    gone = await client.delete("/v1/experiments/clubs", headers=auth)
    again = await client.delete("/v1/experiments/clubs", headers=auth)

    assert put.status_code == 200, put.text
    assert put.json()["variants"][1] == {
        "name": "B",
        "learners": ["bo"],
        "classes": [],
        "share": 0.5,
    }
    assert [e["id"] for e in listed.json()["experiments"]] == ["clubs"]
    (view,) = board.json()["experiments"]
    assert view["control"] == "A"
    assert view["comparisons"][0][0] == "B"
    assert view["comparisons"][0][1][0]["metric"] == "completion"
    assert gone.status_code == 204
    assert_problem(again, 404, "not-found")


@pytest.mark.parametrize(
    "change",
    [
        {"control": "C"},
        {"variants": [{"name": "A", "share": 0.5}, {"name": "A", "share": 0.5}]},
        {"variants": [{"name": "A", "share": 1.5}, {"name": "B", "share": 0.5}]},
        {"variants": [{"name": "A", "share": 0}, {"name": "B", "share": 0.5}]},
    ],
    ids=["unknown-control", "duplicate", "share-above-1", "share-0"],
)
async def test_a_bad_experiment_is_refused_and_not_stored(client, auth, change):
    r = await client.put(
        "/v1/experiments/bad", json={**EXPERIMENT, **change}, headers=auth
    )
    listed = await client.get("/v1/experiments", headers=auth)

    assert_problem(r, 422, "invalid-request")
    assert listed.json() == {"experiments": []}


async def test_metrics_need_a_key(client):
    r = await client.get("/v1/metrics")

    assert_problem(r, 401, "unauthenticated")


async def test_the_routes_declare_their_problems(client):
    spec = (await client.get("/openapi.json")).json()

    assert "422" in spec["paths"]["/v1/metrics"]["get"]["responses"]
    assert (
        "404" in spec["paths"]["/v1/experiments/{experiment_id}"]["delete"]["responses"]
    )


def test_the_api_offers_exactly_the_services_csv_tables():
    from typing import get_args

    from levelwise.api.routes.metrics import Table
    from levelwise.app.metrics.service import TABLES

    assert get_args(Table) == TABLES


async def test_a_range_from_long_ago_lists_only_the_schools_weeks(client, auth):
    """Year 229 to today is not 93,000 empty weeks: rows begin with the data."""
    end = {"end": "2026-03-10"}
    plain = await client.get("/v1/metrics", params=end, headers=auth)
    ancient = await client.get(
        "/v1/metrics", params={**end, "start": "0229-04-25"}, headers=auth
    )

    assert ancient.status_code == 200, ancient.text
    weeks = ancient.json()["by_week"]
    assert [w["key"] for w in weeks] == [w["key"] for w in plain.json()["by_week"]]
    assert 0 < len(weeks) < 20
    assert weeks[0]["partial"] is False


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"class": "red\x00"}, "class"),
        ({"cohort": "\U00054b5c74\x00"}, "cohort"),
        ({"cohort": "last spring"}, "cohort"),
    ],
)
async def test_a_filter_that_names_no_class_or_month_is_a_422(
    client, auth, params, field
):
    for path in ("/v1/metrics", "/v1/metrics/weeks.csv"):
        response = await client.get(path, params=params, headers=auth)
        problem = assert_problem(response, 422, "invalid-request")
        assert field in problem["detail"]


def test_the_service_refuses_such_filters_for_every_caller(engine):
    from levelwise.app.metrics.views import MetricFilter
    from levelwise.errors import MetricError

    for bad in (MetricFilter(klass="a\x00"), MetricFilter(cohort="2026-9")):
        with pytest.raises(MetricError):
            engine.metrics.dashboard("school", bad)
    fine = engine.metrics.dashboard("school", MetricFilter(cohort="(none)"))
    assert fine.filter.cohort == "(none)"
