"""Item calibration (MML/EM): parameter recovery, SEs, missing data, misfit."""

from functools import cache

import numpy as np
import numpy.typing as npt
import pytest

from levelwise.errors import FitError
from levelwise.learners.calibrate import Calibration, calibrate, simulate_responses
from levelwise.learners.irt import log_likelihood

N_EXAMINEES, N_ITEMS = 2000, 30


@cache
def _bank(
    guessing: bool = False,
) -> tuple[
    npt.NDArray[np.float64],
    npt.NDArray[np.float64],
    npt.NDArray[np.float64],
    npt.NDArray[np.float64],
    npt.NDArray[np.int64],
]:
    """Known items and simulated responses (seeded, so every run is the same)."""
    rng = np.random.default_rng(20240611)
    a = rng.uniform(0.7, 2.0, N_ITEMS)
    b = rng.uniform(-2.0, 2.0, N_ITEMS)
    c = rng.uniform(0.1, 0.3, N_ITEMS) if guessing else np.zeros(N_ITEMS)
    theta = rng.standard_normal(N_EXAMINEES)
    return a, b, c, theta, simulate_responses(a, b, c, theta, rng)


@cache
def _fit(guessing: bool = False) -> Calibration:
    *_, y = _bank(guessing)
    return calibrate(y, model="3pl" if guessing else "2pl")


def _corr(x: npt.NDArray[np.float64], y: npt.NDArray[np.float64]) -> float:
    return float(np.corrcoef(x, y)[0, 1])


def _rmse(x: npt.NDArray[np.float64], y: npt.NDArray[np.float64]) -> float:
    return float(np.sqrt(np.mean((x - y) ** 2)))


def test_2pl_recovers_the_generating_items():
    a, b, *_ = _bank()
    cal = _fit()
    assert cal.converged
    assert cal.n_iter < 200
    assert _corr(cal.b, b) > 0.97
    assert _corr(cal.a, a) > 0.85
    assert _rmse(cal.b, b) < 0.15
    assert _rmse(cal.a, a) < 0.2
    np.testing.assert_array_equal(cal.c, 0.0)


def test_2pl_standard_errors_cover_the_truth():
    a, b, *_ = _bank()
    cal = _fit()
    assert np.all((cal.se_a > 0) & (cal.se_a < 0.5))
    assert np.all((cal.se_b > 0) & (cal.se_b < 0.5))
    assert np.isnan(cal.se_c).all()
    assert np.mean(np.abs(cal.b - b) < 2.5 * cal.se_b) >= 0.85
    assert np.mean(np.abs(cal.a - a) < 2.5 * cal.se_a) >= 0.85


def test_2pl_standard_errors_match_the_spread_of_the_estimates():
    # SE is larger for items far from the examinees (|b| large) than central ones.
    _, b, *_ = _bank()
    cal = _fit()
    assert cal.se_b[np.abs(b) > 1.5].mean() > cal.se_b[np.abs(b) < 0.5].mean()


def test_3pl_recovers_the_generating_items_more_loosely():
    a, b, c, *_ = _bank(guessing=True)
    cal = _fit(guessing=True)
    assert cal.converged
    assert _corr(cal.b, b) > 0.95
    assert _corr(cal.a, a) > 0.8
    assert _rmse(cal.b, b) < 0.3
    assert _rmse(cal.c, c) < 0.08
    assert np.all((cal.c > 0) & (cal.c < 0.5))
    assert np.isfinite(cal.se_c).all()
    assert np.mean(np.abs(cal.b - b) < 2.5 * cal.se_b) >= 0.75


@pytest.mark.parametrize("model", ["2pl", "3pl"])
def test_log_likelihood_is_the_marginal_likelihood_by_brute_force(model):
    *_, y = _bank(guessing=model == "3pl")
    y = y[:300, :10]
    cal = calibrate(y, model=model)
    grid = np.linspace(-8.0, 8.0, 1601)
    density = np.exp(-0.5 * grid**2) / np.sqrt(2 * np.pi)
    ll = log_likelihood(grid[:, None], cal.a, cal.b, cal.c, y[None, :, :])
    marginal = np.trapezoid(np.exp(ll) * density[:, None], grid, axis=0)
    assert cal.log_likelihood == pytest.approx(np.log(marginal).sum(), rel=1e-5)


def test_em_never_lowers_the_log_likelihood():
    *_, y = _bank()
    lls = [calibrate(y, max_iter=n).log_likelihood for n in (1, 2, 5)]
    assert lls == sorted(lls)
    assert lls[-1] <= _fit().log_likelihood + 1e-6


def test_stopping_at_max_iter_is_not_converged():
    *_, y = _bank()
    cal = calibrate(y, max_iter=3)
    assert (cal.n_iter, cal.converged) == (3, False)


@pytest.mark.parametrize("missing", [np.nan, -1], ids=["nan", "minus-one"])
def test_missing_responses_are_skipped(missing):
    a, b, *_, y = _bank()
    holes = np.random.default_rng(7).random(y.shape) < 0.3
    cal = calibrate(np.where(holes, missing, y))
    assert cal.converged
    assert _corr(cal.b, b) > 0.97
    assert _corr(cal.a, a) > 0.85
    assert _rmse(cal.b, b) < 0.2


def test_nan_and_minus_one_mean_the_same():
    *_, y = _bank()
    holes = np.random.default_rng(8).random(y.shape) < 0.2
    with_nan = calibrate(np.where(holes, np.nan, y), max_iter=5)
    with_minus_one = calibrate(np.where(holes, -1, y), max_iter=5)
    np.testing.assert_array_equal(with_nan.b, with_minus_one.b)


def test_a_reversed_item_is_flagged():
    a, b, c, theta, y = _bank()
    rng = np.random.default_rng(3)
    y = y.copy()
    # Item 0 is answered by a falling curve: the able get it wrong.
    y[:, 0] = simulate_responses(-a[:1], b[:1], c[:1], theta, rng)[:, 0]
    cal = calibrate(y)
    assert cal.flagged[0]
    assert cal.a[0] < 0.2
    assert cal.flagged[1:].sum() <= 1
    assert cal.infit[1:] == pytest.approx(1.0, abs=0.1)
    assert cal.outfit[1:] == pytest.approx(1.0, abs=0.2)


def test_items_everyone_got_right_or_wrong_are_clamped_and_flagged():
    *_, y = _bank()
    y = y[:, :6].copy()
    y[:, 0], y[:, 1] = 1, 0
    cal = calibrate(y)
    assert cal.extreme.tolist() == [True, True, False, False, False, False]
    assert cal.flagged[:2].all()
    assert cal.b[0] < -3 < 3 < cal.b[1]
    assert np.isfinite(cal.b).all()
    assert np.isnan(cal.se_b[:2]).all()
    assert np.isnan(cal.outfit[:2]).all()
    assert np.isfinite(cal.se_b[2:]).all()


def test_only_extreme_items_give_a_trivial_calibration():
    cal = calibrate(np.array([[1, 0], [1, 0], [1, np.nan]]))
    assert cal.extreme.all()
    assert cal.n_iter == 0
    assert cal.converged
    assert cal.log_likelihood == pytest.approx(0.0)


def test_calibration_is_deterministic():
    *_, y = _bank(guessing=True)
    first, second = calibrate(y[:500], model="3pl"), calibrate(y[:500], model="3pl")
    for name in ("a", "b", "c", "se_a", "se_b", "se_c", "infit", "outfit"):
        np.testing.assert_array_equal(getattr(first, name), getattr(second, name))
    assert first.log_likelihood == second.log_likelihood


@pytest.mark.parametrize(
    ("responses", "kwargs", "error"),
    [
        (np.array([1, 0, 1]), {}, ValueError),
        (np.array([[1, 2], [0, 1]]), {}, ValueError),
        (np.array([[1, 0], [0, 1]]), {"model": "4pl"}, ValueError),
        (np.full((3, 2), np.nan), {}, FitError),
    ],
    ids=["one-d", "not-binary", "unknown-model", "nothing-observed"],
)
def test_invalid_input_is_rejected(responses, kwargs, error):
    with pytest.raises(error):
        calibrate(responses, **kwargs)


def test_simulated_responses_follow_the_curve():
    rng = np.random.default_rng(0)
    a, b, c = np.array([1.0, 2.0]), np.array([0.0, 1.0]), np.array([0.0, 0.2])
    y = simulate_responses(a, b, c, np.zeros(20000), rng)
    assert y.shape == (20000, 2)
    assert set(np.unique(y)) <= {0, 1}
    expected = c + (1 - c) / (1 + np.exp(a * b))
    np.testing.assert_allclose(y.mean(axis=0), expected, atol=0.015)
