"""Each training epoch draws at most N copies of a near-duplicate group, and a fresh draw each time."""

from __future__ import annotations

import numpy as np

from training.near_duplicates import capped_group_sample


def test_each_group_contributes_at_most_cap_members_and_every_group_appears():
    groups = np.repeat(np.arange(6), [1, 2, 3, 10, 40, 1])
    sample = capped_group_sample(groups, 2, np.random.default_rng(0))
    assert len(np.unique(sample)) == len(sample)  # no image twice in one epoch
    drawn = np.bincount(groups[sample], minlength=6)
    assert drawn.tolist() == [1, 2, 2, 2, 2, 1]


def test_successive_epochs_draw_different_copies_of_large_groups():
    groups = np.zeros(50, dtype=int)
    rng = np.random.default_rng(0)
    seen = set()
    for _ in range(10):
        seen |= set(capped_group_sample(groups, 2, rng).tolist())
    assert len(seen) > 10  # copies rotate between epochs instead of always the same two


def test_a_cap_above_every_group_size_keeps_all_images():
    groups = np.array([3, 3, 1, 7, 7, 7])
    sample = capped_group_sample(groups, 100, np.random.default_rng(1))
    assert sorted(sample.tolist()) == list(range(6))
