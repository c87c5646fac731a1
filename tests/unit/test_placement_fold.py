"""Placement in the fold: starting level, receipt, mastery priors, codec and wire."""

from __future__ import annotations

import math
from dataclasses import replace
from types import MappingProxyType

import pytest
from pydantic import ValidationError

from levelwise.app.ingest.acceptance import check_references
from levelwise.app.ingest.projection import dumps
from levelwise.app.ingest.wire import (
    EVENT_ADAPTER,
    canonical_body,
    from_body,
    to_domain,
)
from levelwise.app.programs.loader import load_program
from levelwise.app.views import learner_view
from levelwise.domain import codec
from levelwise.domain.events import LessonWatched, PlacementCompleted
from levelwise.domain.fold import default_model, fold, initial_state, prior_for
from levelwise.domain.outcomes import LevelPlaced
from levelwise.domain.state import KpMastery, LevelStamp
from tests.support.factories import SMALL_PROGRAM, T0, event
from tests.support.placements import SMALL_PLACEMENT

PLACEMENT = SMALL_PLACEMENT
PLACED = load_program(SMALL_PROGRAM + PLACEMENT)
GOES_DOWN = load_program(
    SMALL_PROGRAM + PLACEMENT + "level_policy:\n  can_go_down: true\n"
)


def sigmoid(x: float) -> float:
    return round(1.0 / (1.0 + math.exp(-x)), 6)


def placed(
    abilities: dict[str, tuple[float, float]], items: int = 12, **kw
) -> PlacementCompleted:
    return PlacementCompleted(
        id=kw.pop("id", "p1"),
        learner="ana",
        occurred_at=kw.pop("at", T0),
        abilities=tuple((d, t, se) for d, (t, se) in sorted(abilities.items())),
        items=items,
        **kw,
    )


@pytest.mark.parametrize(
    ("abilities", "level", "record_level"),
    [
        # every a2 cut reached: starts at a2
        ({"vocabulary": (0.5, 0.25), "speaking": (0.4, 0.3)}, 2, "a2"),
        # a1 cuts reached, an a2 cut missed
        ({"vocabulary": (0.0, 0.25), "speaking": (0.1, 0.3)}, 1, "a1"),
        # exactly on the cuts counts as reached
        ({"vocabulary": (0.3, 0.25), "speaking": (0.2, 0.3)}, 2, "a2"),
        # below every cut: stays at the first level
        ({"vocabulary": (-1.0, 0.25), "speaking": (0.0, 0.3)}, 0, ""),
        # a dimension without an estimate cannot reach its cut
        ({"vocabulary": (2.0, 0.25)}, 0, ""),
    ],
    ids=["a2", "a1", "on-the-cut", "none", "missing-dimension"],
)
def test_placement_sets_the_starting_level(abilities, level, record_level):
    state, outcomes = fold(initial_state("ana", PLACED), placed(abilities), PLACED)
    assert state.level == level
    assert state.placement is not None
    assert state.placement.level == record_level
    assert state.placement.items == 12
    if level:
        assert [type(o) for o in outcomes] == [LevelPlaced]
        assert state.history == (
            LevelStamp(record_level, state.last_key[0], "p1", "placed"),
        )
    else:
        assert outcomes == ()
        assert state.history == ()


def test_the_receipt_says_why():
    ability = {"vocabulary": (0.5, 0.25), "speaking": (0.4, 0.3)}
    _, outcomes = fold(initial_state("ana", PLACED), placed(ability), PLACED)
    assert outcomes == (
        LevelPlaced(
            event_id="p1",
            learner="ana",
            at="2026-01-05T09:00:00.000000Z",
            level="a2",
            title="Waystage",
            previous="starter",
            evidence=(("speaking", 0.4, 0.3, 0.2), ("vocabulary", 0.5, 0.25, 0.3)),
        ),
    )


@pytest.mark.parametrize(
    ("program", "start", "level"),
    [
        # a learner already past the placed level keeps theirs
        (PLACED, 2, 2),
        # with can_go_down the gates (unmet here) take them down, but only to
        # the placed level, never below it
        (GOES_DOWN, 2, 1),
        # a learner at the placed level gets no new stamp
        (PLACED, 1, 1),
    ],
    ids=["never-down", "never-down-can-go-down", "same-level"],
)
def test_placement_never_lowers_a_level(program, start, level):
    state = replace(initial_state("ana", program), level=start, events=3)
    ability = {"vocabulary": (0.0, 0.25), "speaking": (0.1, 0.3)}
    new, outcomes = fold(state, placed(ability), program)
    assert new.level == level
    assert not [o for o in outcomes if isinstance(o, LevelPlaced)]
    assert new.placement is not None and new.placement.level == "a1"


def test_a_placed_level_is_a_floor_when_levels_can_go_down():
    ability = {"vocabulary": (0.5, 0.25), "speaking": (0.4, 0.3)}
    state, _ = fold(initial_state("ana", GOES_DOWN), placed(ability), GOES_DOWN)
    watch = LessonWatched(id="w1", learner="ana", occurred_at=T0, unit="u1", seconds=60)
    state, outcomes = fold(state, watch, GOES_DOWN)
    assert state.level == 2
    assert outcomes[-1].__class__.__name__ == "XpAwarded"


def test_an_unplaced_learner_still_goes_down():
    ability = {"vocabulary": (-3.0, 0.25)}
    state, _ = fold(initial_state("ana", GOES_DOWN), placed(ability), GOES_DOWN)
    state = replace(state, level=1)
    watch = LessonWatched(id="w1", learner="ana", occurred_at=T0, unit="u1", seconds=60)
    state, _ = fold(state, watch, GOES_DOWN)
    assert state.level == 0


@pytest.mark.parametrize(
    ("abilities", "mastery", "priors"),
    [
        # greetings feeds both dimensions: mean θ 0.45 minus mean b -0.5;
        # numbers: θ 0.5 minus b 0.5
        (
            {"vocabulary": (0.5, 0.25), "speaking": (0.4, 0.3)},
            {},
            (("greetings", sigmoid(0.95)), ("numbers", sigmoid(0.0))),
        ),
        # a point with evidence keeps its estimate and gets no prior
        (
            {"vocabulary": (0.5, 0.25), "speaking": (0.4, 0.3)},
            {"numbers": KpMastery(0.9, 0.1, 4)},
            (("greetings", sigmoid(0.95)),),
        ),
        # only the measured dimensions count; numbers feeds none of them
        ({"speaking": (1.0, 0.3)}, {}, (("greetings", sigmoid(1.5)),)),
    ],
    ids=["both", "evidence-wins", "unmeasured-point"],
)
def test_mastery_priors_come_from_theta(abilities, mastery, priors):
    state = replace(initial_state("ana", PLACED), mastery=MappingProxyType(mastery))
    new, _ = fold(state, placed(abilities), PLACED)
    assert new.placement is not None
    assert new.placement.priors == priors


def test_priors_are_read_only_without_evidence():
    model = default_model(PLACED)
    ability = {"vocabulary": (0.5, 0.25), "speaking": (0.4, 0.3)}
    state, _ = fold(initial_state("ana", PLACED), placed(ability), PLACED)
    prior = prior_for(state, model)
    assert prior("numbers") == sigmoid(0.0)
    assert prior_for(initial_state("ana", PLACED), model)("numbers") == (
        model.initial("numbers").value
    )


def test_a_program_without_placement_records_the_test_only(program):
    ability = {"vocabulary": (0.5, 0.25), "speaking": (0.4, 0.3)}
    state, outcomes = fold(initial_state("ana", program), placed(ability), program)
    assert (state.level, outcomes) == (0, ())
    assert state.placement is not None
    # no items: b = 0
    assert dict(state.placement.priors)["numbers"] == sigmoid(0.5)


def test_placement_is_deterministic_and_round_trips():
    ability = {"vocabulary": (0.5, 0.25), "speaking": (0.4, 0.3)}
    event_ = placed(ability, session="s-1")
    a, out_a = fold(initial_state("ana", PLACED), event_, PLACED)
    b, out_b = fold(initial_state("ana", PLACED), event_, PLACED)
    assert (a, out_a) == (b, out_b)
    data = codec.state_to_dict(a)
    assert codec.state_from_dict(data) == a
    assert dumps(codec.state_to_dict(codec.state_from_dict(data))) == (dumps(data))
    for outcome in out_a:
        as_dict = codec.outcome_to_dict(outcome)
        assert as_dict["kind"] == "level_placed"
        assert codec.outcome_from_dict(as_dict) == outcome
        view = codec.outcome_view(
            codec.outcome_body(outcome),
            kind="level_placed",
            event_id=outcome.event_id,
            learner=outcome.learner,
            at=outcome.at,
        )
        assert view == as_dict


def test_unplaced_snapshots_are_unchanged():
    assert "placement" not in codec.state_to_dict(initial_state("ana", PLACED))


def test_the_learner_view_shows_the_placement():
    model = default_model(PLACED)
    assert learner_view(initial_state("ana", PLACED), PLACED, model).placement is None
    ability = {"vocabulary": (0.5, 0.25), "speaking": (0.4, 0.3)}
    state, _ = fold(initial_state("ana", PLACED), placed(ability, items=9), PLACED)
    info = learner_view(state, PLACED, model).placement
    assert info is not None
    assert info.level is not None and info.level.id == "a2" and info.level.index == 2
    assert info.items == 9
    voc = info.abilities["vocabulary"]
    assert (voc.theta, voc.se) == (0.5, 0.25)
    assert voc.low == pytest.approx(0.5 - 1.96 * 0.25, abs=1e-3)
    assert voc.high == pytest.approx(0.5 + 1.96 * 0.25, abs=1e-3)
    unplaced, _ = fold(
        initial_state("ana", PLACED), placed({"vocabulary": (-3.0, 0.3)}), PLACED
    )
    assert learner_view(unplaced, PLACED, model).placement.level is None


def wire(**fields):
    return event("placement.completed", **fields)


def test_the_wire_event_maps_to_the_domain():
    body = wire(
        abilities={
            "vocabulary": {"theta": 0.5, "se": 0.25},
            "speaking": {"theta": 1, "se": 0.3},
        },
        items=12,
        session="s-1",
    )
    model = EVENT_ADAPTER.validate_python(body)
    assert check_references(model, PLACED) is None
    domain = to_domain(model)
    assert isinstance(domain, PlacementCompleted)
    assert domain.abilities == (("speaking", 1.0, 0.3), ("vocabulary", 0.5, 0.25))
    assert domain.fields_for_rules()["items"] == 12
    assert from_body(canonical_body(model)) == domain
    reordered = dict(body, abilities=dict(reversed(list(body["abilities"].items()))))
    assert canonical_body(EVENT_ADAPTER.validate_python(reordered)) == canonical_body(
        model
    )


def test_an_unknown_dimension_is_rejected_with_a_reason():
    model = EVENT_ADAPTER.validate_python(
        wire(abilities={"reading": {"theta": 0.0, "se": 0.3}}, items=5)
    )
    reason = check_references(model, PLACED)
    assert reason is not None
    assert reason.startswith("abilities: unknown dimension 'reading'")


@pytest.mark.parametrize(
    "fields",
    [
        # no abilities at all
        {"items": 5},
        # an empty mapping
        {"abilities": {}, "items": 5},
        # a standard error of zero
        {"abilities": {"vocabulary": {"theta": 0.0, "se": 0}}, "items": 5},
        # a θ off the scale
        {"abilities": {"vocabulary": {"theta": 99, "se": 0.3}}, "items": 5},
        # the item count is missing
        {"abilities": {"vocabulary": {"theta": 0.0, "se": 0.3}}},
    ],
    ids=["missing-abilities", "empty", "zero-se", "theta-range", "missing-items"],
)
def test_malformed_placement_events_are_rejected(fields):
    with pytest.raises(ValidationError):
        EVENT_ADAPTER.validate_python(wire(**fields))
