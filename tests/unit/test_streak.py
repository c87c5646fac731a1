"""The exact attempts-to-3-in-a-row chain against closed forms and simulation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from levelwise.learners.bkt import bkt_step
from levelwise.learners.streak import (
    attempts_to_streak,
    base_pmfs,
    fit_speed_prior,
    quantiles,
    speed_posterior,
)

SPEEDS = np.array([0.25, 1.0, 4.0])


def simulate(rng, n, p_known, streak, *, learn, guess, slip, forget, horizon=200):
    """Attempts until 3 right in a row, drawn one attempt at a time."""
    known = rng.random(n) < p_known
    run = np.full(n, streak)
    out = np.zeros(n, dtype=np.int64)
    for t in range(1, horizon + 1):
        right = np.where(known, rng.random(n) < 1 - slip, rng.random(n) < guess)
        run = np.where(right, run + 1, 0)
        out[(out == 0) & (run >= 3)] = t
        u = rng.random(n)
        known = np.where(known, u >= forget, u < learn)
    return out


@pytest.mark.parametrize("streak", [0, 1, 2])
def test_always_right_needs_exactly_the_missing_answers(streak):
    d = attempts_to_streak(0.3, streak, learn=0.2, guess=1.0, slip=0.0)
    assert d.pmf.argmax() + 1 == 3 - streak
    assert d.pmf.max() == pytest.approx(1.0)
    assert float(d.median) == 3 - streak
    assert float(d.tail) == pytest.approx(0.0)


@pytest.mark.parametrize(("slip", "streak"), [(0.1, 0), (0.3, 1), (0.45, 2)])
def test_known_learner_mean_matches_the_run_closed_form(slip, streak):
    # Known for good (learn = 1, no forgetting): right with q each time. The
    # mean attempts to k in a row from scratch are (1 - q^k) / ((1 - q) q^k),
    # and the run passes through ``streak`` on its way to 3.
    q = 1 - slip

    def runs(k):
        return (1 - q**k) / ((1 - q) * q**k)

    d = attempts_to_streak(1.0, streak, learn=1.0, guess=0.2, slip=slip)
    assert float(d.tail) < 1e-12
    assert float(d.mean) == pytest.approx(runs(3) - runs(streak), rel=1e-9)


def test_learn_one_is_one_unknown_attempt_then_known():
    # Unknown now, known from the next attempt: the first answer is right with
    # guess, then right with 1 - slip; with slip 0 the answer is 3 or 4
    # (a wrong first answer restarts the run from a known state).
    g = 0.35
    d = attempts_to_streak(0.0, 0, learn=1.0, guess=g, slip=0.0)
    assert d.pmf[2] == pytest.approx(g)
    assert d.pmf[3] == pytest.approx(1 - g)
    assert d.pmf.sum() == pytest.approx(1.0)


def test_matches_monte_carlo():
    rng = np.random.default_rng(11)
    params = {"learn": 0.12, "guess": 0.25, "slip": 0.12, "forget": 0.03}
    n = 60_000
    draws = simulate(rng, n, 0.35, 1, **params)
    d = attempts_to_streak(0.35, 1, **params)
    empirical = np.bincount(draws, minlength=31)[1:31] / n
    se = np.sqrt(d.pmf[:30] * (1 - d.pmf[:30]) / n)
    assert np.all(np.abs(empirical - d.pmf[:30]) <= 5 * se + 1e-4)
    cdf = np.cumsum(d.pmf)
    for level, bound in zip((0.1, 0.9), d.interval(), strict=True):
        t = int(bound)
        assert cdf[t - 2] < level <= cdf[t - 1]
        assert abs(np.mean(draws <= t) - cdf[t - 1]) <= 5 * math.sqrt(0.25 / n)


def test_never_learning_and_never_guessing_is_all_tail():
    d = attempts_to_streak(0.0, 0, learn=0.0, guess=0.0, slip=0.1, max_steps=50)
    assert float(d.tail) == pytest.approx(1.0)
    assert math.isinf(float(d.median))


def test_base_pmfs_broadcast_and_mix_linearly():
    learn = np.array([0.05, 0.3])
    pmf, tail = base_pmfs(learn=learn, guess=0.2, slip=0.1, max_steps=80)
    assert pmf.shape == (2, 2, 3, 80) and tail.shape == (2, 2, 3)
    np.testing.assert_allclose(pmf.sum(-1) + tail, 1.0, atol=1e-12)
    mixed = attempts_to_streak(0.4, 2, learn=learn, guess=0.2, slip=0.1, max_steps=80)
    np.testing.assert_allclose(
        mixed.pmf, 0.4 * pmf[:, 0, 2] + 0.6 * pmf[:, 1, 2], atol=1e-15
    )


def test_quantiles_of_a_small_pmf():
    pmf = np.array([0.1, 0.4, 0.5])
    assert [float(quantiles(pmf, q)) for q in (0.1, 0.5, 0.51, 0.99)] == [
        1.0,
        2.0,
        3.0,
        3.0,
    ]
    assert math.isinf(float(quantiles(np.array([0.2, 0.2]), 0.5)))
    with pytest.raises(ValueError, match="q must be"):
        quantiles(pmf, 1.0)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"streak": 3}, "streak"),
        ({"p_known": 1.5}, "p_known"),
        ({"learn": 0.7, "forget": 0.5}, "learn \\+ forget"),
        ({"guess": -0.1}, "guess"),
    ],
)
def test_invalid_arguments(kwargs, match):
    args = {"p_known": 0.5, "streak": 0, "learn": 0.1, "guess": 0.2, "slip": 0.1}
    with pytest.raises(ValueError, match=match):
        attempts_to_streak(**{**args, **kwargs})


def test_coverage_on_data_simulated_from_the_model():
    # Learners drawn from BKT itself, forecast after h = 0..4 attempts with the
    # true parameters and the filtered P(known). Discrete intervals cover at
    # least 80 % in expectation; the exact expected coverage is the sum of
    # the pmf over the interval. 4 binomial standard errors with n >= 1,000
    # points per h make a false failure rarer than 1 in 10,000.
    rng = np.random.default_rng(3)
    p = {"learn": 0.15, "guess": 0.2, "slip": 0.1, "forget": 0.0}
    n, prior = 4000, 0.3
    known = rng.random(n) < prior
    answers = np.zeros((n, 60), dtype=bool)
    for t in range(60):
        answers[:, t] = np.where(
            known, rng.random(n) < 1 - p["slip"], rng.random(n) < p["guess"]
        )
        known |= rng.random(n) < p["learn"]
    window = answers[:, :-2] & answers[:, 1:-1] & answers[:, 2:]
    reached = np.where(window.any(axis=1), window.argmax(axis=1) + 3, 0)
    u, streak = np.full(n, 1 - prior), np.zeros(n, dtype=np.int64)
    base, _ = base_pmfs(**p)
    for h in range(5):
        if h:
            a = answers[:, h - 1]
            u = np.array([bkt_step(x, bool(y), **p) for x, y in zip(u, a, strict=True)])
            streak = np.where(a, streak + 1, 0)
        state = 1 - u
        live = (streak < 3) & (reached > h)
        # The same chain for every learner: mix its two start states.
        if h == 0:
            assert np.allclose(
                attempts_to_streak(prior, 0, **p).pmf,
                base[0, 0] * prior + base[1, 0] * (1 - prior),
            )
        s_live = streak[live]
        pmf = (
            state[live, None] * base[0, s_live]
            + (1 - state[live, None]) * base[1, s_live]
        )
        lo, hi = quantiles(pmf, 0.1), quantiles(pmf, 0.9)
        actual = reached[live] - h
        covered = np.mean((lo <= actual) & (actual <= hi))
        cdf = np.cumsum(pmf, axis=1)
        rows = np.arange(cdf.shape[0])
        below = np.where(lo > 1, cdf[rows, np.maximum(lo.astype(int) - 2, 0)], 0)
        expected = np.mean(cdf[rows, hi.astype(int) - 1] - below)
        assert live.sum() >= 1000
        assert expected >= 0.8 - 1e-9
        assert abs(covered - expected) <= 4 * math.sqrt(0.25 / live.sum())


def _speed_loglik(rng, n_learners, n_attempts):
    """True speeds and per-learner log-likelihood after 0..n attempts."""
    true = rng.integers(0, SPEEDS.size, n_learners)
    learn, guess, slip = 0.08, 0.2, 0.1
    known = rng.random(n_learners) < 0.2
    u = np.full((n_learners, SPEEDS.size), 0.8)
    loglik = np.zeros((n_attempts + 1, n_learners, SPEEDS.size))
    rates = np.minimum(learn * SPEEDS, 1.0)
    for t in range(n_attempts):
        right = np.where(known, rng.random(n_learners) < 1 - slip,
                         rng.random(n_learners) < guess)  # fmt: skip
        c = (1 - u) * (1 - slip) + u * guess
        loglik[t + 1] = loglik[t] + np.where(right[:, None], np.log(c), np.log1p(-c))
        post = np.where(right[:, None], u * guess / c, u * (1 - guess) / (1 - c))
        u = post * (1 - rates)
        known |= rng.random(n_learners) < rates[true]
        # A new skill every 8 attempts: knowledge starts over.
        if (t + 1) % 8 == 0:
            known = rng.random(n_learners) < 0.2
            u[:] = 0.8
    return true, loglik


def test_speed_posterior_narrows_with_history():
    # The posterior over a learner's speed, from the attempts so far on other
    # skills: its mean variance (of log speed) falls as history grows, and the
    # true speed gets more weight.
    rng = np.random.default_rng(7)
    true, loglik = _speed_loglik(rng, 3000, 64)
    log_prior = np.log(np.full(SPEEDS.size, 1 / SPEEDS.size))
    variances, hits = [], []
    for n in (0, 8, 32, 64):
        w = speed_posterior(log_prior, loglik[n])
        mean = w @ np.log(SPEEDS)
        variances.append(float(np.mean(w @ np.log(SPEEDS) ** 2 - mean**2)))
        hits.append(float(np.mean(w[np.arange(true.size), true])))
    assert all(a > b for a, b in zip(variances, variances[1:], strict=False))
    assert all(a < b for a, b in zip(hits, hits[1:], strict=False))
    assert hits[0] == pytest.approx(1 / SPEEDS.size)


def test_interval_on_a_new_skill_widens_with_less_history():
    # "Less history" = fewer earlier attempts of the learner (on other skills).
    # The 80 % interval of the attempts to 3 in a row on a new skill (h = 0,
    # P(known) = prior) under the posterior speed mixture is, on average over
    # learners, wider the fewer earlier attempts there are (0, 8, 32, 64). The
    # narrowing is modest: each speed's own distribution is wide.
    rng = np.random.default_rng(8)
    _, loglik = _speed_loglik(rng, 2000, 64)
    pmf, _ = base_pmfs(learn=np.minimum(0.08 * SPEEDS, 1), guess=0.2, slip=0.1)
    start = 0.2 * pmf[:, 0, 0] + 0.8 * pmf[:, 1, 0]
    widths = []
    for n in (0, 8, 32, 64):
        w = speed_posterior(np.log(np.full(SPEEDS.size, 1 / 3)), loglik[n])
        mixed = w @ start
        widths.append(float(np.mean(quantiles(mixed, 0.9) - quantiles(mixed, 0.1))))
    assert all(a > b for a, b in zip(widths, widths[1:], strict=False))
    assert widths[0] - widths[-1] >= 2.0


def test_fit_speed_prior_recovers_mixture_weights():
    rng = np.random.default_rng(9)
    true, loglik = _speed_loglik(rng, 3000, 64)
    fitted = fit_speed_prior(loglik[64])
    share = np.bincount(true, minlength=SPEEDS.size) / true.size
    assert fitted.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(fitted, share, atol=0.1)
