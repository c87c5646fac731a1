"""The online episode tracker: open, grow, close, drops, causes, and its state."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from levelwise.app.quality._grade import grade
from levelwise.app.quality._track import Tracker
from levelwise.app.quality.ports import Episode, Graded, Measures, Thresholds
from levelwise.errors import QualityInputError

T = Thresholds()
T0 = datetime(2026, 3, 2, 19, 42, tzinfo=UTC)

# Delays by hand (rtt / 2 + jitter buffer + 40):
GOOD = {"rtt_ms": 100}  # 90 ms
ACCEPTABLE = {"rtt_ms": 400, "jitter_buffer_ms": 60}  # 300 ms
PATH = {"rtt_ms": 700}  # 390 ms degraded; 350 alone is past 300: long_path
PATH_BROKEN = {"rtt_ms": 1700}  # 890 ms broken; long_path
BUFFER = {"rtt_ms": 100, "jitter_buffer_ms": 500}  # 590 ms degraded; jitter_buffer
BUFFER_BROKEN = {"rtt_ms": 100, "jitter_buffer_ms": 900}  # 990 ms broken
NO_DELAY: dict[str, Any] = {}


def at(s: float) -> datetime:
    return T0 + timedelta(seconds=s)


def interval(
    s: float, kw: dict[str, Any], *, length: float = 1.0, media: str = "audio"
) -> Graded:
    m = Measures(media, at(s), at(s + length), **kw)  # type: ignore[arg-type]
    return grade("c1", "l1", "learner", m, T)


def feed_all(tracker: Tracker, steps: list[dict[str, Any]]) -> list[list[Episode]]:
    return [tracker.feed(interval(i, kw), [], T) for i, kw in enumerate(steps)]


def test_an_episode_opens_grows_and_closes():
    tr = Tracker()
    out = feed_all(tr, [GOOD, PATH, PATH_BROKEN, PATH_BROKEN, GOOD, GOOD])
    assert out[0] == []  # good: nothing open
    [opened] = out[1]
    assert (opened.start, opened.end, opened.band) == (at(1), at(2), "degraded")
    assert (opened.worst_ms, opened.broken_seconds) == (390.0, 0.0)
    assert (opened.klass, opened.participant, opened.role) == ("c1", "l1", "learner")
    [grown] = out[2]
    assert (grown.start, grown.end, grown.band) == (at(1), at(3), "broken")
    assert (grown.worst_ms, grown.broken_seconds) == (890.0, 1.0)
    [grown] = out[3]
    assert (grown.start, grown.end, grown.broken_seconds) == (at(1), at(4), 2.0)
    [closed] = out[4]  # the first good interval closes it, as it stood
    assert closed == grown
    assert out[5] == []  # nothing left to close


def test_an_acceptable_interval_closes_too():
    tr = Tracker()
    out = feed_all(tr, [PATH, ACCEPTABLE])
    assert out[1] == out[0]
    assert feed_all(tr, [PATH])[0][0].start == at(0)  # a new episode


def test_the_broken_run_counts_uninterrupted_broken_seconds():
    tr = Tracker()
    runs = []
    for i, kw in enumerate([PATH_BROKEN, BUFFER_BROKEN, PATH, PATH_BROKEN, GOOD]):
        tr.feed(interval(i, kw, length=2.0), [], T)
        runs.append(tr.broken_run_s)
    # 2 s broken, 4 s, a degraded interval ends the run, 2 s again, good ends it
    assert runs == [2.0, 4.0, 0.0, 2.0, 0.0]


def test_video_and_band_less_intervals_change_nothing():
    tr = Tracker()
    tr.feed(interval(0, PATH_BROKEN), [], T)
    # a broken video interval and an audio interval without an estimate
    assert tr.feed(interval(1, PATH_BROKEN, media="video"), [], T) == []
    assert tr.feed(interval(1, GOOD, media="video"), [], T) == []
    assert tr.feed(interval(2, NO_DELAY), [], T) == []
    assert tr.broken_run_s == 1.0
    [grown] = tr.feed(interval(3, PATH_BROKEN), [], T)
    assert (grown.start, grown.end, grown.broken_seconds) == (at(0), at(4), 2.0)


def test_video_never_opens_an_episode():
    tr = Tracker()
    assert tr.feed(interval(0, PATH_BROKEN, media="video"), [], T) == []
    assert tr.dump()["open"] is None


@pytest.mark.parametrize(
    ("steps", "cause", "side"),
    [
        # two path intervals against one (worse) buffer interval: the most frequent
        ([PATH, PATH, BUFFER_BROKEN], "long_path", "unknown"),
        # one each: the tie goes to the worst interval's cause
        ([PATH, BUFFER_BROKEN], "jitter_buffer", "learner"),
        ([BUFFER, PATH_BROKEN], "long_path", "unknown"),
    ],
    ids=["most-frequent", "tie-worst-buffer", "tie-worst-path"],
)
def test_the_cause_is_the_most_frequent(steps, cause, side):
    out = feed_all(Tracker(), steps)
    assert (out[-1][0].cause, out[-1][0].side) == (cause, side)


# 300 + 290 + 40 = 630 ms degraded: the path is not past 300 alone and is the
# largest term, and 10 % is lost: loss
LOSSY_WORST = {"rtt_ms": 600, "jitter_buffer_ms": 290, "loss": 0.1}
LOSSY = {"rtt_ms": 560, "loss": 0.1}  # 320 ms degraded: loss


def test_a_three_way_tie_goes_to_the_worst_intervals_cause():
    out = feed_all(Tracker(), [PATH, BUFFER, LOSSY_WORST])  # 390, 590, 630 ms
    assert out[-1][0].cause == "loss"


def test_a_tie_without_the_worst_goes_by_the_order_of_causes():
    # long_path 2, loss 2, jitter_buffer 1 (the worst): long_path comes first
    out = feed_all(Tracker(), [PATH, LOSSY, PATH, LOSSY, BUFFER_BROKEN])
    assert out[-1][0].cause == "long_path"
    out = feed_all(Tracker(), [LOSSY, PATH, LOSSY, PATH, BUFFER_BROKEN])
    assert out[-1][0].cause == "long_path"


def far(rtt: float) -> list[Graded]:
    m = Measures("audio", at(0), at(9), rtt_ms=rtt)
    return [grade("c1", "t", "teacher", m, T)]


def test_the_side_is_the_most_frequent_for_the_cause():
    tr = Tracker()
    tr.feed(interval(0, PATH), far(100), T)  # 700 vs 100: learner
    tr.feed(interval(1, PATH_BROKEN), far(1700), T)  # 1700 vs 1700: both, worst
    [e] = tr.feed(interval(2, PATH), far(100), T)  # learner
    assert (e.cause, e.side) == ("long_path", "learner")


def test_a_side_tie_goes_to_the_worst_intervals_side():
    tr = Tracker()
    tr.feed(interval(0, PATH), far(100), T)  # learner
    [e] = tr.feed(interval(1, PATH_BROKEN), far(1700), T)  # both, worst
    assert (e.cause, e.side) == ("long_path", "both")


def test_a_side_tie_of_another_cause_than_the_worst_goes_by_order():
    tr = Tracker()
    tr.feed(interval(0, PATH), [], T)  # long_path, unknown
    tr.feed(interval(1, PATH), far(700), T)  # long_path, both
    [e] = tr.feed(interval(2, BUFFER_BROKEN), [], T)  # jitter_buffer, learner
    assert (e.cause, e.side) == ("long_path", "both")


def test_a_far_senders_congestion_is_the_episodes_cause():
    far = [
        grade(
            "c1",
            "t",
            "teacher",
            Measures("video", at(0), at(5), rtt_ms=100, limitation="bandwidth"),
            T,
        )
    ]
    tr = Tracker()
    tr.feed(interval(0, BUFFER), far, T)
    [e] = tr.feed(interval(1, BUFFER_BROKEN), far, T)
    assert (e.cause, e.side) == ("uplink_congestion", "teacher")


def test_a_gap_closes_the_open_episode_at_its_start():
    tr = Tracker()
    feed_all(tr, [PATH_BROKEN, PATH_BROKEN])  # episode 0..2, run 2 s
    [closed] = tr.gap(at(2), at(30))
    assert (closed.start, closed.end, closed.broken_seconds) == (at(0), at(2), 2.0)
    assert tr.broken_run_s == 0.0
    [new] = tr.feed(interval(30, PATH), [], T)
    assert new.start == at(30)  # a new episode, not the old one grown


def test_a_gap_inside_the_episode_cuts_it_at_the_gap():
    tr = Tracker()
    feed_all(tr, [PATH, PATH, PATH])  # episode 0..3
    [closed] = tr.gap(at(1.5), at(20))
    assert closed.end == at(1.5)
    tr = Tracker()
    feed_all(tr, [PATH])
    [closed] = tr.gap(T0 - timedelta(seconds=5), at(20))
    assert closed.end == closed.start == at(0)  # never before it starts


def test_a_gap_with_nothing_open_ends_the_run():
    tr = Tracker.load({"run": 12.5, "open": None})
    assert tr.gap(at(0), at(10)) == []
    assert tr.broken_run_s == 0.0


def test_a_gap_cannot_end_before_it_starts():
    with pytest.raises(QualityInputError):
        Tracker().gap(at(10), at(0))


def test_the_state_survives_json_between_batches():
    steps = [PATH, BUFFER_BROKEN, PATH_BROKEN, BUFFER, PATH]
    whole = Tracker()
    expected = feed_all(whole, steps)
    split = Tracker()
    for i, kw in enumerate(steps):
        split = Tracker.load(json.loads(json.dumps(split.dump())))
        assert split.feed(interval(i, kw), [], T) == expected[i]
    assert split.broken_run_s == whole.broken_run_s
    assert split.dump() == whole.dump()


def test_a_fresh_tracker_from_an_empty_state():
    tr = Tracker.load({})
    assert tr.broken_run_s == 0.0
    assert tr.dump() == {"run": 0.0, "open": None}


def _open_state() -> dict[str, Any]:
    tr = Tracker()
    feed_all(tr, [PATH_BROKEN])
    return tr.dump()


@pytest.mark.parametrize(
    "change",
    [
        lambda s: s.update(run="lots"),
        lambda s: s.update(open=[1, 2]),
        lambda s: s["open"].pop("start"),
        lambda s: s["open"].update(start="yesterday"),
        lambda s: s["open"].update(band="good"),
        lambda s: s["open"].update(role="guest"),
        lambda s: s["open"].update(causes={}),
        lambda s: s["open"].update(causes={"gremlins": {"teacher": 1}}),
        lambda s: s["open"].update(causes={"loss": {"nobody": 1}}),
        lambda s: s["open"].update(worst_side="left"),
    ],
    ids=["run", "open-type", "missing", "time", "band", "role", "no-cause",
         "cause", "side", "worst-side"],
)  # fmt: skip
def test_a_malformed_state_is_refused(change):
    state = _open_state()
    Tracker.load(state)  # the unchanged state loads
    change(state)
    with pytest.raises(QualityInputError):
        Tracker.load(state)
