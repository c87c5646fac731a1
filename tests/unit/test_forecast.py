"""Forecasts: interval, median, flags, current-mix extrapolation, reproducibility."""

from __future__ import annotations

from dataclasses import replace

import pytest

from levelwise.app.guidance.forecast import forecast, pace_of
from levelwise.app.guidance.plan import Plan
from levelwise.app.guidance.requirements import Requirement


def plan_of(minutes: float, *, complete: bool = True, learner: str = "ana") -> Plan:
    req = Requirement("a1", "xp >= 100", 0.0, 100.0, 0.0, False)
    done = Requirement("a1", "xp >= 100", 100.0, 100.0, 1.0, True)
    return Plan(
        learner=learner,
        level="starter",
        target="a1",
        steps=(),
        minutes=minutes,
        now=(req,),
        expected=(done if complete else req,),
        met_at=(("xp >= 100", minutes if complete else float("inf")),),
        binding="xp >= 100",
        complete=complete,
        gains="test",
    )


def req(source: str, progress: float) -> Requirement:
    return Requirement("a1", source, progress, 1.0, progress, progress >= 1.0)


def run(plan: Plan, weekly, **kw):
    kw.setdefault("prior_pace", 180.0)
    kw.setdefault("horizon_weeks", 26.0)
    return forecast(plan, weekly, **kw)


def width(fc) -> float:
    assert fc.low_weeks is not None and fc.high_weeks is not None
    return fc.high_weeks - fc.low_weeks


def test_less_history_widens_the_interval():
    plan = plan_of(720)
    widths = [width(run(plan, [180.0] * n)) for n in (0, 1, 2, 4, 8, 16)]
    assert widths == sorted(widths, reverse=True)
    assert widths[0] > widths[-1] * 1.2


def test_the_median_scales_with_plan_minutes_over_pace():
    steady = [180.0] * 12
    short = run(plan_of(360), steady)
    long = run(plan_of(720), steady)
    assert short.median_weeks is not None and long.median_weeks is not None
    assert short.median_weeks == pytest.approx(2.0, rel=0.15)
    assert long.median_weeks == pytest.approx(4.0, rel=0.15)
    assert long.median_weeks / short.median_weeks == pytest.approx(2.0, rel=0.1)
    fast = run(plan_of(720), [360.0] * 12)
    assert fast.pace > long.pace
    assert fast.median_weeks is not None and fast.median_weeks < long.median_weeks
    for fc in (short, long, fast):
        assert fc.low_weeks < fc.median_weeks < fc.high_weeks


def test_pace_is_shrunk_toward_the_programs_pace():
    assert pace_of([], 180.0) == (180.0, 90.0, 0)
    mean, sd, n = pace_of([60.0, 60.0], 180.0)
    assert (mean, n) == (100.0, 2)
    assert sd > 0
    fc = run(plan_of(100), [60.0, 60.0])
    assert (fc.pace, fc.history_weeks) == (100.0, 2)


def test_no_study_in_the_last_two_weeks_is_stalled():
    plan = plan_of(300)
    assert run(plan, [120, 90, 0, 0]).stalled
    assert not run(plan, [120, 0, 0, 30]).stalled
    assert not run(plan, [0, 30, 0]).stalled
    assert not run(plan, [0]).stalled  # one week is too little to tell
    assert not run(plan, []).stalled


def test_at_risk_when_the_horizon_is_unlikely():
    slow = run(plan_of(180 * 40), [180.0] * 8)
    quick = run(plan_of(180 * 4), [180.0] * 8)
    assert slow.at_risk and slow.p_within_horizon < 0.5
    assert not quick.at_risk and quick.p_within_horizon > 0.95
    tight = run(plan_of(180 * 4), [180.0] * 8, horizon_weeks=1)
    assert tight.at_risk


def test_an_incomplete_plan_has_no_eta_and_is_at_risk():
    fc = run(plan_of(500, complete=False), [180.0] * 4)
    assert (fc.median_weeks, fc.low_weeks, fc.high_weeks) == (None, None, None)
    assert fc.p_within_horizon == 0 and fc.at_risk
    assert fc.speedup is None


def test_the_current_mix_extrapolates_the_slowest_requirement():
    plan = plan_of(360)
    now = (req("xp >= 100", 0.5), req("mastery.k >= 0.6", 0.2), req("done", 1.0))
    past = (req("xp >= 100", 0.25), req("mastery.k >= 0.6", 0.1), req("done", 0.5))
    fc = forecast(
        replace(plan, now=now),
        [180.0] * 5,
        prior_pace=180.0,
        horizon_weeks=26.0,
        past=past,
        window_weeks=5.0,
    )
    # xp: 0.05 a week -> 10 weeks; mastery: 0.02 a week -> 40 weeks.
    assert fc.current_binding == "mastery.k >= 0.6"
    assert fc.current_weeks == pytest.approx(40.0)
    assert fc.median_weeks is not None
    assert fc.speedup == pytest.approx(1 - fc.median_weeks / 40.0, abs=1e-3)
    assert fc.speedup > 0  # the plan gets there sooner than the current mix


def test_a_slower_plan_than_the_current_mix_has_a_negative_speedup():
    now = (req("xp >= 100", 0.9),)
    past = (req("xp >= 100", 0.5),)
    plan = replace(plan_of(180 * 10), now=now)
    fc = run(plan, [180.0] * 4, past=past, window_weeks=4.0)
    assert fc.current_weeks == pytest.approx(1.0)
    assert fc.speedup is not None and fc.speedup < 0


def test_the_current_mix_without_progress_never_gets_there():
    now = (req("a", 0.3), req("b", 0.5))
    past = (req("a", 0.3), req("b", 0.2))
    plan = replace(plan_of(300), now=now)
    fc = run(plan, [180.0] * 4, past=past, window_weeks=4.0)
    assert (fc.current_weeks, fc.current_binding, fc.speedup) == (None, "a", None)


def test_the_current_mix_needs_a_window():
    now = (req("a", 0.3),)
    plan = replace(plan_of(300), now=now)
    assert run(plan, [180.0], past=None, window_weeks=4.0).current_weeks is None
    zero = run(plan, [180.0], past=(req("a", 0.1),), window_weeks=0.0)
    assert (zero.current_weeks, zero.current_binding) == (None, None)
    met = replace(plan_of(300), now=(req("a", 1.0),))
    done = run(met, [180.0], past=(req("a", 0.1),), window_weeks=2.0)
    assert (done.current_weeks, done.current_binding) == (0.0, None)


def test_a_forecast_is_reproducible():
    plan = plan_of(540)
    first = run(plan, [100.0, 200.0, 150.0])
    again = run(plan, [100.0, 200.0, 150.0])
    assert first == again
    other = run(plan_of(540, learner="bob"), [100.0, 200.0, 150.0])
    assert other.pace == first.pace
    assert (other.low_weeks, other.high_weeks) != (first.low_weeks, first.high_weeks)
