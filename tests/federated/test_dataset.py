"""Which reviewed reports become training cases, and with which label."""

from __future__ import annotations

import numpy as np
import pytest

from desktop_app.core.federated.dataset import (
    EmbeddingCache,
    class_counts,
    collect_examples,
    confirmed_label_key,
    embed_examples,
)

KEYS = ["glioma", "meningioma", "notumor", "pituitary"]


def _report(
    rid: str,
    status: str,
    label_key: str = "glioma",
    confirmed=None,
    image=None,
    reviewed_at=1,
    **extra,
):
    return {
        "id": rid,
        "status": status,
        "label_key": label_key,
        "confirmed_label": confirmed,
        "image_hash": image or f"hash-{rid}",
        "image_name": f"{rid}.png",
        "reviewed_at": reviewed_at,
        **extra,
    }


@pytest.mark.parametrize(
    ("report", "expected"),
    [
        (_report("a", "approved", "meningioma"), "meningioma"),
        (_report("b", "approved", "meningioma", confirmed="meningioma"), "meningioma"),
        (_report("c", "rejected", "glioma", confirmed="pituitary"), "pituitary"),
        (_report("d", "rejected", "glioma", confirmed="not_assessable"), None),
        (_report("e", "rejected", "glioma"), None),
        (_report("f", "pending", "glioma"), None),
        (_report("g", "approved", "glioma", is_brain_mri=False), None),
    ],
)
def test_confirmed_label_follows_the_doctors_decision(report, expected):
    assert confirmed_label_key(report) == expected


def test_collect_keeps_one_case_per_image_with_the_latest_review():
    reports = [
        _report("r1", "approved", "glioma", image="same", reviewed_at=10),
        _report("r2", "rejected", "glioma", confirmed="notumor", image="same", reviewed_at=20),
        _report("r3", "approved", "pituitary"),
        _report("r4", "approved", "unknown_class"),
        _report("r5", "pending", "glioma"),
    ]
    examples = collect_examples(reports, KEYS)
    assert [(e.report_id, e.label_key) for e in examples] == [
        ("r2", "notumor"),
        ("r3", "pituitary"),
    ]
    assert class_counts(examples, KEYS) == {
        "glioma": 0,
        "meningioma": 0,
        "notumor": 1,
        "pituitary": 1,
    }


def test_embedding_skips_unreadable_images_and_uses_the_cache():
    examples = collect_examples([_report(f"r{i}", "approved", KEYS[i % 4]) for i in range(5)], KEYS)
    calls = []

    def embed(data: bytes, name: str) -> np.ndarray:
        calls.append(name)
        if data == b"broken":
            raise ValueError("not an image")
        return np.full(3, len(calls), dtype=np.float32)

    def load(example):
        return b"broken" if example.report_id == "r2" else b"image"

    cache = EmbeddingCache()
    X, y, used = embed_examples(examples, load, embed, KEYS, cache=cache, model_id="m1")
    assert X.shape == (4, 3) and [e.report_id for e in used] == ["r0", "r1", "r3", "r4"]
    assert y.tolist() == [0, 1, 3, 0]
    before = len(calls)
    embed_examples(examples, load, embed, KEYS, cache=cache, model_id="m1")
    assert len(calls) == before + 1  # only the broken one is tried again
    embed_examples(examples, load, embed, KEYS, cache=cache, model_id="m2")
    assert len(calls) == before + 1 + 5  # another model file: nothing reused
