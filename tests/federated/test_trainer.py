"""Local head training on synthetic embeddings: it learns, stops early, reports progress, cancels, refuses too little data."""

from __future__ import annotations

import numpy as np
import pytest

from desktop_app.core.federated.head import HeadWeights
from desktop_app.core.federated.trainer import (
    NotEnoughData,
    TrainConfig,
    TrainingCancelled,
    split_train_val,
    train_head,
)

DIM, CLASSES = 32, 4


def _clusters(per_class: int, seed: int = 0, spread: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    centres = np.random.default_rng(99).normal(0, 1.5, (CLASSES, DIM))
    labels = np.repeat(np.arange(CLASSES), per_class)
    return centres[labels] + rng.normal(0, spread, (len(labels), DIM)), labels


def _uninformed_head() -> HeadWeights:
    rng = np.random.default_rng(5)
    return HeadWeights(W=rng.normal(0, 0.01, (DIM, CLASSES)), b=np.zeros(CLASSES), version="v1")


def test_training_improves_held_back_accuracy_and_keeps_the_best_epoch():
    X, y = _clusters(40)
    calls = []
    result = train_head(X, y, _uninformed_head(), progress=lambda *a: calls.append(a))
    assert result.accuracy_after >= 0.9
    assert result.accuracy_after > result.accuracy_before + 0.3
    assert result.loss_after < result.loss_before
    assert result.num_train + result.num_val == len(y)
    assert result.num_val == pytest.approx(0.2 * len(y), abs=CLASSES)
    assert len(calls) == result.epochs_run and calls[0][:2] == (1, TrainConfig().max_epochs)
    assert result.weights.version == "v1"
    assert result.class_counts == {0: 40, 1: 40, 2: 40, 3: 40}


def test_early_stopping_ends_before_the_epoch_limit_on_easy_data():
    X, y = _clusters(30, spread=0.3)
    result = train_head(X, y, _uninformed_head(), config=TrainConfig(max_epochs=500, patience=5))
    assert result.stop_reason == "early_stopping"
    assert result.epochs_run < 500
    assert result.best_epoch <= result.epochs_run - 5


def test_a_strong_pull_toward_the_global_head_keeps_the_weights_near_it():
    X, y = _clusters(20)
    start = _uninformed_head()
    loose = train_head(X, y, start, global_head=start, config=TrainConfig(l2_to_global=0.0))
    tight = train_head(X, y, start, global_head=start, config=TrainConfig(l2_to_global=50.0))
    assert np.linalg.norm(tight.weights.W - start.W) < 0.2 * np.linalg.norm(
        loose.weights.W - start.W
    )


def test_cancel_stops_training_with_nothing_returned():
    X, y = _clusters(20)
    epochs = []
    with pytest.raises(TrainingCancelled):
        train_head(
            X,
            y,
            _uninformed_head(),
            progress=lambda e, *_: epochs.append(e),
            cancelled=lambda: len(epochs) >= 3,
        )
    assert epochs == [1, 2, 3]


def test_too_few_cases_gives_a_clear_message():
    X, y = _clusters(2)
    with pytest.raises(NotEnoughData, match="Only 8 confirmed case"):
        train_head(X, y, _uninformed_head())


def test_a_single_finding_is_not_worth_training_on():
    X, _ = _clusters(10)
    with pytest.raises(NotEnoughData, match=r"same finding \(meningioma\)"):
        train_head(
            X,
            np.ones(len(X), dtype=int),
            _uninformed_head(),
            class_names=["glioma", "meningioma", "notumor", "pituitary"],
        )


def test_mismatched_embeddings_are_refused():
    X, y = _clusters(10)
    with pytest.raises(ValueError, match="do not fit"):
        train_head(X[:, :10], y, _uninformed_head())


def test_the_split_is_stratified_and_reproducible():
    y = np.array([0] * 10 + [1] * 5 + [2] * 1)
    train, val = split_train_val(y, 0.2, seed=1)
    assert sorted(np.concatenate([train, val]).tolist()) == list(range(len(y)))
    assert np.bincount(y[val], minlength=3).tolist() == [2, 1, 0]
    again = split_train_val(y, 0.2, seed=1)
    assert again[1].tolist() == val.tolist()


def test_training_under_the_engines_temperature_lowers_that_loss():
    X, y = _clusters(30)
    result = train_head(X, y, _uninformed_head(), temperature=2.0)
    assert result.loss_after < result.loss_before
    assert result.accuracy_after >= 0.9
    probabilities = result.weights.probabilities(X, temperature=2.0)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0)
