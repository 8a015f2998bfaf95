"""Slices labelled only "a tumour of unrecorded type": their loss says only that "notumor" is wrong.

The target of a slice is the set of classes it may belong to (a 0/1 row over the four labels):
one class for a fully labelled slice, every tumour class for a partially labelled one. The loss is
the negative log of the probability the network puts on the allowed set, so the network is never
told which tumour type an unlabelled tumour is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from desktop_app.core.labels import NO_TUMOUR
from training.dataset import (
    LABEL_KEYS,
    TUMOUR_UNKNOWN,
    CachedDataset,
    cached_files,
    list_flat_files,
)

NOTUMOR = LABEL_KEYS.index(NO_TUMOUR)


def allowed_classes(labels: np.ndarray) -> np.ndarray:
    """(N, 4) float32 rows: 1 for each class the slice may belong to."""
    table = np.vstack([np.eye(len(LABEL_KEYS)), np.ones((1, len(LABEL_KEYS)))]).astype(np.float32)
    table[-1, NOTUMOR] = 0.0
    return table[np.where(labels >= 0, labels, len(LABEL_KEYS))]


def partial_label_loss(label_smoothing: float):
    """-log P(allowed set), smoothed towards every class like Keras' label smoothing."""
    from keras import ops

    def loss(allowed, probabilities):
        p = ops.clip(probabilities, 1e-7, 1.0)
        on_allowed = -ops.log(ops.clip(ops.sum(allowed * p, axis=-1), 1e-7, 1.0))
        uniform = -ops.mean(ops.log(p), axis=-1)
        return (1.0 - label_smoothing) * on_allowed + label_smoothing * uniform

    return loss


def allowed_accuracy(allowed, probabilities):
    """Share of slices whose top class is an allowed one (any tumour type for an unlabelled tumour)."""
    from keras import ops

    top = ops.one_hot(ops.argmax(probabilities, axis=-1), len(LABEL_KEYS))
    return ops.sum(allowed * top, axis=-1)


@dataclass
class TrainingPool:
    """Images, labels (TUMOUR_UNKNOWN for partial ones), near-duplicate groups and the split."""

    images: np.ndarray
    labels: np.ndarray
    groups: np.ndarray
    train: np.ndarray
    val: np.ndarray
    summary: dict = field(default_factory=dict)

    @classmethod
    def of(cls, data: CachedDataset, groups, train, val) -> TrainingPool:
        return cls(data.images, data.labels, np.asarray(groups), np.asarray(train), np.asarray(val))

    def joined(self, other: TrainingPool) -> TrainingPool:
        """Both pools in one; the other's indices and group ids shifted past this one's."""
        n, next_group = len(self.labels), int(self.groups.max()) + 1
        return TrainingPool(
            np.concatenate([self.images, other.images]),
            np.concatenate([self.labels, other.labels]),
            np.concatenate([self.groups, other.groups + next_group]),
            np.concatenate([self.train, other.train + n]),
            np.concatenate([self.val, other.val + n]),
        )


def load_extra(
    folder: Path, run_dir: Path, size: int, val_fraction: float, seed: int
) -> TrainingPool:
    """The partially labelled slices, grouped over all eight flips and quarter turns, and split.

    The split is by group, so no copy of a validation slice (mirrored, turned or re-contrasted)
    is trained on. It is saved as `extra_split.npz` for the evaluation.
    """
    from training.near_duplicates import group_dihedral_copies, group_split

    data = cached_files(folder, list_flat_files(folder, TUMOUR_UNKNOWN), run_dir / f"extra{size}.npz", size)
    groups = group_dihedral_copies(data.images)
    train, val = group_split(np.zeros(len(groups), dtype=np.int64), groups, val_fraction, seed)
    np.savez(run_dir / "extra_split.npz", train=train, val=val, groups=groups, paths=data.paths)
    summary = {
        "images": int(len(groups)),
        "dihedral_copy_groups": int(len(np.unique(groups))),
        "train": int(len(train)),
        "val": int(len(val)),
        "val_groups": int(len(np.unique(groups[val]))),
    }
    return TrainingPool(data.images, data.labels, groups, train, val, summary)
