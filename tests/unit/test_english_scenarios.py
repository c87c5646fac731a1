"""The example program's scenarios play to their end on their own example answers."""

from __future__ import annotations

from importlib import resources
from typing import Any

import pytest

from levelwise.adapters.memory.event_log import InMemoryEventLog
from levelwise.adapters.memory.practice import InMemoryPracticeStore
from levelwise.app.engine import Levelwise
from levelwise.app.practice._script import REPHRASE, ScriptedPartner
from levelwise.app.programs.loader import load_program
from levelwise.cli import demo
from levelwise.domain.program import Scenario, ScenarioLine

ENGLISH = (
    resources.files("levelwise.examples") / "programs" / "english.yaml"
).read_text(encoding="utf-8")
SCENARIOS = load_program(ENGLISH).practice.scenarios


class Clock:
    def now_iso(self) -> str:
        return "2026-12-07T10:00:00.000000Z"


class Quiet:
    async def json(self, message: dict[str, Any]) -> None:
        pass

    async def audio(self, pcm: bytes) -> None:
        pass


def first_example(line: ScenarioLine) -> str:
    """The answer the demo gives: the first branch's first example, else the line's."""
    if line.branches and line.branches[0].examples:
        return line.branches[0].examples[0]
    return line.examples[0]


def ways(line: ScenarioLine) -> list[tuple[str, str]]:
    """Every example answer to ``line`` with the line it should lead to."""
    found = [(e, b.next) for b in line.branches for e in b.examples]
    if line.next is not None:
        found += [(e, line.next) for e in line.examples]
    return found


def by_unit(scenario: Scenario) -> str:
    return scenario.unit


def test_the_example_has_scenarios_from_starter_to_c1():
    units = [s.unit for s in SCENARIOS]
    assert len(units) >= 9
    assert {u.split("_")[0] for u in units} == {"st", "a1", "a2", "b1", "b2", "c1"}


@pytest.mark.parametrize("scenario", SCENARIOS, ids=by_unit)
def test_every_answer_the_partner_waits_for_has_examples(scenario):
    for line in scenario.lines:
        for branch in line.branches:
            assert 1 <= len(branch.examples) <= 2, (line.id, branch.keywords)
        if not line.branches and not line.end:
            assert 1 <= len(line.examples) <= 2, line.id


@pytest.mark.parametrize("scenario", SCENARIOS, ids=by_unit)
def test_every_example_takes_its_own_way(scenario):
    partner = ScriptedPartner(scenario)
    lines = scenario.line_by_id
    for line in scenario.lines:
        for example, target in ways(line):
            partner.current = line.id

            said = partner.answer(example)

            assert (partner.current, said) == (target, lines[target].say), example
            assert not said.startswith(REPHRASE)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=by_unit)
def test_the_scenario_plays_to_its_end_on_its_first_examples(scenario):
    partner = ScriptedPartner(scenario)
    lines = scenario.line_by_id
    said = partner.opening()
    heard = [said]
    for _ in range(len(scenario.lines) + 1):
        if partner.ended:
            break
        assert partner.current is not None
        said = partner.answer(first_example(lines[partner.current]))
        heard.append(said)
    assert partner.ended, heard
    assert lines[partner.current].end and said == lines[partner.current].say
    # Each turn moved the dialogue on: no line was asked twice.
    assert len(set(heard)) == len(heard)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=by_unit)
def test_every_conversation_the_examples_make_comes_to_an_end(scenario):
    # Depth first over every example answer: each path reaches an end line
    # within as many turns as the scenario has lines, plus one.
    budget = len(scenario.lines) + 1
    lines = scenario.line_by_id
    ended = 0
    todo: list[tuple[str, int]] = [(scenario.start, 0)]
    while todo:
        at, turns = todo.pop()
        if lines[at].end:
            ended += 1
            continue
        assert turns < budget, f"no end within {budget} turns from {at}"
        nexts = ways(lines[at])
        assert nexts, f"line {at} has no example answer"
        todo.extend((target, turns + 1) for _, target in nexts)
    assert ended >= 1


@pytest.fixture
def engine() -> Levelwise:
    engine = Levelwise(InMemoryEventLog(), Clock(), practice=InMemoryPracticeStore())
    engine.put_program(demo.TENANT, ENGLISH)
    return engine


def test_speech_to_text_is_hinted_with_the_examples_first(engine):
    scenario = SCENARIOS[0]
    opened = engine.practice.start(demo.TENANT, "ana", scenario.unit)

    hints = engine.practice.connect(
        demo.TENANT, opened.record.session, Quiet(), voice=False
    ).hints

    examples = list(dict.fromkeys(e for line in scenario.lines for e, _ in ways(line)))
    words = [*scenario.target_words]
    words += [k for line in scenario.lines for b in line.branches for k in b.keywords]
    assert list(hints) == list(dict.fromkeys([*examples, *words]))
    # Phrases, which a recogniser can be biased with (single words are not).
    assert all(len(h.split()) > 1 for h in hints[: len(examples)])


def test_the_demo_learner_answers_with_the_examples(engine, capsys):
    learner = "ana"
    unit = engine.practice.start(demo.TENANT, learner).record.unit
    scenario = next(s for s in SCENARIOS if s.unit == unit)
    partner = ScriptedPartner(scenario)
    partner.opening()
    expected = []
    while not partner.ended:
        assert partner.current is not None
        expected.append(first_example(scenario.line_by_id[partner.current]))
        partner.answer(expected[-1])

    demo._practice(engine, learner, "sqlite://")

    printed = capsys.readouterr().out.splitlines()
    said = [line.split("learner> ", 1)[1] for line in printed if "learner> " in line]
    assert said == expected
