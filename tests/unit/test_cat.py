"""CAT engine: simulated examinees on generated banks, stop rules, exposure, JSON."""

from __future__ import annotations

import json

import numpy as np
import pytest

from levelwise.errors import CatError
from levelwise.learners.cat import (
    CatSettings,
    CatState,
    Exposure,
    ItemBank,
    answer,
    ask,
    from_json,
    next_item,
    record,
    should_stop,
    start,
    to_json,
)


def make_bank(
    n: int = 300, *, seed: int = 0, dims: int = 1, guess: bool = False
) -> ItemBank:
    rng = np.random.default_rng(seed)
    return ItemBank.from_arrays(
        a=rng.uniform(1.0, 2.0, n),
        b=rng.normal(0.0, 1.2, n),
        c=rng.uniform(0.0, 0.25, n) if guess else None,
        dimension=np.arange(n) % dims,
    )


def simulate(
    bank: ItemBank,
    settings: CatSettings,
    theta: float | tuple[float, ...],
    rng: np.random.Generator,
    exposure: Exposure | None = None,
) -> list[CatState]:
    """One examinee with true ability ``theta`` (a float, or one per dimension)."""
    thetas = np.broadcast_to(np.asarray(theta, float), (bank.n_dimensions,))
    state = start(bank, settings)
    history = [state]
    while (item := next_item(bank, settings, state, rng, exposure)) is not None:
        t = thetas[bank.dimension[item]]
        p = bank.c[item] + (1 - bank.c[item]) / (
            1 + np.exp(-bank.a[item] * (t - bank.b[item]))
        )
        state = answer(bank, settings, ask(bank, state, item), item, rng.random() < p)
        history.append(state)
    return history


def test_se_decreases_as_items_are_given():
    bank, rng = make_bank(), np.random.default_rng(1)
    history = simulate(bank, CatSettings(se_target=None, max_items=15), 0.3, rng)
    se = [s.se[0] for s in history]
    assert se[0] == 1.0
    assert se[15] < se[8] < se[3] < se[0]
    assert sum(b < a for a, b in zip(se, se[1:], strict=False)) >= 12


def test_stops_at_the_se_target():
    bank, rng = make_bank(), np.random.default_rng(2)
    settings = CatSettings(se_target=0.3, max_items=50)
    history = simulate(bank, settings, -0.5, rng)
    assert should_stop(bank, settings, history[-1]) == "se"
    assert history[-1].se[0] <= 0.3 < history[-2].se[0]
    assert len(history[-1].items) < 50


def test_max_items_and_min_items_are_respected():
    bank, rng = make_bank(), np.random.default_rng(3)
    settings = CatSettings(se_target=None, max_items=7)
    final = simulate(bank, settings, 0.0, rng)[-1]
    assert len(final.items) == 7
    assert should_stop(bank, settings, final) == "max_items"
    loose = CatSettings(se_target=5.0, min_items=3, max_items=9)
    final = simulate(bank, loose, 0.0, rng)[-1]
    assert (len(final.items), should_stop(bank, loose, final)) == (3, "se")


def test_bank_exhausted_stops_the_test():
    bank, rng = make_bank(5), np.random.default_rng(4)
    settings = CatSettings(se_target=None, max_items=10)
    final = simulate(bank, settings, 0.0, rng)[-1]
    assert sorted(final.items) == [0, 1, 2, 3, 4]
    assert should_stop(bank, settings, final) == "bank_exhausted"


def test_no_item_is_given_twice():
    bank, rng = make_bank(60), np.random.default_rng(5)
    settings = CatSettings(se_target=None, max_items=40, randomesque=10)
    for theta in rng.normal(0, 1, 20):
        items = simulate(bank, settings, theta, rng)[-1].items
        assert len(items) == len(set(items)) == 40


def test_answering_an_item_not_asked_or_twice_raises():
    bank = make_bank(20)
    settings = CatSettings()
    state = start(bank, settings)
    with pytest.raises(CatError, match="not asked"):
        answer(bank, settings, state, 3, True)
    asked = ask(bank, state, 3)
    assert next_item(bank, settings, asked, np.random.default_rng(0)) == 3
    with pytest.raises(CatError, match="not asked"):
        answer(bank, settings, asked, 4, True)
    with pytest.raises(CatError, match="awaiting"):
        ask(bank, asked, 4)
    done = answer(bank, settings, asked, 3, False)
    assert done.pending is None and done.items == (3,) and done.responses == (0,)
    with pytest.raises(CatError, match="already answered"):
        answer(bank, settings, done, 3, True)
    with pytest.raises(CatError, match="already answered"):
        ask(bank, done, 3)
    with pytest.raises(CatError, match="not in the bank"):
        ask(bank, done, 20)


def test_exposure_cap_holds_over_500_examinees():
    bank, rng = make_bank(150), np.random.default_rng(6)
    settings = CatSettings(se_target=None, max_items=8, randomesque=1, max_exposure=0.2)
    exposure = Exposure.empty(bank)
    for theta in rng.normal(0, 1, 500):
        exposure = record(exposure, simulate(bank, settings, theta, rng, exposure)[-1])
    assert exposure.sessions == 500
    assert exposure.counts.sum() == 500 * 8
    assert exposure.rates.max() <= 0.2 + 1e-9


def test_exposure_cap_is_ignored_when_no_item_is_eligible():
    bank, rng = make_bank(10), np.random.default_rng(7)
    settings = CatSettings(se_target=None, max_items=3, max_exposure=0.01)
    exposure = record(
        Exposure.empty(bank),
        CatState(tuple(range(10)), (1,) * 10, (0.0,), (1.0,), (10,)),
    )
    assert len(simulate(bank, settings, 0.0, rng, exposure)[-1].items) == 3


def test_randomesque_spreads_exposure_versus_max_information():
    bank = make_bank(200)

    def max_rate(k: int) -> tuple[float, int]:
        rng, exposure = np.random.default_rng(8), Exposure.empty(bank)
        settings = CatSettings(se_target=None, max_items=10, randomesque=k)
        for theta in rng.normal(0, 1, 150):
            state = simulate(bank, settings, theta, rng)[-1]
            exposure = record(exposure, state)
        return float(exposure.rates.max()), int((exposure.counts > 0).sum())

    (plain, used_plain), (spread, used_spread) = max_rate(1), max_rate(5)
    assert plain == 1.0
    assert spread < 0.6 * plain
    assert used_spread > used_plain


@pytest.mark.parametrize(
    "targets",
    [
        (0.5, 0.3, 0.2),  # unequal shares
        (1 / 3, 1 / 3, 1 / 3),  # equal shares
    ],
    ids=["unequal", "equal"],
)
def test_content_balancing_hits_target_proportions(targets):
    bank, rng = make_bank(300, dims=3), np.random.default_rng(9)
    settings = CatSettings(se_target=None, max_items=12, content_targets=targets)
    for theta in rng.normal(0, 1, 20):
        final = simulate(bank, settings, theta, rng)[-1]
        counts = np.bincount(bank.dimension[list(final.items)], minlength=3)
        assert tuple(counts) == final.dimension_counts
        assert np.abs(counts - 12 * np.asarray(targets)).max() <= 1


def test_classification_stop_around_a_cut_point():
    bank, rng = make_bank(), np.random.default_rng(10)
    settings = CatSettings(se_target=None, max_items=40, cut_points=(0.0, 3.5))
    far = simulate(bank, settings, 2.0, rng)[-1]
    assert should_stop(bank, settings, far) == "classified"
    assert len(far.items) < 15
    assert far.theta[0] - 1.96 * far.se[0] > 0.0
    assert far.theta[0] + 1.96 * far.se[0] < 3.5
    near = simulate(bank, settings, 0.0, np.random.default_rng(11))
    assert len(near[-1].items) > len(far.items)


def test_state_json_round_trip():
    bank, rng = make_bank(), np.random.default_rng(12)
    settings = CatSettings(estimator="ml", se_target=None, max_items=4)
    state = start(bank, settings)
    for _ in range(3):  # all right: ML diverges and its SE is infinite
        item = next_item(bank, settings, state, rng)
        assert item is not None
        state = answer(bank, settings, ask(bank, state, item), item, True)
    state = ask(bank, state, int(next_item(bank, settings, state, rng) or 0))
    assert state.se == (float("inf"),)
    text = to_json(state)
    assert json.loads(text)["se"] == [None]
    assert from_json(text) == state


@pytest.mark.parametrize(
    "text",
    [
        "not json",  # unparsable
        '{"version": 2}',  # unknown version
        '{"version": 1}',  # fields missing
        '{"version": 1, "items": [1], "responses": [], "theta": [0], "se": [1],'
        ' "dimension_counts": [1], "pending": null}',  # lengths differ
    ],
    ids=["garbage", "version", "missing", "lengths"],
)
def test_from_json_rejects_invalid_states(text):
    with pytest.raises(CatError):
        from_json(text)


def test_eap_estimate_correlates_with_true_theta():
    bank, rng = make_bank(400), np.random.default_rng(13)
    settings = CatSettings(se_target=None, max_items=20)
    truth = rng.normal(0, 1, 150)
    estimates = [simulate(bank, settings, t, rng)[-1].theta[0] for t in truth]
    assert np.corrcoef(truth, estimates)[0, 1] > 0.9


@pytest.mark.parametrize(
    "targets",
    [None, (0.5, 0.5)],  # largest SE first; Kingsbury-Zara shares
    ids=["largest-se", "targets"],
)
def test_multidimensional_estimates_one_theta_per_dimension(targets):
    bank, rng = make_bank(200, dims=2, guess=True), np.random.default_rng(14)
    settings = CatSettings(
        se_target=0.45, max_items=40, multidimensional=True, content_targets=targets
    )
    final = simulate(bank, settings, (1.5, -1.5), rng)[-1]
    assert should_stop(bank, settings, final) == "se"
    assert final.theta[0] > 0.5 and final.theta[1] < -0.5
    assert max(final.se) <= 0.45
    if targets is not None:
        assert abs(final.dimension_counts[0] - final.dimension_counts[1]) <= 1


@pytest.mark.parametrize(
    "settings",
    [
        CatSettings(min_items=5, max_items=4),  # min above max
        CatSettings(randomesque=0),  # no candidates
        CatSettings(max_exposure=0.0),  # cap out of range
        CatSettings(alpha=1.0),  # no interval
        CatSettings(estimator="mle"),  # type: ignore[arg-type]
        CatSettings(content_targets=(0.5, 0.6)),  # shares do not sum to 1
        CatSettings(content_targets=(1.0,)),  # wrong number of dimensions
    ],
    ids=["min-max", "randomesque", "exposure", "alpha", "estimator", "sum", "dims"],
)
def test_start_rejects_invalid_settings(settings):
    with pytest.raises(CatError):
        start(make_bank(20, dims=2), settings)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"a": [1.0, 1.0], "b": [0.0]},  # lengths differ
        {"a": [0.0], "b": [0.0]},  # a must be positive
        {"a": [1.0], "b": [0.0], "c": [1.0]},  # c below 1
        {"a": [1.0], "b": [0.0], "dimension": [-1]},  # negative dimension
        {"a": [], "b": []},  # empty
    ],
    ids=["lengths", "a", "c", "dimension", "empty"],
)
def test_item_bank_rejects_invalid_items(kwargs):
    with pytest.raises(CatError):
        ItemBank.from_arrays(**kwargs)


def test_every_dimension_needs_items():
    bank = ItemBank.from_arrays(a=[1.0, 1.0], b=[0.0, 1.0], dimension=[0, 2])
    with pytest.raises(CatError, match="every dimension"):
        start(bank, CatSettings())
