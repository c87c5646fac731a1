"""The EventLog contract for re-folds: reads and clears after a key, checkpoints."""

from __future__ import annotations

import random

import pytest

from tests.contract.builders import at, checkpoint, outcome, stored_event

# Ids at the same instant, in code-point order ("-" < "B" < "_" < "a"), which
# differs from a locale's order: keys compare like Python tuples everywhere.
SAME_TIME = ["e-B", "e-a", "eB", "e_a", "ea"]


def _key(event_id: str) -> tuple[str, str]:
    return (at(1), event_id)


# -- history after a key -------------------------------------------------------


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        # Before everything: the whole history.
        ((at(0), ""), ["e-0", *SAME_TIME, "e-2"]),
        # Exactly an event's key: that event is not "after" it.
        ((at(0), "e-0"), [*SAME_TIME, "e-2"]),
        # Ties on occurred_at are broken by the id, in code-point order.
        (_key("e-a"), ["eB", "e_a", "ea", "e-2"]),
        (_key("e_a"), ["ea", "e-2"]),
        # A key between two events that is no event's key.
        (_key("e-Z"), ["e-a", "eB", "e_a", "ea", "e-2"]),
        # After the last event: nothing.
        ((at(2), "e-2"), []),
        ((at(9), ""), []),
    ],
    ids=["start", "exact", "tie-dash", "tie-underscore", "between", "last", "later"],
)
def test_history_after_a_key_has_only_later_events(event_log, tenant, after, expected):
    rows = [stored_event("e-0", when=at(0)), stored_event("e-2", when=at(2))]
    rows += [stored_event(i, when=at(1)) for i in SAME_TIME]
    rows.append(stored_event("e-bob", "bob", at(1)))
    with event_log.session(tenant) as s:
        s.append(random.Random(5).sample(rows, len(rows)))

    with event_log.session(tenant) as s:
        found = s.history("ana", after)

    assert [e.event_id for e in found] == expected
    assert found == sorted(found, key=lambda e: (e.occurred_at, e.event_id))


def test_history_after_none_is_the_whole_history(event_log, tenant):
    rows = [stored_event(f"e{n}", when=at(n)) for n in range(3)]
    with event_log.session(tenant) as s:
        s.append(rows)

    with event_log.session(tenant) as s:
        assert s.history("ana", None) == rows == s.history("ana")


# -- outcomes after a key --------------------------------------------------------


def test_clear_outcomes_after_a_key_keeps_earlier_ones(event_log, tenant):
    mine = [
        outcome("e-0", 0, when=at(0)),
        outcome("e-B", 0, when=at(1)),
        outcome("e-B", 1, when=at(1), kind="level_reached"),
        outcome("e-a", 0, when=at(1)),
        outcome("e-a", 1, when=at(1), kind="unit_completed"),
        outcome("e_a", 0, when=at(1)),
        outcome("e-2", 0, when=at(2)),
    ]
    others = [
        outcome("e-a", 0, when=at(1), version=2),
        outcome("e-x", 0, when=at(2), learner="bob"),
    ]
    with event_log.session(tenant) as s:
        s.add_outcomes(mine + others)

    with event_log.session(tenant) as s:
        s.clear_outcomes("ana", 1, _key("e-B"))

    with event_log.session(tenant) as s:
        kept = s.outcomes("ana", 1, limit=100)
        assert s.outcomes("ana", 2) == [others[0]]
        assert s.outcomes("bob", 1) == [others[1]]

    # Every outcome of the key's own event stays; everything after it goes.
    assert kept == [mine[2], mine[1], mine[0]]


def test_clear_outcomes_after_a_key_of_nobody_is_a_no_op(event_log, tenant):
    with event_log.session(tenant) as s:
        s.clear_outcomes("nobody", 1, _key("e-a"))
        assert s.outcomes("nobody", 1) == []


# -- checkpoints -------------------------------------------------------------------


def _three(learner: str = "ana", version: int = 1) -> list:
    return [checkpoint(learner, n, version=version) for n in (200, 400, 600)]


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        # Before the first checkpoint: none.
        ((at(100), "e-0100"), None),
        # A checkpoint's own key is not "before" it.
        ((at(200), "e-0200"), None),
        ((at(400), "e-0400"), 200),
        # Same instant, a greater id: that checkpoint qualifies.
        ((at(400), "e-0401"), 400),
        ((at(400), "e_"), 400),
        ((at(599), "zzz"), 400),
        # After the last: the last.
        ((at(9000), ""), 600),
    ],
    ids=[
        "before-first",
        "own-key",
        "own-key-2",
        "tie-id",
        "tie-code-point",
        "mid",
        "end",
    ],
)
def test_checkpoint_before_is_the_newest_strictly_before_the_key(
    event_log, tenant, key, expected
):
    with event_log.session(tenant) as s:
        points = _three()
        s.put_checkpoints(random.Random(2).sample(points, 3))
        s.put_checkpoints(_three(version=2) + _three("bob"))

    with event_log.session(tenant) as s:
        found = s.checkpoint_before("ana", 1, key)

    assert found == (None if expected is None else checkpoint("ana", expected))


def test_checkpoint_before_is_per_learner_and_version(event_log, tenant):
    with event_log.session(tenant) as s:
        s.put_checkpoints([checkpoint("ana", 200, version=2, xp=7)])

    with event_log.session(tenant) as s:
        late = (at(9000), "")
        assert s.checkpoint_before("ana", 1, late) is None
        assert s.checkpoint_before("bob", 2, late) is None
        assert s.checkpoint_before("ana", 2, late) == checkpoint(
            "ana", 200, version=2, xp=7
        )


def test_put_checkpoints_replaces_the_same_key(event_log, tenant):
    with event_log.session(tenant) as s:
        s.put_checkpoints([checkpoint(xp=1)])
    with event_log.session(tenant) as s:
        # Again in a later session, and twice in one batch: the last one wins.
        s.put_checkpoints([checkpoint(xp=2), checkpoint(xp=3)])

    with event_log.session(tenant) as s:
        assert s.checkpoint_before("ana", 1, (at(9000), "")) == checkpoint(xp=3)
        assert s.checkpoint_before("ana", 1, (at(200), "e-0200")) is None


def test_clear_checkpoints_after_a_key_keeps_earlier_ones(event_log, tenant):
    with event_log.session(tenant) as s:
        s.put_checkpoints(_three() + _three(version=2) + _three("bob"))

    with event_log.session(tenant) as s:
        s.clear_checkpoints("ana", 1, (at(400), "e-0400"))

    late = (at(9000), "")
    with event_log.session(tenant) as s:
        assert s.checkpoint_before("ana", 1, late) == checkpoint("ana", 400)
        assert s.checkpoint_before("ana", 2, late) == checkpoint("ana", 600, version=2)
        assert s.checkpoint_before("bob", 1, late) == checkpoint("bob", 600)

    with event_log.session(tenant) as s:
        s.clear_checkpoints("ana", 1, (at(0), ""))
        assert s.checkpoint_before("ana", 1, late) is None


def test_clear_checkpoints_without_a_key_forgets_that_learner_and_version(
    event_log, tenant
):
    with event_log.session(tenant) as s:
        s.put_checkpoints(_three() + _three(version=2) + _three("bob"))

    with event_log.session(tenant) as s:
        s.clear_checkpoints("ana", 1)
        s.clear_checkpoints("nobody", 1)
        s.clear_checkpoints("nobody", 1, (at(0), ""))

    late = (at(9000), "")
    with event_log.session(tenant) as s:
        assert s.checkpoint_before("ana", 1, late) is None
        assert s.checkpoint_before("ana", 2, late) == checkpoint("ana", 600, version=2)
        assert s.checkpoint_before("bob", 1, late) == checkpoint("bob", 600)
