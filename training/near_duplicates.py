"""Near-duplicate grouping (dHash + union-find) and a group-aware train/validation split."""

from __future__ import annotations

import numpy as np
from PIL import Image

# Two slices are the same scan when either 64-bit hash (of the image or of its mirror image) is
# this close. Tuned on the data: looser dHash thresholds chain unrelated slices into huge groups.
DHASH_THRESHOLD = 2
PHASH_THRESHOLD = 4


def dhash(gray: np.ndarray) -> int:
    """64-bit difference hash: brightness gradients of a 9×8 thumbnail (survives resizing, re-encoding)."""
    small = np.asarray(Image.fromarray(gray).resize((9, 8), Image.Resampling.BOX), dtype=np.int16)
    bits = (small[:, 1:] > small[:, :-1]).reshape(-1)
    return int(np.packbits(bits).view(">u8")[0])


def phash(gray: np.ndarray) -> int:
    """64-bit perceptual hash: signs of the low DCT frequencies of a 32×32 thumbnail vs their median."""
    from scipy.fft import dctn

    small = np.asarray(
        Image.fromarray(gray).resize((32, 32), Image.Resampling.BOX), dtype=np.float64
    )
    coefficients = dctn(small, norm="ortho")[:8, :8].reshape(-1)[1:]  # drop the DC term
    bits = np.concatenate([[False], coefficients > np.median(coefficients)])
    return int(np.packbits(bits).view(">u8")[0])


def image_hashes(gray: np.ndarray) -> tuple[int, int, int, int]:
    """(dHash, dHash of the mirror, pHash, pHash of the mirror) of a standardised image."""
    mirror = np.ascontiguousarray(gray[:, ::-1])
    return dhash(gray), dhash(mirror), phash(gray), phash(mirror)


def _popcount(x: np.ndarray) -> np.ndarray:
    return np.unpackbits(x.view(np.uint8).reshape(*x.shape, 8), axis=-1).sum(axis=-1)


class _UnionFind:
    def __init__(self, n: int):
        self.parent = np.arange(n)

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def _distance(hashes: np.ndarray, i: int, column: int) -> np.ndarray:
    """Hamming distance of image i (plain or mirrored) to every later image, per hash kind."""
    rest = hashes[i + 1 :, column]
    return np.minimum(_popcount(rest ^ hashes[i, column]), _popcount(rest ^ hashes[i, column + 1]))


def group_near_duplicates(hashes: np.ndarray) -> np.ndarray:
    """Group id per image: images linked by a chain of near-duplicates (incl. mirrored) share one."""
    n = len(hashes)
    uf = _UnionFind(n)
    for i in range(n - 1):
        close = (_distance(hashes, i, 0) <= DHASH_THRESHOLD) | (
            _distance(hashes, i, 2) <= PHASH_THRESHOLD
        )
        for j in np.flatnonzero(close):
            uf.union(i, i + 1 + int(j))
    return np.array([uf.find(i) for i in range(n)])


def group_split(
    labels: np.ndarray, groups: np.ndarray, val_fraction: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """(train indices, val indices): whole groups go to one side, stratified by each group's class."""
    rng = np.random.default_rng(seed)
    unique_groups = np.unique(groups)
    rng.shuffle(unique_groups)
    group_label = {g: np.bincount(labels[groups == g]).argmax() for g in unique_groups}
    target = {c: val_fraction * np.sum(labels == c) for c in np.unique(labels)}
    taken = dict.fromkeys(target, 0)
    val_groups = set()
    for g in unique_groups:
        c = group_label[g]
        size = int(np.sum(groups == g))
        if taken[c] + size <= target[c]:
            val_groups.add(g)
            taken[c] += size
    is_val = np.array([g in val_groups for g in groups])
    return np.flatnonzero(~is_val), np.flatnonzero(is_val)


def capped_group_sample(groups: np.ndarray, cap: int, rng: np.random.Generator) -> np.ndarray:
    """Positions into `groups` for one epoch: at most `cap` random members of each group, shuffled.

    Near-duplicate copies add little beyond the first one or two, so capping them shortens each
    epoch and stops large groups (up to 84 copies of nearly one slice) from dominating the loss.
    A fresh draw each epoch still shows every copy over the run.
    """
    n = len(groups)
    order = rng.permutation(n)  # random members first within each group
    by_group = np.argsort(groups[order], kind="stable")
    sorted_groups = groups[order][by_group]
    is_first = np.r_[True, sorted_groups[1:] != sorted_groups[:-1]]
    rank = np.arange(n) - np.maximum.accumulate(np.where(is_first, np.arange(n), 0))
    return rng.permutation(order[by_group[rank < cap]])


def dihedral_variants(gray: np.ndarray) -> list[np.ndarray]:
    """The image under all eight flips and quarter turns."""
    turns = [np.rot90(gray, k) for k in range(4)]
    return [np.ascontiguousarray(v) for t in turns for v in (t, t[:, ::-1])]


def group_dihedral_copies(images: np.ndarray) -> np.ndarray:
    """Group id per image, linking copies under any flip or quarter turn (augmented collections).

    Each image's plain hashes are compared with the hashes of all eight variants of every other
    image, so a slice turned by 90 degrees and mirrored still lands in its original's group.
    """
    n = len(images)
    variants = np.zeros((n, 8, 2), dtype=np.uint64)
    for i, image in enumerate(images):
        for t, variant in enumerate(dihedral_variants(image)):
            variants[i, t] = dhash(variant), phash(variant)
    uf = _UnionFind(n)
    plain = variants[:, 0, :]
    for i in range(n - 1):
        rest = plain[i + 1 :]
        d = np.min(_popcount(rest[:, None, 0] ^ variants[i, None, :, 0]), axis=1)
        p = np.min(_popcount(rest[:, None, 1] ^ variants[i, None, :, 1]), axis=1)
        for j in np.flatnonzero((d <= DHASH_THRESHOLD) | (p <= PHASH_THRESHOLD)):
            uf.union(i, i + 1 + int(j))
    return np.array([uf.find(i) for i in range(n)])
