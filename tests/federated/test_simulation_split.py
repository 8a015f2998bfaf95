"""The simulation: clinic splits (IID even, non-IID skewed), poisoned updates, rounds through the real server."""

from __future__ import annotations

import numpy as np

from training.fl_loopback import LoopbackFederation
from training.fl_simulate import (
    partition,
    poison_scaled,
    poison_sign_flipped,
    run_federated,
    zero_head,
)


def _labels() -> np.ndarray:
    return np.repeat(np.arange(4), 100)


def test_iid_split_is_even_and_complete():
    labels = _labels()
    parts = partition(np.arange(len(labels)), labels, 4, "iid", seed=0)
    assert sorted(np.concatenate(parts).tolist()) == list(range(len(labels)))
    assert [len(p) for p in parts] == [100, 100, 100, 100]


def test_non_iid_split_is_complete_and_skewed_by_class():
    labels = _labels()
    parts = partition(np.arange(len(labels)), labels, 4, "non-iid", seed=0, alpha=0.3)
    assert sorted(np.concatenate(parts).tolist()) == list(range(len(labels)))
    shares = np.array(
        [np.bincount(labels[p], minlength=4) / max(len(p), 1) for p in parts if len(p)]
    )
    assert shares.max() > 0.5  # some clinic is dominated by one class


def test_poisoned_updates_move_away_from_the_honest_direction():
    start = zero_head(3, 2)
    honest = start.__class__(W=np.ones((3, 2)), b=np.ones(2), version="x")
    assert np.allclose(poison_scaled(honest, start).W, 20.0)
    assert np.allclose(poison_sign_flipped(honest, start).W, -10.0)


def _clusters(per_class: int = 60, dim: int = 8) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    centres = rng.normal(0, 2.0, (4, dim))
    labels = np.repeat(np.arange(4), per_class)
    return centres[labels] + rng.normal(0, 1.0, (len(labels), dim)), labels


def test_federated_rounds_through_the_server_learn_and_a_robust_strategy_survives_poison():
    X, y = _clusters()
    indices = np.random.default_rng(0).permutation(len(y))
    val, train = indices[:60], indices[60:]
    clinics = partition(train, y, 3, "iid", seed=0)
    common = dict(rounds=3, epochs=5, seed=0)
    with LoopbackFederation(zero_head(8, 4), model_id="m", clinics=3) as federation:
        honest = run_federated("FedAvg", federation, X, y, clinics, val, **common)
        assert federation.meta()["version"] == "global-3"
    assert len(honest.accuracy) == 3 and honest.accuracy[-1] >= 0.8
    with LoopbackFederation(
        zero_head(8, 4), model_id="m", clinics=3, strategy="median"
    ) as federation:
        robust = run_federated(
            "median", federation, X, y, clinics, val, poison=poison_sign_flipped, **common
        )
    with LoopbackFederation(zero_head(8, 4), model_id="m", clinics=3) as federation:
        poisoned = run_federated(
            "FedAvg", federation, X, y, clinics, val, poison=poison_sign_flipped, **common
        )
    assert robust.accuracy[-1] >= 0.8 > poisoned.accuracy[-1]
