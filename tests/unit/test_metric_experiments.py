"""Experiments: validation, round trips, and who falls in which variant."""

from __future__ import annotations

import pytest

from levelwise.app.metrics.experiments import (
    Assigner,
    Experiment,
    Variant,
    experiment_from_dict,
    experiment_to_dict,
    hash_point,
    loaded,
    stored,
)
from levelwise.errors import MetricError

SPLIT = Experiment(
    "split",
    "",
    "A",
    (
        Variant("A", learners=("vip",), share=0.5),
        Variant("B", classes=("red",), share=0.25),
    ),
)


def test_assignment_is_deterministic():
    one = Assigner(SPLIT)
    two = Assigner(SPLIT)

    picks = [one.variant(f"l{i}") for i in range(200)]

    assert picks == [two.variant(f"l{i}") for i in range(200)]


def test_learners_beat_classes_beat_shares():
    a = Assigner(SPLIT)

    assert a.variant("vip", "red") == "A"  # listed learner over class
    red = [x for x in (f"l{i}" for i in range(100)) if a.variant(x) != "B"]
    assert all(a.variant(x, "red") == "B" for x in red)  # class over share


def test_shares_split_by_hash_and_leave_the_rest_out():
    a = Assigner(SPLIT)
    picks = [a.variant(f"learner-{i}") for i in range(4000)]

    assert abs(picks.count("A") / 4000 - 0.5) < 0.03
    assert abs(picks.count("B") / 4000 - 0.25) < 0.03
    assert abs(picks.count(None) / 4000 - 0.25) < 0.03
    point = hash_point("split", "learner-0")
    assert 0 <= point < 1
    assert picks[0] == ("A" if point < 0.5 else "B" if point < 0.75 else None)


def test_a_learner_in_no_variant_is_out():
    only = Experiment("e", "", "A", (Variant("A", ("x",)), Variant("B", ("y",))))

    assert Assigner(only).variant("z", "red") is None


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {
                "control": "C",
                "variants": [{"name": "A", "share": 0.5}, {"name": "B", "share": 0.5}],
            },
            "control 'C' is not one of the variants",
        ),
        (
            {
                "control": "A",
                "variants": [{"name": "A", "share": 0.5}, {"name": "A", "share": 0.5}],
            },
            "duplicate variants: A",
        ),
        (
            {
                "control": "A",
                "variants": [{"name": "A", "share": 0}, {"name": "B", "share": 0.5}],
            },
            "share 0 is not in (0, 1]",
        ),
        (
            {
                "control": "A",
                "variants": [{"name": "A", "share": 0.7}, {"name": "B", "share": 0.7}],
            },
            "shares add up to 1.4",
        ),
        (
            {"control": "A", "variants": [{"name": "A"}, {"name": "B", "share": 1}]},
            "variant A: give learners, classes or a share",
        ),
        (
            {
                "control": "A",
                "variants": [
                    {"name": "A", "learners": ["x"]},
                    {"name": "B", "learners": ["x"]},
                ],
            },
            "learner 'x' is in A and B",
        ),
        (
            {
                "control": "A",
                "variants": [
                    {"name": "A", "classes": ["r"]},
                    {"name": "B", "classes": ["r"]},
                ],
            },
            "class 'r' is in A and B",
        ),
        ({"control": "A", "variants": [{"name": "A", "share": 1}]}, "2 to 20 variants"),
        ({"control": "A", "variants": [{"share": 1}]}, "malformed"),
        (
            {
                "control": "A",
                "variants": [{"name": "", "share": 0.5}, {"name": "A", "share": 0.5}],
            },
            "empty name",
        ),
    ],
    ids=[
        "control",
        "duplicate",
        "zero-share",
        "over-one",
        "empty",
        "learner-twice",
        "class-twice",
        "one-variant",
        "no-name",
        "empty-name",
    ],
)
def test_bad_experiments_are_refused(data, message):
    with pytest.raises(
        MetricError, match=message.replace("(", r"\(").replace(")", r"\)")
    ):
        experiment_from_dict("e", data)


def test_a_bad_id_is_refused():
    with pytest.raises(MetricError, match="id"):
        experiment_from_dict("bad id!", {"control": "A", "variants": []})


def test_round_trips():
    again = experiment_from_dict("split", experiment_to_dict(SPLIT))

    assert again == SPLIT
    assert loaded(stored(SPLIT)) == SPLIT
