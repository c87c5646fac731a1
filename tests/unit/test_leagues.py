"""Weekly leagues as pure functions: group sizes, pace grouping, zones, moves."""

from __future__ import annotations

import pytest

from levelwise.app.recognition import leagues
from levelwise.app.recognition.ports import Entry

T = "2026-11-24T01:00:00.000000Z"


@pytest.mark.parametrize(
    ("n", "sizes"),
    [
        (0, []),
        (5, [5]),  # too few for two groups: one small group
        (30, [30]),
        (31, [16, 15]),  # never 30 + 1
        (61, [21, 20, 20]),
        (95, [24, 24, 24, 23]),
    ],
    ids=["none", "few", "full", "one-over", "three", "four"],
)
def test_group_sizes_are_even_and_at_most_30(n, sizes):
    assert leagues.group_sizes(n) == sizes


def test_no_group_is_under_half_size_once_a_tier_has_a_full_group():
    for n in range(30, 400):
        sizes = leagues.group_sizes(n)
        assert sum(sizes) == n
        assert min(sizes) >= 15
        assert max(sizes) <= 30


@pytest.mark.parametrize(
    ("size", "zones"),
    [(30, (7, 5)), (16, (3, 2)), (5, (1, 0)), (1, (0, 0))],
    ids=["full", "half", "small", "alone"],
)
def test_zones_scale_with_the_group(size, zones):
    assert leagues.zones(size) == zones


def _contenders(n, tier=0):
    return [
        leagues.Contender(
            f"l{i:03d}", tier, pace=1000 - i, week=Entry(f"l{i:03d}", i + 1, T)
        )
        for i in range(n)
    ]


def test_groups_hold_learners_of_similar_pace_within_a_tier():
    groups = leagues.form_groups(_contenders(60))

    assert [len(g.standings) for g in groups] == [30, 30]
    fast = {s.member for s in groups[0].standings}
    assert fast == {f"l{i:03d}" for i in range(30)}  # the 30 fastest together
    # Within a group, this week's XP ranks.
    assert groups[0].standings[0].member == "l029"


def test_groups_are_per_tier_highest_first():
    mixed = _contenders(4) + [
        leagues.Contender("top", 9, 0, Entry("top", 3, T)),
        leagues.Contender("mid", 4, 0, Entry("mid", 3, T)),
    ]

    groups = leagues.form_groups(mixed)

    assert [(g.tier_name, len(g.standings)) for g in groups] == [
        ("diamond", 1),
        ("ruby", 1),
        ("bronze", 4),
    ]


def test_close_promotes_the_top_7_and_demotes_the_bottom_5():
    group = leagues.form_groups(_contenders(30, tier=3))[0]

    moves = leagues.close_group(group)

    assert [m.zone for m in moves] == ["promotion"] * 7 + ["stay"] * 18 + [
        "demotion"
    ] * 5
    assert {m.to_tier for m in moves[:7]} == {4}
    assert {m.to_tier for m in moves[-5:]} == {2}


def test_no_demotion_from_the_lowest_tier_nor_promotion_from_the_highest():
    bottom = leagues.close_group(leagues.form_groups(_contenders(30, tier=0))[0])
    top = leagues.close_group(leagues.form_groups(_contenders(30, tier=9))[0])

    assert {m.to_tier for m in bottom[-5:]} == {0}
    assert {m.zone for m in bottom[-5:]} == {"stay"}
    assert {m.to_tier for m in top[:7]} == {9}


def test_contenders_need_xp_and_default_to_the_lowest_tier():
    week = [Entry("a", 10, T), Entry("b", 0, T), Entry("c", 5, T)]

    found = leagues.contenders(week, {"c": 3}, {"a": 40})

    assert [(c.learner, c.tier, c.pace) for c in found] == [("a", 0, 40), ("c", 3, 0)]


def test_unknown_tier_names_are_refused():
    with pytest.raises(ValueError, match="unknown tier 'wood'"):
        leagues.tier_index("wood")
