"""Practice sessions: the brief, the unit, tokens, finishing (in memory)."""

from __future__ import annotations

import asyncio
from importlib import resources
from typing import Any

import pytest

from levelwise.adapters.memory.event_log import InMemoryEventLog
from levelwise.adapters.memory.practice import InMemoryPracticeStore
from levelwise.app.engine import Levelwise
from levelwise.app.practice.service import Practice
from levelwise.errors import PracticeClosedError, PracticeError, PracticeNotFoundError

ENGLISH = (
    resources.files("levelwise.examples") / "programs" / "english.yaml"
).read_text(encoding="utf-8")
UNIT = "a1_practice_ordering_food"


class Clock:
    def __init__(self) -> None:
        self.now = "2026-12-07T10:00:00.000000Z"

    def now_iso(self) -> str:
        return self.now


class Quiet:
    async def json(self, message: dict[str, Any]) -> None:
        pass

    async def audio(self, pcm: bytes) -> None:
        pass


@pytest.fixture
def engine() -> Levelwise:
    engine = Levelwise(InMemoryEventLog(), Clock(), practice=InMemoryPracticeStore())
    engine.put_program("s", ENGLISH)
    return engine


def _answers(engine: Levelwise, learner: str, kp: str, correct: bool, n: int) -> None:
    engine.ingest(
        "s",
        [
            {
                "id": f"{learner}-{kp}-{i}",
                "type": "question.answered",
                "learner": learner,
                "occurred_at": f"2026-12-0{1 + i % 5}T09:00:00Z",
                "item": f"q{i}",
                "knowledge_point": kp,
                "correct": correct,
            }
            for i in range(n)
        ],
    )


def test_the_brief_is_the_learners_own_state(engine: Levelwise) -> None:
    # Another learner with a distinctive id and a strong record.
    _answers(engine, "zed-secret-42", "food_shopping", True, 8)
    _answers(engine, "ana", "food_shopping", False, 4)
    opened = engine.practice.start("s", "ana", UNIT)
    brief = dict(opened.record.brief)
    program = engine.program("s")
    assert brief["level"] == program.levels[0].title
    assert brief["next_level"] == program.levels[1].title
    assert brief["weak_points"].split("; ")[0] == "Food, prices and shopping"
    assert "menu" in brief["target_words"]
    text = opened.record.instructions
    assert "zed-secret-42" not in text and "ana" not in text.split()
    assert "Food, prices and shopping" in text and program.levels[0].title in text


def test_the_default_unit_is_the_first_practice_unit_not_yet_mastered(
    engine: Levelwise,
) -> None:
    program = engine.program("s")
    practice_units = [
        u.id
        for u in program.units
        if u.kind == "practice" and u.id in program.practice.scenario_by_unit
    ]
    assert engine.practice.start("s", "new").record.unit == practice_units[0]


def test_only_practice_units_open_a_session(engine: Levelwise) -> None:
    with pytest.raises(PracticeError, match="not a practice unit"):
        engine.practice.start("s", "ana", "a1_lesson_my_family")
    with pytest.raises(PracticeError, match="not a practice unit"):
        engine.practice.start("s", "ana", "no-such-unit")


def test_a_token_opens_only_its_own_session(engine: Levelwise) -> None:
    one = engine.practice.start("s", "ana", UNIT)
    two = engine.practice.start("s", "ana", UNIT)
    assert engine.practice.token_tenant(one.token) == "s"
    assert engine.practice.check_token("s", one.record.session, one.token)
    with pytest.raises(PracticeNotFoundError):
        engine.practice.check_token("s", two.record.session, one.token)
    with pytest.raises(PracticeNotFoundError):
        engine.practice.check_token("other", one.record.session, one.token)
    assert engine.practice.token_tenant("no-dot") is None
    assert engine.practice.token_tenant("%%%.x") is None


def test_finishing_scores_ingests_once_and_closes(engine: Levelwise) -> None:
    opened = engine.practice.start("s", "ana", UNIT)
    session = opened.record.session
    with pytest.raises(PracticeError, match="not said anything"):
        engine.practice.finish("s", session)

    async def talk() -> None:
        live = engine.practice.connect("s", session, Quiet(), voice=False)
        await live.begin()
        await live.idle()
        for text in ("Hello, a coffee please.", "A sandwich and the menu please."):
            await live.text(text)
            await live.idle()

    asyncio.run(talk())
    engine.clock.now = "2026-12-07T10:04:30.000000Z"  # type: ignore[attr-defined]
    done = engine.practice.finish("s", session)
    assert done.event_status == "accepted"
    metrics = dict(done.record.metrics)
    assert metrics["learner_turns"] == 2
    assert metrics["target_words_used"] >= 2  # menu, please (and coffee?)
    again = engine.practice.finish("s", session)
    assert again.event_status == "duplicate"
    assert again.record.metrics == done.record.metrics
    with pytest.raises(PracticeClosedError):
        engine.practice.connect("s", session, Quiet())
    receipts = engine.receipts("s", "ana")
    assert any(r["event_id"] == f"practice-{session}" for r in receipts)


def test_no_store_means_no_practice() -> None:
    engine = Levelwise(InMemoryEventLog(), Clock())
    engine.put_program("s", ENGLISH)
    assert isinstance(engine.practice, Practice)
    with pytest.raises(PracticeError, match="not set up"):
        engine.practice.start("s", "ana", UNIT)
