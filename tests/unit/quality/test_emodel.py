"""The G.107 E-model: golden values, shape of the curves, the MOS inverse."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from levelwise.app.quality._emodel import mos_from_r, r_factor, r_from_mos

ECHO_FREE = {"t_ms": 0.0, "tr_ms": 0.0}


def test_the_default_connection_rates_93_2():
    # G.107 7.7: all defaults, no delay, no loss -> R = 93.2 (widely quoted).
    assert r_factor(0.0) == pytest.approx(93.2, abs=0.05)


def test_g711_with_plc_at_400_ms_echo_free_scores_mos_3_56():
    # Echo-free (T = Tr = 0): R = 93.21 - Idd(400 ms); Idd = 25 * (65^(1/6)
    # - 3 * (1 + (2/3)^6)^(1/6) + 2) = 24.07 by hand -> R 69.14 -> MOS 3.556.
    assert mos_from_r(r_factor(400.0, **ECHO_FREE)) == pytest.approx(3.56, abs=0.01)


def test_g711_with_plc_at_300_ms_and_3_percent_loss_echo_free_rates_68_3():
    # Idd(300 ms) = 14.76; Ie,eff = 95 * 3 / (3 + 25.1) = 10.14; 93.21 - 24.90.
    r = r_factor(300.0, 3.0, ie=0.0, bpl=25.1, **ECHO_FREE)
    assert r == pytest.approx(68.3, abs=0.2)


@pytest.mark.parametrize(
    ("ta_ms", "r", "mos"),
    [
        # Worked step by step from the G.107 clauses with T = Ta, Tr = 2 Ta:
        # Ro 94.77, Is 1.41; at 400 ms Idd 24.07, Idte 5.81 (TERV 23.06,
        # Re 102.65), Idle 1.23 (Rle 230.9).
        (400.0, 62.25, 3.22),
        # At 150 ms: Idd 0.16, Idte 2.81, Idle 0.84.
        (150.0, 89.54, 4.33),
    ],
    ids=["400ms", "150ms"],
)
def test_talker_echo_counts_at_t_equal_ta(ta_ms, r, mos):
    assert r_factor(ta_ms) == pytest.approx(r, abs=0.05)
    assert mos_from_r(r_factor(ta_ms)) == pytest.approx(mos, abs=0.01)


def test_explicit_echo_delays_are_the_default_ones():
    assert r_factor(250.0, 1.0) == r_factor(250.0, 1.0, t_ms=250.0, tr_ms=500.0)


@pytest.mark.parametrize(
    ("ta_ms", "idd"),
    [
        (50.0, 0.0),  # no absolute-delay impairment up to 100 ms
        (100.0, 0.0),
        (200.0, 3.044),  # X = 1: 25 * (2^(1/6) - 3 * (730/729)^(1/6) + 2)
        (400.0, 24.071),  # X = 2
        (800.0, 40.83),  # X = 3: 25 * (3.00068 - 3 * 1.12246 + 2)
    ],
)
def test_absolute_delay_impairment(ta_ms, idd):
    drop = r_factor(0.0, **ECHO_FREE) - r_factor(ta_ms, **ECHO_FREE)
    assert drop == pytest.approx(idd, abs=0.01)


@pytest.mark.parametrize(
    ("loss", "kwargs", "ie_eff"),
    [
        (3.0, {}, 95 * 3 / (3 + 25.1)),
        (3.0, {"burst_ratio": 2.0}, 95 * 3 / (1.5 + 25.1)),
        (10.0, {"ie": 11.0, "bpl": 19.0}, 11 + 84 * 10 / (10 + 19.0)),
        (0.0, {"ie": 11.0}, 11.0),
    ],
    ids=["random", "bursty", "g729a-like", "codec-only"],
)
def test_effective_equipment_impairment(loss, kwargs, ie_eff):
    assert r_factor(0.0) - r_factor(0.0, loss, **kwargs) == pytest.approx(ie_eff)


@given(
    st.floats(min_value=1.0, max_value=5000.0),
    st.floats(min_value=1.0, max_value=5000.0),
)
def test_r_falls_as_delay_grows(a, b):
    # From 1 ms on (below it G.107's talker-echo term is slightly negative
    # and R rises by at most 0.06 before it falls).
    low, high = sorted((a, b))
    assert r_factor(low) >= r_factor(high) - 1e-9


@given(
    st.floats(min_value=0.0, max_value=100.0),
    st.floats(min_value=0.0, max_value=100.0),
    st.floats(min_value=0.0, max_value=2000.0),
)
def test_r_falls_as_loss_grows(a, b, ta):
    low, high = sorted((a, b))
    assert r_factor(ta, low) >= r_factor(ta, high) - 1e-9


@pytest.mark.parametrize(
    "kwargs",
    [
        {"ta_ms": -1.0},
        {"ta_ms": math.nan},
        {"ta_ms": math.inf},
        {"ta_ms": 10.0, "loss_percent": -0.5},
        {"ta_ms": 10.0, "loss_percent": 100.5},
        {"ta_ms": 10.0, "ie": -1.0},
        {"ta_ms": 10.0, "bpl": 0.0},
        {"ta_ms": 10.0, "bpl": math.nan},
        {"ta_ms": 10.0, "burst_ratio": 0.5},
        {"ta_ms": 10.0, "t_ms": -3.0},
        {"ta_ms": 10.0, "tr_ms": math.inf},
    ],
)
def test_r_factor_rejects_impossible_inputs(kwargs):
    with pytest.raises(ValueError, match="must be"):
        r_factor(**kwargs)


@pytest.mark.parametrize(
    ("r", "mos"),
    [
        (-5.0, 1.0),  # below 0
        (0.0, 1.0),
        (50.0, 1 + 1.75 - 50 * 10 * 50 * 7e-6),  # 2.575
        (60.0, 3.1),  # the cubic term vanishes
        (80.0, 1 + 2.8 + 80 * 20 * 20 * 7e-6),  # 4.024
        (100.0, 4.5),
        (120.0, 4.5),  # above 100
    ],
)
def test_mos_from_r_follows_annex_b(r, mos):
    assert mos_from_r(r) == pytest.approx(mos)


@given(st.floats(min_value=1.0, max_value=4.5))
def test_r_from_mos_inverts_mos_from_r(mos):
    assert mos_from_r(r_from_mos(mos)) == pytest.approx(mos, abs=1e-6)


@given(st.floats(min_value=7.0, max_value=100.0))
def test_mos_from_r_is_inverted_on_its_rising_branch(r):
    assert r_from_mos(mos_from_r(r)) == pytest.approx(r, abs=1e-6)


def test_r_from_mos_known_points_and_clamping():
    assert r_from_mos(3.1) == pytest.approx(60.0, abs=1e-6)
    assert r_from_mos(4.5) == pytest.approx(100.0)
    assert r_from_mos(7.0) == r_from_mos(4.5)
    # MOS 1 is met again at R ~ 6.5 on the rising branch, the root returned.
    assert 6.0 < r_from_mos(1.0) < 7.0
    assert r_from_mos(0.2) == r_from_mos(1.0)


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_the_mos_functions_reject_non_numbers(bad):
    with pytest.raises(ValueError):
        r_from_mos(bad)
    if math.isnan(bad):
        with pytest.raises(ValueError):
            mos_from_r(bad)
