"""Call quality through the engine: grading, bad input, alerts, credits, isolation.

Every test runs against the in-memory store and the SQL stores (SQLite, and
PostgreSQL when it is up), so the same behaviour holds on the real store.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path as FilePath

import pytest

from levelwise.app.engine import Levelwise
from levelwise.app.quality.service import DEGRADED, RECOVERED, credit_id
from levelwise.bootstrap import engine_over, memory_stores, open_stores
from levelwise.errors import QualityInputError, QualityNotFoundError
from tests.support.factories import new_tenant
from tests.support.postgres import postgres_engine, postgres_url
from tests.support.quality_calls import (
    START,
    Path,
    batches,
    expected_delay,
    one_to_one,
    participant_samples,
    steady,
)

ROOT = FilePath(__file__).resolve().parents[2]
PROGRAM = (ROOT / "src/levelwise/examples/programs/english.yaml").read_text()
UNIT = "a1_live_family_club"
GOOD = Path(rtt_ms=60, jb_ms=30)  # 30 + 30 + 40 = 100 ms: good
SLOW = Path(rtt_ms=500, jb_ms=60)  # 250 + 60 + 40 = 350 ms: degraded
BROKEN = Path(rtt_ms=1600, jb_ms=120, loss=0.05)  # 800 + 120 + 40 = 960: broken


class Clock:
    """A clock just after the synthetic classes."""

    def now_iso(self) -> str:
        return (START + timedelta(hours=2)).isoformat()


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
def school(
    request: pytest.FixtureRequest, tmp_path: FilePath
) -> Iterator[tuple[Levelwise, str]]:
    """An engine over each store, and a school of its own with the English program."""
    if request.param == "memory":
        stores = memory_stores()
    else:
        if request.param == "postgresql":
            postgres_engine().dispose()  # skip, or fail in CI, when it is down
            db = postgres_url()
        else:
            db = f"sqlite:///{tmp_path / 'quality.db'}"
        stores = open_stores(db)
    engine = engine_over(stores, Clock())
    tenant = new_tenant()
    engine.put_program(tenant, PROGRAM)
    yield engine, tenant
    sql = getattr(stores.log, "engine", None)
    if sql is not None:
        sql.dispose()


def post_all(
    school: tuple[Levelwise, str], klass: str, lines: list[dict], size: int = 20
) -> list:
    engine, tenant = school
    reports = []
    for batch in batches(lines, size):
        for line in batch:
            line.pop("class", None)
        reports.append(engine.quality.post(tenant, klass, batch))
    return reports


def test_a_good_class_is_graded_good_with_the_expected_delay(school):
    engine, tenant = school
    post_all(school, "c1", one_to_one("c1", 40, steady(GOOD), steady(GOOD)))
    report = engine.quality.report(tenant, "c1")
    assert report.band == "good"
    for p in report.participants:
        assert p.mean_delay_ms == pytest.approx(expected_delay(GOOD), abs=1)
        assert p.shares[0] == pytest.approx(1.0)
        assert p.mos is not None and p.mos > 4.0
    assert "Good" in report.verdict


def test_a_slow_learner_path_degrades_only_what_the_learner_hears(school):
    engine, tenant = school
    post_all(school, "c2", one_to_one("c2", 40, steady(GOOD), steady(SLOW)))
    report = engine.quality.report(tenant, "c2")
    by = {p.participant: p for p in report.participants}
    assert by["learner-1"].band == "degraded"
    assert by["learner-1"].mean_delay_ms == pytest.approx(expected_delay(SLOW), abs=1)
    assert by["teacher-1"].band == "good"
    assert report.band == "degraded"


def test_bad_samples_are_rejected_with_reasons_and_change_nothing(school):
    engine, tenant = school
    lines = one_to_one("c3", 10, steady(GOOD), steady(GOOD))
    post_all(school, "c3", lines)
    before = engine.quality.report(tenant, "c3")
    future = dict(lines[0], at=(START + timedelta(days=3)).isoformat())
    absurd = dict(lines[1], at=(START + timedelta(seconds=30)).isoformat())
    absurd["webrtc"] = "not a list"
    bad = [
        lines[0],  # a duplicate
        dict(lines[2], role="pilot"),
        future,
        absurd,
        {"participant": "x", "role": "learner", "at": lines[0]["at"]},
        dict(lines[0], **{"class": "another"}),
    ]
    report = engine.quality.post(tenant, "c3", bad)
    assert report.accepted == 0
    reasons = [r.reason for r in report.rejected]
    assert [r.index for r in report.rejected] == list(range(6))
    assert "out of order or duplicate" in reasons[0]
    assert reasons[1].startswith("role:")
    assert "future" in reasons[2]
    assert reasons[4] == "a sample has exactly one of 'webrtc' or 'agora'"
    assert reasons[5].startswith("class:")
    after = engine.quality.report(tenant, "c3")
    assert after == before


def test_one_bad_sample_never_loses_the_good_ones_beside_it(school):
    engine, tenant = school
    lines = participant_samples("", "learner-1", "learner", 5, steady(GOOD))
    lines.insert(2, dict(lines[1], webrtc=[{"type": 3}]))
    report = engine.quality.post(tenant, "c4", lines)
    assert report.accepted == 5
    assert [r.index for r in report.rejected] == [2]
    assert report.intervals == 4  # the first sample is a baseline


def test_a_class_broken_longer_than_the_alert_delay_alerts_once_then_recovers(school):
    engine, tenant = school

    def learner(second: int) -> Path:
        return BROKEN if 5 <= second < 50 else GOOD

    lines = one_to_one("c5", 70, steady(GOOD), learner)
    reports = post_all(school, "c5", lines, size=10)
    alerts = [a for r in reports for a in r.alerts]
    assert alerts == [DEGRADED, RECOVERED]
    rows = engine.notifications.read(tenant, after=0, cohort="c5")
    assert [r.kind for r in rows] == [DEGRADED, RECOVERED]
    body = json.loads(rows[0].body)
    assert body["type"] == DEGRADED
    assert body["data"]["class"] == "c5"
    assert body["data"]["broken_seconds"]["learner-1"] > 30


def test_end_credits_the_minutes_a_learner_lost_to_a_drop_in_broken_quality(school):
    engine, tenant = school

    def learner(second: int) -> Path | None:
        if 60 <= second < 80:
            return BROKEN
        if 80 <= second < 800:
            return None  # dropped for 12 minutes
        return GOOD

    lines = one_to_one("c6", 1200, steady(GOOD), learner, unit=UNIT)
    post_all(school, "c6", lines, size=200)
    attended = 1200 - 720
    engine.ingest(
        tenant,
        [
            {
                "id": "att-1",
                "type": "live.attended",
                "learner": "learner-1",
                "occurred_at": (START + timedelta(minutes=20)).isoformat(),
                "unit": UNIT,
                "seconds": attended,
            }
        ],
    )
    before = engine.learner(tenant, "learner-1")
    ended = engine.quality.end(tenant, "c6")
    assert ended.policy == "drops"
    [credit] = ended.credits
    assert credit.learner == "learner-1"
    # From the last sample before the drop (second 79) to the next (second 800),
    # broken since the interval that ended at second 60 (19:30:59-19:31:00).
    assert credit.seconds == 721
    assert credit.reason == "network broken 19:30–19:43 UTC"
    assert credit.status == "accepted"
    after = engine.learner(tenant, "learner-1")
    assert after.counters["live_minutes"] == pytest.approx(
        before.counters["live_minutes"] + 721 / 60, abs=0.1
    )
    receipts = engine.receipts(tenant, "learner-1")
    texts = [r.get("text", "") for r in receipts]
    assert any(t.startswith("+12 live minutes credited: network broken") for t in texts)
    again = engine.quality.end(tenant, "c6")
    assert [c.status for c in again.credits] == ["duplicate"]
    assert again.credits[0].event_id == credit_id("c6", "learner-1")
    late = participant_samples(
        "", "learner-1", "learner", 2, steady(GOOD), start=START + timedelta(hours=1)
    )
    report = engine.quality.post(tenant, "c6", late)
    assert {r.reason for r in report.rejected} == {"the class has ended"}


def test_a_drop_without_broken_quality_is_not_credited(school):
    engine, tenant = school

    def learner(second: int) -> Path | None:
        return None if 100 <= second < 400 else GOOD

    lines = one_to_one("c7", 600, steady(GOOD), learner, unit=UNIT)
    post_all(school, "c7", lines, size=200)
    assert engine.quality.end(tenant, "c7").credits == ()


def test_a_school_never_sees_another_schools_class(school):
    engine, tenant = school
    post_all(school, "c8", one_to_one("c8", 5, steady(GOOD), steady(GOOD)))
    other = new_tenant()
    engine.put_program(other, PROGRAM)
    with pytest.raises(QualityNotFoundError):
        engine.quality.report(other, "c8")
    with pytest.raises(QualityNotFoundError):
        engine.quality.end(other, "c8")


def test_a_batch_too_large_is_refused_whole(school):
    engine, tenant = school
    with pytest.raises(QualityInputError, match="at most"):
        engine.quality.post(tenant, "c9", [{}] * 2001)


def test_a_new_peer_connection_is_a_new_baseline_with_a_note(school):
    engine, tenant = school
    first = participant_samples("", "learner-1", "learner", 5, steady(GOOD))
    again = participant_samples(
        "",
        "learner-1",
        "learner",
        3,
        steady(SLOW),
        start=START + timedelta(seconds=5),
        connection="2",
    )
    report = engine.quality.post(tenant, "c10", first + again)
    assert report.accepted == 8 and report.rejected == ()
    assert report.intervals == 4 + 2  # no interval spans the two connections
    assert any(n.startswith("learner-1: ") for n in report.notes)
    [p] = engine.quality.report(tenant, "c10").participants
    assert p.worst_delay_ms == pytest.approx(expected_delay(SLOW), abs=1)
