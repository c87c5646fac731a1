"""The demo school's simulated calls: which classes, what each hears, who leaves."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from levelwise.adapters.memory.event_log import InMemoryEventLog
from levelwise.adapters.memory.quality import InMemoryQualityStore
from levelwise.app.engine import Levelwise
from levelwise.app.simulate import calls
from levelwise.app.simulate.calls import (
    BATCH,
    LONGEST,
    SHORTEST,
    plan_calls,
    run_calls,
)
from levelwise.app.simulate.school import simulate

ROOT = Path(__file__).resolve().parents[2]
PROGRAM = (ROOT / "src/levelwise/examples/programs/english.yaml").read_text()


class Clock:
    def now_iso(self) -> str:
        return "2027-01-01T00:00:00+00:00"


@pytest.fixture(scope="module")
def school() -> list[dict[str, object]]:
    """A small demo school's events (120 learners, 8 weeks)."""
    engine = Levelwise(InMemoryEventLog(), Clock())
    engine.put_program("s", PROGRAM)
    return list(simulate(engine.program("s"), learners=120, weeks=8, seed=5))


@pytest.fixture(scope="module")
def plan(school):
    return plan_calls(school, 40, seed=5)


def at(event) -> datetime:
    return datetime.fromisoformat(str(event["occurred_at"])).astimezone(UTC)


def test_the_plan_picks_short_live_classes_and_is_reproducible(school, plan):
    by_id = {f"live-{e['id']}": e for e in school}

    assert len(plan.classes) == 40
    for c in plan.classes:
        event = by_id[c.klass]
        assert event["type"] == "live.attended"
        assert SHORTEST <= int(event["seconds"]) <= LONGEST  # type: ignore[call-overload]
        assert c.seconds == event["seconds"] and c.start == at(event)
        assert (c.learner, c.unit) == (event["learner"], event["unit"])
    assert [c.start for c in plan.classes] == sorted(c.start for c in plan.classes)
    again = plan_calls(school, 40, seed=5)
    assert [c.klass for c in again.classes] == [c.klass for c in plan.classes]
    assert again.events == plan.events
    other = plan_calls(school, 40, seed=6)
    assert [c.klass for c in other.classes] != [c.klass for c in plan.classes]


def test_only_classes_over_by_the_clock_are_picked(school):
    until = min(at(e) for e in school) + timedelta(weeks=3)

    found = plan_calls(school, 1000, seed=5, until=until)

    assert found.classes
    assert all(c.start + timedelta(seconds=c.seconds) <= until for c in found.classes)


def test_samples_are_agoras_once_a_second_while_each_side_is_there(plan):
    c = next(c for c in plan.classes if c.left is not None)
    lines = c.samples()

    teacher = [x for x in lines if x["role"] == "teacher"]
    learner = [x for x in lines if x["role"] == "learner"]
    assert len(teacher) == c.seconds  # the teacher reports every second
    times = [datetime.fromisoformat(x["at"]) for x in teacher]
    assert all(
        b - a == timedelta(seconds=1) for a, b in zip(times, times[1:], strict=False)
    )
    assert len(learner) == c.connected
    last = datetime.fromisoformat(learner[-1]["at"])
    assert last == c.start + timedelta(seconds=c.left - 1)
    # After the learner left, the teacher hears no audio from them.
    after = [x for x in teacher if datetime.fromisoformat(x["at"]) > last]
    assert after and all("audio" not in x["agora"] for x in after)
    sample = learner[0]
    assert sample["agora"]["remote"] == c.teacher
    heard = c.learner_hears[0]
    assert heard is not None
    audio = sample["agora"]["audio"]
    assert audio["networkTransportDelay"] == round(heard.transport_ms)
    assert audio["jitterBufferDelay"] == round(heard.jitter_ms)
    assert sample["unit"] == c.unit


def test_weak_networks_are_heard_late_and_late_audio_drives_learners_away():
    # A larger plan, for rates: 300 classes of a 400-learner school.
    engine = Levelwise(InMemoryEventLog(), Clock())
    engine.put_program("s", PROGRAM)
    events = list(simulate(engine.program("s"), learners=400, weeks=12, seed=9))
    big = plan_calls(events, 300, seed=9)

    weak = [c for c in big.classes if c.learner in big.weak]
    strong = [c for c in big.classes if c.learner not in big.weak]
    assert 0.05 < len(weak) / len(big.classes) < 0.3
    mean = lambda xs: sum(xs) / len(xs)  # noqa: E731
    assert mean([c.bad_share for c in weak]) > 0.3
    assert mean([c.bad_share for c in strong]) < 0.1

    def left(classes):
        return mean([c.left is not None for c in classes])

    late = [c for c in big.classes if c.bad_share > 0.2]
    timely = [c for c in big.classes if c.bad_share < 0.02]
    assert left(late) > 3 * left(timely)


def test_events_follow_the_calls(school, plan):
    planned = {c.klass: c for c in plan.classes}
    before = Counter(str(e["type"]) for e in school)
    after = Counter(str(e["type"]) for e in plan.events)

    for e in plan.events:
        c = planned.get(f"live-{e['id']}")
        if c is not None:
            assert e["seconds"] == c.connected
    # Nothing is added; only interactions after leaving and renewals go.
    assert {str(e["id"]) for e in plan.events} <= {str(e["id"]) for e in school}
    assert after["live.attended"] == before["live.attended"]
    gone = before - after
    assert set(gone) <= {"live.interaction", "subscription.renewed"}
    assert gone["subscription.renewed"] == plan.renewals_dropped
    kept = {str(e["id"]) for e in plan.events}
    for e in school:
        if str(e["id"]) in kept:
            continue
        learner = str(e["learner"])
        if e["type"] == "subscription.renewed":
            assert learner in {c.learner for c in plan.classes}
        else:  # an interaction after its learner left the class
            left = [
                c
                for c in plan.classes
                if c.learner == learner
                and c.unit == e["unit"]
                and c.left is not None
                and c.start + timedelta(seconds=c.left) <= at(e)
            ]
            assert left


class Recording:
    """A call-quality service that records what the demo posts."""

    def __init__(self):
        self.calls: list[tuple[str, str, int]] = []

    def post(self, tenant, klass, raw):
        self.calls.append(("post", klass, len(raw)))
        return type("Report", (), {"accepted": len(raw), "rejected": ()})()

    def end(self, tenant, klass):
        self.calls.append(("end", klass, 0))
        credit = type("Credit", (), {"seconds": 30.0})()
        return type("Ended", (), {"credits": (credit,)})()


def test_each_class_is_posted_in_batches_then_ended(plan):
    quality = Recording()

    run = run_calls(quality, "s", plan)

    assert run.classes == len(plan.classes) == run.credits
    assert run.credited_seconds == 30.0 * len(plan.classes)
    assert run.samples == sum(len(c.samples()) for c in plan.classes)
    first = plan.classes[0]
    mine = [x for x in quality.calls if x[1] == first.klass]
    assert mine[-1] == ("end", first.klass, 0)
    assert all(x[0] == "post" and x[2] <= BATCH for x in mine[:-1])
    assert sum(x[2] for x in mine[:-1]) == len(first.samples())


def test_the_grader_takes_every_sample_and_finds_the_drop_outs(school):
    small = plan_calls(school, 6, seed=11)
    engine = Levelwise(InMemoryEventLog(), Clock(), quality=InMemoryQualityStore())
    engine.put_program("s", PROGRAM)

    run = run_calls(engine.quality, "s", small)

    assert run.rejected == 0 and run.classes == 6
    found = {p.klass: p for p in engine.quality.participations("s")}
    for c in small.classes:
        # Left for good more than drop_after_s (10 s) before the class's end.
        gone = c.left is not None and (c.seconds - 1) - (c.left - 1) > 10
        assert found[c.klass].dropped is gone
        assert found[c.klass].learner == c.learner


def test_the_bands_of_the_model_are_what_the_grader_finds(monkeypatch, school):
    # Every learner on a weak network, every class with a teacher incident:
    # nothing is good.
    monkeypatch.setattr(calls, "WEAK_SHARE", 1.0)
    monkeypatch.setattr(calls, "INCIDENT_OTHERS", 1.0)
    rough = plan_calls(school, 4, seed=3)
    engine = Levelwise(InMemoryEventLog(), Clock(), quality=InMemoryQualityStore())
    engine.put_program("s", PROGRAM)
    run_calls(engine.quality, "s", rough)

    bands = {p.band for p in engine.quality.participations("s")}

    assert bands <= {"degraded", "broken"}
