"""IRT core: closed forms, and ability estimates against brute force."""

import numpy as np
import numpy.typing as npt
import pytest

from levelwise.learners.irt import (
    GRID,
    estimate_ability,
    information,
    log_likelihood,
    probability,
)

FINE = np.linspace(-8.0, 8.0, 32001)

ITEMS = {
    # name: (a, b, c) for five items
    "2pl": (
        np.array([0.6, 1.0, 1.4, 2.0, 0.9]),
        np.array([-1.5, -0.5, 0.0, 0.7, 1.8]),
        np.zeros(5),
    ),
    "3pl": (
        np.array([0.8, 1.2, 1.7, 1.0, 2.2]),
        np.array([-1.0, 0.0, 0.5, 1.2, -0.3]),
        np.array([0.2, 0.25, 0.1, 0.15, 0.3]),
    ),
}

PATTERNS = {
    "mixed": np.array([1, 1, 0, 1, 0]),
    "easy-right": np.array([1, 1, 1, 0, 0]),
    "hard-right": np.array([0, 0, 1, 1, 1]),
    "one-right": np.array([0, 0, 0, 1, 0]),
}


def _logistic(x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    return 1.0 / (1.0 + np.exp(-x))


@pytest.mark.parametrize("kind", ITEMS, ids=list(ITEMS))
@pytest.mark.parametrize("theta", [-2.5, -0.3, 0.0, 1.1, 3.0])
def test_probability_matches_closed_form(kind, theta):
    a, b, c = ITEMS[kind]
    expected = c + (1 - c) * _logistic(a * (theta - b))
    np.testing.assert_allclose(probability(theta, a, b, c), expected, rtol=1e-12)


def test_probability_broadcasts_over_thetas():
    a, b, c = ITEMS["3pl"]
    thetas = np.array([-1.0, 0.0, 2.0])
    grid = probability(thetas, a, b, c)
    assert grid.shape == (3, 5)
    for row, theta in zip(grid, thetas, strict=True):
        np.testing.assert_allclose(row, probability(float(theta), a, b, c))


@pytest.mark.parametrize("theta", [-2.0, -0.5, 0.0, 0.4, 2.5])
def test_2pl_information_is_a2_p_q(theta):
    a, b, c = ITEMS["2pl"]
    p = _logistic(a * (theta - b))
    np.testing.assert_allclose(
        information(theta, a, b, c), a**2 * p * (1 - p), rtol=1e-10
    )


@pytest.mark.parametrize("theta", [-2.0, -0.5, 0.0, 0.4, 2.5])
def test_3pl_information_matches_lord_formula(theta):
    a, b, c = ITEMS["3pl"]
    p = c + (1 - c) * _logistic(a * (theta - b))
    # Lord (1980) eq. 5-23: I = a² (1 − P) / P · ((P − c) / (1 − c))²
    lord = a**2 * (1 - p) / p * ((p - c) / (1 - c)) ** 2
    np.testing.assert_allclose(information(theta, a, b, c), lord, rtol=1e-10)


def test_3pl_information_equals_fisher_information_numerically():
    a, b, c = ITEMS["3pl"]
    theta, h = 0.3, 1e-6
    dp = (probability(theta + h, a, b, c) - probability(theta - h, a, b, c)) / (2 * h)
    p = probability(theta, a, b, c)
    np.testing.assert_allclose(information(theta, a, b, c), dp**2 / (p * (1 - p)))


@pytest.mark.parametrize(("a", "b"), [(0.7, -1.2), (1.0, 0.0), (2.3, 1.5)])
def test_2pl_information_peaks_at_b(a, b):
    one = (np.array([a]), np.array([b]), np.zeros(1))
    info = information(FINE, *one)[:, 0]
    assert FINE[np.argmax(info)] == pytest.approx(b, abs=1e-3)
    assert info.max() == pytest.approx(a**2 / 4)


def test_3pl_information_peaks_above_b():
    a, b, c = np.array([1.5]), np.array([0.0]), np.array([0.25])
    peak = FINE[np.argmax(information(FINE, a, b, c)[:, 0])]
    # Lord (1980) eq. 10-4: θ_max = b + ln((1 + √(1 + 8c)) / 2) / a
    assert peak == pytest.approx(
        np.log((1 + np.sqrt(1 + 8 * 0.25)) / 2) / 1.5, abs=1e-3
    )


@pytest.mark.parametrize("kind", ITEMS, ids=list(ITEMS))
@pytest.mark.parametrize("pattern", PATTERNS.values(), ids=list(PATTERNS))
def test_log_likelihood_is_the_direct_sum(kind, pattern):
    a, b, c = ITEMS[kind]
    for theta in (-1.7, 0.0, 0.9):
        direct = sum(
            np.log(p) if u else np.log(1 - p)
            for u, p in zip(pattern, probability(theta, a, b, c), strict=True)
        )
        assert log_likelihood(theta, a, b, c, pattern) == pytest.approx(direct)


def _brute_posterior(
    a: npt.NDArray[np.float64],
    b: npt.NDArray[np.float64],
    c: npt.NDArray[np.float64],
    pattern: npt.NDArray[np.int64],
    mean: float = 0.0,
    sd: float = 1.0,
) -> npt.NDArray[np.float64]:
    logpost = log_likelihood(FINE, a, b, c, pattern) - 0.5 * ((FINE - mean) / sd) ** 2
    out: npt.NDArray[np.float64] = np.exp(logpost - logpost.max())
    return out


@pytest.mark.parametrize("kind", ITEMS, ids=list(ITEMS))
@pytest.mark.parametrize("pattern", PATTERNS.values(), ids=list(PATTERNS))
def test_eap_matches_integrated_posterior(kind, pattern):
    a, b, c = ITEMS[kind]
    w = _brute_posterior(a, b, c, pattern)
    z = np.trapezoid(w, FINE)
    mean = np.trapezoid(w * FINE, FINE) / z
    sd = np.sqrt(np.trapezoid(w * (FINE - mean) ** 2, FINE) / z)
    est = estimate_ability(a, b, c, pattern)
    assert est.method == "eap"
    assert est.theta == pytest.approx(mean, abs=1e-4)
    assert est.se == pytest.approx(sd, abs=1e-4)


def test_eap_honours_the_prior():
    a, b, c = ITEMS["2pl"]
    pattern = PATTERNS["mixed"]
    w = _brute_posterior(a, b, c, pattern, mean=1.0, sd=0.5)
    mean = np.trapezoid(w * FINE, FINE) / np.trapezoid(w, FINE)
    est = estimate_ability(a, b, c, pattern, prior_mean=1.0, prior_sd=0.5)
    assert est.theta == pytest.approx(mean, abs=1e-4)


def test_eap_without_items_is_the_prior():
    empty = np.array([], dtype=np.float64)
    est = estimate_ability(empty, empty, empty, np.array([], dtype=np.int64))
    assert est.theta == pytest.approx(0.0, abs=1e-9)
    assert est.se == pytest.approx(1.0, abs=1e-3)


@pytest.mark.parametrize("kind", ITEMS, ids=list(ITEMS))
@pytest.mark.parametrize("pattern", PATTERNS.values(), ids=list(PATTERNS))
@pytest.mark.parametrize("method", ["map", "ml"])
def test_map_and_ml_find_the_brute_force_maximiser(kind, pattern, method):
    a, b, c = ITEMS[kind]
    inside = FINE[np.abs(FINE) <= GRID[-1]]  # estimates are clipped to the grid
    objective = log_likelihood(inside, a, b, c, pattern)
    if method == "map":
        objective = objective - 0.5 * inside**2
    best = inside[np.argmax(objective)]
    est = estimate_ability(a, b, c, pattern, method=method)
    assert est.method == method
    assert est.theta == pytest.approx(best, abs=2e-3)
    if method == "ml" and abs(best) == GRID[-1]:
        # No interior maximum (here: guessing makes one right answer fit
        # any low ability): the ML estimate is unbounded.
        assert est.se == float("inf")
        return
    info = information(est.theta, a, b, c).sum() + (method == "map")
    assert est.se == pytest.approx(1 / np.sqrt(info), rel=1e-6)


@pytest.mark.parametrize(
    ("pattern", "end"),
    [(np.ones(5, dtype=np.int64), GRID[-1]), (np.zeros(5, dtype=np.int64), GRID[0])],
    ids=["all-right", "all-wrong"],
)
def test_ml_on_extreme_patterns_has_infinite_se(pattern, end):
    est = estimate_ability(*ITEMS["2pl"], pattern, method="ml")
    assert est.theta == end
    assert est.se == float("inf")


def test_map_on_all_right_is_finite():
    est = estimate_ability(*ITEMS["2pl"], np.ones(5, dtype=np.int64), method="map")
    assert np.isfinite(est.se)
    assert 0 < est.theta < GRID[-1]
