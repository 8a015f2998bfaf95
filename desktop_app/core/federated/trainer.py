"""Local fine-tuning of the classifier head: softmax regression from the current head, pulled toward the global one."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from desktop_app.core.counting import count_text
from desktop_app.core.federated.errors import FederatedError
from desktop_app.core.federated.head import HeadWeights, softmax

log = logging.getLogger(__name__)

ProgressCallback = Callable[
    [int, int, float, float], None
]  # epoch, max_epochs, val_loss, val_accuracy


class NotEnoughData(FederatedError, ValueError):
    """Too few confirmed cases to train something worth sharing; the message says what is needed."""


class TrainingCancelled(RuntimeError):
    """The user cancelled; nothing was changed."""


@dataclass(frozen=True)
class TrainConfig:
    learning_rate: float = 0.01
    max_epochs: int = 200
    batch_size: int = 32
    l2_to_global: float = (
        0.01  # pulls W, b toward the global head so a small clinic cannot drift far
    )
    val_fraction: float = 0.2
    patience: int = 15  # epochs without a better validation loss before stopping
    min_examples: int = 10
    min_classes: int = 2
    seed: int = 0


@dataclass
class TrainResult:
    weights: HeadWeights
    accuracy_before: float
    accuracy_after: float
    loss_before: float
    loss_after: float
    num_train: int
    num_val: int
    epochs_run: int
    best_epoch: int
    stop_reason: str  # "early_stopping" | "max_epochs"
    class_counts: dict[int, int] = field(default_factory=dict)

    @property
    def num_examples(self) -> int:
        return self.num_train + self.num_val


def split_train_val(
    labels: np.ndarray, val_fraction: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Stratified indices: each class with at least 2 examples gives at least one to validation."""
    rng = np.random.default_rng(seed)
    train, val = [], []
    for cls in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == cls))
        n_val = int(round(len(members) * val_fraction))
        if len(members) >= 2:
            n_val = min(max(n_val, 1), len(members) - 1)
        else:
            n_val = 0
        val.extend(members[:n_val])
        train.extend(members[n_val:])
    return np.array(sorted(train), dtype=int), np.array(sorted(val), dtype=int)


def check_enough(
    labels: np.ndarray, config: TrainConfig, class_names: list[str] | None = None
) -> None:
    counts = np.bincount(labels) if len(labels) else np.array([])
    present = int(np.count_nonzero(counts))
    if len(labels) < config.min_examples:
        raise NotEnoughData(
            f"Only {count_text(len(labels), 'confirmed case')} "
            f"{'is' if len(labels) == 1 else 'are'} available; local training needs at least "
            f"{config.min_examples} reviewed reports with a confirmed finding."
        )
    if present < config.min_classes:
        only = class_names[int(np.argmax(counts))] if class_names else "one finding"
        raise NotEnoughData(
            f"All confirmed cases have the same finding ({only}); local training needs cases of at least "
            f"{config.min_classes} different findings to teach the model anything useful."
        )


def cross_entropy(
    head: HeadWeights, X: np.ndarray, y: np.ndarray, temperature: float = 1.0
) -> float:
    if len(y) == 0:
        return float("nan")
    probabilities = head.probabilities(X, temperature)
    return float(-np.mean(np.log(probabilities[np.arange(len(y)), y] + 1e-12)))


def train_head(
    embeddings: np.ndarray,
    labels: np.ndarray,
    start: HeadWeights,
    *,
    global_head: HeadWeights | None = None,
    config: TrainConfig = TrainConfig(),
    progress: ProgressCallback | None = None,
    cancelled: Callable[[], bool] | None = None,
    class_names: list[str] | None = None,
    temperature: float = 1.0,
) -> TrainResult:
    """Fine-tune `start` on (embeddings, labels) with Adam; keeps the epoch with the best held-back loss.

    The loss is on softmax(logits / `temperature`), the probabilities the engine reports, so a
    fine-tuned head stays as calibrated as the shipped one.
    """
    X = np.asarray(embeddings, dtype=np.float64)
    y = np.asarray(labels, dtype=int)
    check_enough(y, config, class_names)  # first: no cases at all is the user's problem, not a bug
    if X.ndim != 2 or X.shape[0] != len(y) or X.shape[1] != start.embedding_dim:
        raise ValueError(
            f"embeddings {X.shape} do not fit a head for {start.embedding_dim}-wide embeddings"
        )
    if len(y) and (y.min() < 0 or y.max() >= start.num_classes):
        raise ValueError("a label is outside the head's classes")
    anchor = global_head or start
    train_idx, val_idx = split_train_val(y, config.val_fraction, config.seed)
    if (
        len(val_idx) == 0
    ):  # every class has one example: validate on the training data rather than on nothing
        val_idx = train_idx
    X_train, y_train, X_val, y_val = X[train_idx], y[train_idx], X[val_idx], y[val_idx]

    params = [start.W.astype(np.float64), start.b.astype(np.float64)]
    anchors = [anchor.W.astype(np.float64), anchor.b.astype(np.float64)]
    moments = [np.zeros_like(p) for p in params]
    velocities = [np.zeros_like(p) for p in params]
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    rng = np.random.default_rng(config.seed)
    one_hot = np.eye(start.num_classes)[y_train]

    def head_of(ps: list[np.ndarray], version: str) -> HeadWeights:
        return HeadWeights(W=ps[0], b=ps[1], version=version)

    loss_before = cross_entropy(start, X_val, y_val, temperature)
    accuracy_before = start.accuracy(X_val, y_val)
    best = ([p.copy() for p in params], loss_before, 0)
    step, epoch, stop_reason = 0, 0, "max_epochs"
    for epoch in range(1, config.max_epochs + 1):
        if cancelled is not None and cancelled():
            raise TrainingCancelled("local training was cancelled")
        order = rng.permutation(len(y_train))
        for start_at in range(0, len(order), config.batch_size):
            batch = order[start_at : start_at + config.batch_size]
            xb, tb = X_train[batch], one_hot[batch]
            error = (softmax((xb @ params[0] + params[1]) / temperature) - tb) / (
                len(batch) * temperature
            )
            grads = [
                xb.T @ error + config.l2_to_global * (params[0] - anchors[0]),
                error.sum(axis=0) + config.l2_to_global * (params[1] - anchors[1]),
            ]
            step += 1
            for i, grad in enumerate(grads):
                moments[i] = beta1 * moments[i] + (1 - beta1) * grad
                velocities[i] = beta2 * velocities[i] + (1 - beta2) * grad * grad
                m_hat = moments[i] / (1 - beta1**step)
                v_hat = velocities[i] / (1 - beta2**step)
                params[i] = params[i] - config.learning_rate * m_hat / (np.sqrt(v_hat) + eps)
        current = head_of(params, start.version)
        val_loss = cross_entropy(current, X_val, y_val, temperature)
        if progress is not None:
            progress(epoch, config.max_epochs, val_loss, current.accuracy(X_val, y_val))
        if val_loss < best[1] - 1e-6:
            best = ([p.copy() for p in params], val_loss, epoch)
        elif epoch - best[2] >= config.patience:
            stop_reason = "early_stopping"
            break

    trained = head_of(best[0], start.version)
    result = TrainResult(
        weights=trained,
        accuracy_before=accuracy_before,
        accuracy_after=trained.accuracy(X_val, y_val),
        loss_before=loss_before,
        loss_after=best[1],
        num_train=len(train_idx),
        num_val=len(val_idx),
        epochs_run=epoch,
        best_epoch=best[2],
        stop_reason=stop_reason,
        class_counts={
            int(c): int(n) for c, n in enumerate(np.bincount(y, minlength=start.num_classes))
        },
    )
    log.info(
        "local head training: %d train / %d val, accuracy %.3f -> %.3f after %d epochs (%s)",
        result.num_train,
        result.num_val,
        result.accuracy_before,
        result.accuracy_after,
        epoch,
        stop_reason,
    )
    return result
