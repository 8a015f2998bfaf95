"""Aggregation arithmetic: FedAvg is an exact weighted mean; median and trimmed mean resist a poisoned client."""

from __future__ import annotations

import numpy as np
import pytest

from server.aggregation import (
    AggregationError,
    ClientUpdate,
    ClippedGaussian,
    CoordinateMedian,
    FedAvg,
    TrimmedMean,
    make_strategy,
)


def _update(client: str, w: np.ndarray, b: np.ndarray, n: int) -> ClientUpdate:
    return ClientUpdate(
        client_id=client,
        weights={"W": w.astype(np.float32), "b": b.astype(np.float32)},
        num_examples=n,
    )


def _honest(rng: np.random.Generator, count: int) -> list[ClientUpdate]:
    centre_w, centre_b = np.ones((8, 4)), np.zeros(4)
    return [
        _update(
            f"clinic{i}",
            centre_w + rng.normal(0, 0.01, (8, 4)),
            centre_b + rng.normal(0, 0.01, 4),
            50,
        )
        for i in range(count)
    ]


def test_fedavg_is_the_example_weighted_mean_exactly():
    updates = [
        _update("a", np.full((2, 3), 1.0), np.array([0.0, 4.0, 8.0]), 1),
        _update("b", np.full((2, 3), 5.0), np.array([4.0, 0.0, 8.0]), 3),
    ]
    result = FedAvg().aggregate(updates)
    # (1*1 + 3*5) / 4 = 4; (1*0 + 3*4) / 4 = 3; (1*4 + 3*0) / 4 = 1; 8 stays 8.
    np.testing.assert_array_equal(result["W"], np.full((2, 3), 4.0, dtype=np.float32))
    np.testing.assert_array_equal(result["b"], np.array([3.0, 1.0, 8.0], dtype=np.float32))
    assert result["W"].dtype == np.float32


def test_fedavg_matches_numpy_average_on_random_updates():
    rng = np.random.default_rng(0)
    updates = [
        _update(f"c{i}", rng.normal(size=(5, 4)), rng.normal(size=4), int(n))
        for i, n in enumerate([3, 10, 7])
    ]
    expected = np.average(
        np.stack([u.weights["W"].astype(np.float64) for u in updates]), axis=0, weights=[3, 10, 7]
    )
    np.testing.assert_allclose(FedAvg().aggregate(updates)["W"], expected, rtol=1e-6)


@pytest.mark.parametrize("poison", ["scaled", "sign_flipped"])
def test_median_and_trimmed_mean_resist_one_poisoned_client_where_fedavg_does_not(poison):
    rng = np.random.default_rng(1)
    honest = _honest(rng, 4)
    w = honest[0].weights["W"].astype(np.float64)
    b = honest[0].weights["b"].astype(np.float64)
    bad = (
        _update("mallory", w * 100.0, b * 100.0, 500)
        if poison == "scaled"
        else _update("mallory", -w * 10, -b * 10, 500)
    )
    updates = honest + [bad]
    truth = np.ones((8, 4))

    fedavg_error = np.abs(FedAvg().aggregate(updates)["W"] - truth).max()
    median_error = np.abs(CoordinateMedian().aggregate(updates)["W"] - truth).max()
    trimmed_error = np.abs(TrimmedMean(trim_fraction=0.2).aggregate(updates)["W"] - truth).max()

    assert fedavg_error > 5.0
    assert median_error < 0.05
    assert trimmed_error < 0.05


def test_trimmed_mean_trims_at_least_one_value_from_each_end():
    strategy = TrimmedMean(trim_fraction=0.1)
    assert strategy.trim_count(2) == 0
    assert strategy.trim_count(3) == 1
    assert strategy.trim_count(5) == 1
    assert strategy.trim_count(20) == 2
    updates = [
        _update(str(v), np.full((1, 1), v), np.array([v]), 1) for v in (1.0, 2.0, 3.0, 1000.0)
    ]
    # sorted 1, 2, 3, 1000 -> drop 1 and 1000 -> mean of 2 and 3
    assert TrimmedMean(0.2).aggregate(updates)["W"][0, 0] == pytest.approx(2.5)


def test_median_of_an_odd_number_of_clients_is_the_middle_value():
    updates = [_update(str(v), np.full((1, 2), v), np.array([v]), 1) for v in (7.0, -3.0, 2.0)]
    result = CoordinateMedian().aggregate(updates)
    np.testing.assert_array_equal(result["W"], np.full((1, 2), 2.0, dtype=np.float32))


def test_clipping_bounds_each_clients_influence_and_noise_is_seeded():
    current = {"W": np.zeros((3, 2), np.float32), "b": np.zeros(2, np.float32)}
    huge = _update("mallory", np.full((3, 2), 1000.0), np.full(2, 1000.0), 10)
    small = _update("alice", np.full((3, 2), 0.01), np.full(2, 0.01), 10)
    result = ClippedGaussian(clip_norm=1.0).aggregate([huge, small], current)
    moved = np.sqrt(sum(float(np.sum(np.square(result[n]))) for n in result))
    # mallory's delta is clipped to norm 1, then averaged over 2 clients: at most 0.5 + alice's share
    assert moved <= 0.5 + np.sqrt(8) * 0.01 / 2 + 1e-6

    noisy_a = ClippedGaussian(clip_norm=1.0, noise_multiplier=1.0, seed=3).aggregate(
        [small], current
    )
    noisy_b = ClippedGaussian(clip_norm=1.0, noise_multiplier=1.0, seed=3).aggregate(
        [small], current
    )
    np.testing.assert_array_equal(noisy_a["W"], noisy_b["W"])
    assert not np.allclose(noisy_a["W"], small.weights["W"], atol=1e-3)


def test_clipping_needs_the_current_weights():
    with pytest.raises(AggregationError, match="current global weights"):
        ClippedGaussian().aggregate([_update("a", np.ones((1, 1)), np.ones(1), 1)])


def test_mismatched_shapes_and_empty_rounds_are_refused():
    good = _update("a", np.ones((2, 2)), np.ones(2), 1)
    wrong = _update("b", np.ones((3, 2)), np.ones(2), 1)
    with pytest.raises(AggregationError, match="shape"):
        FedAvg().aggregate([good, wrong])
    with pytest.raises(AggregationError, match="no client updates"):
        CoordinateMedian().aggregate([])


def test_strategies_are_made_by_name():
    assert isinstance(make_strategy(), FedAvg)
    assert make_strategy("trimmed_mean", trim_fraction=0.3).trim_fraction == 0.3
    with pytest.raises(ValueError, match="unknown aggregation strategy"):
        make_strategy("magic")
