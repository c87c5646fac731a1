"""Whatever ingest accepts, replay reproduces byte for byte, on every store.

Hypothesis draws batches of events of every type, most of them plausible and
some with the values that broke the log before (NaN, infinities, 1e308, huge
integers, years 1 and 9999, offsets with seconds, ids with NUL, ``/`` or
``..``). For each batch, on a fresh school with the example English program:

* ingest never raises: every event is accepted, a duplicate, a conflict, or
  rejected with a short reason;
* every stored body is canonical: read back and written again, it is the
  same bytes, and the event it decodes to sorts where the row says;
* a replay of the school gives the same snapshots and outcome rows, byte for
  byte, as ingest wrote.

The run is derandomized (the same examples on every run) and has no example
database, so CI sees the same ~100 examples per store every time.
"""

from __future__ import annotations

import functools
import hashlib
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from levelwise.app.engine import Levelwise
from levelwise.app.ingest.wire import (
    EVENT_ADAPTER,
    canonical_body,
    digest_of,
    from_body,
)
from levelwise.app.ports import EventLog
from levelwise.app.programs.loader import load_program
from levelwise.domain.practice import PRACTICE_METRICS, MetricSpec
from levelwise.domain.program import Program
from tests.conftest import FixedClock
from tests.support.factories import new_tenant

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "src/levelwise/examples/programs/english.yaml"
NOW = datetime(2026, 6, 1, tzinfo=UTC)


@functools.cache
def english() -> tuple[str, Program]:
    source = SOURCE.read_text()
    return source, load_program(source, SOURCE.name)


# -- strategies ----------------------------------------------------------------


def mostly(
    good: st.SearchStrategy[Any], odd: st.SearchStrategy[Any]
) -> st.SearchStrategy[Any]:
    """``good`` nine times in ten, else ``odd``: most events are accepted."""
    return st.integers(0, 9).flatmap(lambda i: odd if i == 0 else good)


GOOD_ID = st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9._:@-]{0,12}\Z")
BAD_ID = st.sampled_from(["a\x00", "abc/", "..", "a b", "ana\n", "", "x" * 201])
LEARNERS = mostly(st.sampled_from(["ana", "bo", "cy"]) | GOOD_ID, BAD_ID | st.text())
EVENT_IDS = mostly(GOOD_ID | st.sampled_from(["e1", "e2", "e3"]), BAD_ID)
IDS = mostly(st.sampled_from(["red", "blue"]) | GOOD_ID, BAD_ID)

ODD_NUMBERS = st.floats() | st.integers() | st.just(10**400)
"""NaN, the infinities, 1e308, subnormals, -0.0 and integers beyond any float."""
ODD_NUMBERS |= st.sampled_from([-1, 0, -0.0, 1e308, 86_401, 1_000_001, True, "5"])

OFFSETS = st.integers(-14 * 60, 14 * 60).map(lambda m: timezone(timedelta(minutes=m)))
RECENT = st.datetimes(
    min_value=datetime(2026, 4, 1),
    max_value=datetime(2026, 6, 1, 0, 20),  # a little past the clock
    timezones=OFFSETS,
)
ANY_TIME = st.datetimes(timezones=OFFSETS | st.just(timezone(timedelta(seconds=30))))
TIMES = mostly(
    RECENT.map(datetime.isoformat) | RECENT,
    st.one_of(
        ANY_TIME.map(datetime.isoformat),
        ANY_TIME,
        st.datetimes().map(datetime.isoformat),  # naive
        st.sampled_from(
            [
                "0001-01-01T00:00:00+05:00",
                "9999-12-31T23:00:00-05:00",
                "1970-01-01T00:00:00Z",
                "1999-12-31T23:59:59Z",
                "2030-01-01T00:00:00Z",
                "2026-05-01T09:00:00+05:00:30",
                "2026-05-01",
                "soon",
            ]
        ),
    ),
)


def number(low: float, high: float) -> st.SearchStrategy[Any]:
    """Numbers in ``[low, high]``, or odd ones."""
    return mostly(st.floats(low, high) | st.integers(int(low), int(high)), ODD_NUMBERS)


def count(high: int) -> st.SearchStrategy[Any]:
    """Whole numbers in ``[0, high]``, or odd numbers."""
    return mostly(st.integers(0, high), ODD_NUMBERS)


REASONS = st.sampled_from(["network broken 19:42–19:54", "drop"]) | st.text(
    min_size=1, max_size=200
)
"""A credit's reason: free text (st.text may draw controls: those are refused)."""
ODD_REASONS = st.sampled_from(["", "   ", "x" * 201, "a\x00", "\u202e", 5, None])

BOOLS = mostly(st.booleans(), st.sampled_from([None, 0, 1, "true"]))


def metric_value(spec: MetricSpec) -> st.SearchStrategy[Any]:
    """A value of the metric within its bounds (whole for counts), or odd ones."""
    high = spec.high if spec.high is not None else 1e9
    if spec.integral:
        return mostly(st.integers(int(spec.low), int(high)), ODD_NUMBERS)
    return number(spec.low, high)


def metrics() -> st.SearchStrategy[Any]:
    """Typed practice metrics: known names mostly, now and then an unknown one."""
    known = st.sampled_from(list(PRACTICE_METRICS)).flatmap(
        lambda name: st.tuples(st.just(name), metric_value(PRACTICE_METRICS[name]))
    )
    unknown = st.tuples(st.sampled_from(["fluency", "wpm"]) | IDS, number(-1e9, 1e9))
    pairs = st.lists(mostly(known, unknown), max_size=4)
    return pairs.map(dict)


def events(program: Program) -> st.SearchStrategy[Any]:
    """Events of every type (and a few things that are not events at all)."""
    units = mostly(st.sampled_from([u.id for u in program.units]), IDS)
    points = mostly(st.sampled_from([k.id for k in program.knowledge_points]), IDS)
    dimensions = mostly(st.sampled_from([d.id for d in program.dimensions]), IDS)
    titles = mostly(st.sampled_from([t.id for t in program.titles]), IDS)

    def of(
        type_: str, optional: dict[str, Any] | None = None, **required: Any
    ) -> st.SearchStrategy[dict[str, Any]]:
        envelope = {"id": EVENT_IDS, "learner": LEARNERS, "occurred_at": TIMES}
        optional = {"unit": units, **(optional or {})}
        return st.fixed_dictionaries(
            {"type": st.just(type_), **envelope, **required},
            optional={k: v for k, v in optional.items() if k not in required},
        )

    ability = st.fixed_dictionaries({"theta": number(-10, 10), "se": number(0, 10)})
    return st.one_of(
        of("lesson.watched", seconds=number(0, 86_400)),
        of("live.attended", seconds=number(0, 86_400)),
        of(
            "live.credited",
            seconds=number(0, 86_400),
            reason=mostly(REASONS, ODD_REASONS),
            live_class=IDS,
        ),
        of(
            "live.interaction",
            {
                "correct": BOOLS,
                "pk": IDS,
                "team": IDS,
                "round": count(10_000),
                "response_ms": count(3_600_000),
            },
            kind=st.sampled_from(["mic", "answer", "chat", "pk", "dance"]),
        ),
        of(
            "homework.submitted",
            score=number(0, 1_000_000),
            max_score=number(0, 1_000_000),
        ),
        of(
            "question.answered",
            {"seconds": number(0, 86_400)},
            item=IDS,
            knowledge_point=points,
            correct=BOOLS,
        ),
        of("unit.completed", unit=units),
        of(
            "practice.completed",
            {
                "turns": count(10_000),
                "metrics": metrics(),
                "session": IDS,
                "scenario": IDS,
            },
            seconds=number(0, 86_400),
        ),
        of("enrolment.started"),
        of("subscription.renewed"),
        of(
            "placement.completed",
            {"session": IDS},
            abilities=st.dictionaries(dimensions, ability, min_size=1, max_size=3),
            items=count(10_000),
        ),
        of(
            "profile.updated",
            {
                "timezone": st.sampled_from(["Asia/Shanghai", "UTC", "Mars/Base"]),
                "cohort": IDS,
                "team": IDS,
                "public_boards": BOOLS,
                "title": titles,
            },
        ),
        of(
            "pk.finished",
            pk=IDS,
            team=IDS,
            points=count(1_000_000),
            team_points=count(1_000_000),
            rank=count(10_000),
            won=BOOLS,
        ),
        st.sampled_from([42, "an event", None, {}, {"type": "lesson.danced"}]),
    )


def batches() -> st.SearchStrategy[list[Any]]:
    return st.lists(events(english()[1]), min_size=1, max_size=8)


# -- the property --------------------------------------------------------------


def school_of(lw: Levelwise) -> str:
    """A fresh school with the English program, compiled once per engine."""
    source, program = english()
    tenant = new_tenant()
    digest = hashlib.sha256(source.encode()).hexdigest()
    with lw.log.session(tenant) as s:
        version = s.save_program(source, digest, NOW.isoformat())
    lw.catalog.remember(digest, version, program)
    return tenant


def projections(lw: Levelwise, tenant: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Every snapshot and outcome row of the school, as stored."""
    with lw.log.read(tenant) as s:
        version = lw.catalog.program(s).version
        learners = s.learners()
        snaps = s.snapshots(learners)
        outcomes = [
            (o.learner, o.event_id, o.seq, o.kind, o.at, o.body)
            for learner in learners
            for o in s.outcomes(learner, version, limit=1_000_000)
        ]
    return [snaps[x].state for x in learners], sorted(outcomes)


@pytest.fixture
def lw(event_log: EventLog) -> Levelwise:
    return Levelwise(event_log, FixedClock(NOW.isoformat()))


@settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,  # each example has its own school
    ],
)
@given(batch=st.deferred(batches))
def test_what_ingest_accepts_replay_reproduces_byte_for_byte(lw, batch):
    tenant = school_of(lw)
    half = len(batch) // 2  # in two batches: the second may bring late events

    reports = [lw.ingest(tenant, batch[:half]), lw.ingest(tenant, batch[half:])]

    results = [*reports[0].results, *reports[1].results]
    assert len(results) == len(batch)
    for result in results:
        assert result.status != "rejected" or 0 < len(result.reason) < 1_000
    accepted = [
        raw
        for raw, result in zip(batch, results, strict=True)
        if result.status == "accepted"
    ]
    with lw.log.read(tenant) as s:
        stored = [e for learner in s.learners() for e in s.history(learner)]
    assert len(stored) == len(accepted)
    bodies = {canonical_body(EVENT_ADAPTER.validate_python(raw)) for raw in accepted}
    assert {e.body for e in stored} == bodies
    for e in stored:
        assert canonical_body(EVENT_ADAPTER.validate_json(e.body)) == e.body
        assert digest_of(e.body) == e.digest
        event = from_body(e.body, e.version)
        assert (event.id, event.learner, event.type) == (e.event_id, e.learner, e.type)
        assert event.sort_key[0] == e.occurred_at
    ingested = projections(lw, tenant)

    lw.replay(tenant)

    assert projections(lw, tenant) == ingested
