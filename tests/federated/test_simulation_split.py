"""The simulation's clinic splits: IID shares are even, non-IID shares are skewed, nothing is lost or repeated."""

from __future__ import annotations

import numpy as np

from training.fl_simulate import partition, poison_scaled, poison_sign_flipped, zero_head


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
