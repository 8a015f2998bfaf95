"""The clinic's local training set: reviewed reports with the doctor's confirmed finding, as embeddings."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from desktop_app.core.labels import NOT_ASSESSABLE

log = logging.getLogger(__name__)

Embedder = Callable[[bytes, str], np.ndarray]  # (image bytes, file name) -> pooled embedding
ImageLoader = Callable[[dict], bytes]  # report document -> its image bytes


def confirmed_label_key(report: dict) -> str | None:
    """The finding a doctor confirmed, or None when the report teaches nothing.

    Approved: the predicted class (or the confirmed one, if the doctor recorded it). Rejected: only
    with a corrected finding. Pending, "not assessable" and not-a-brain-MRI reports are excluded.
    """
    status = report.get("status")
    confirmed = report.get("confirmed_label") or None
    if confirmed == NOT_ASSESSABLE or report.get("is_brain_mri") is False:
        return None
    if status == "approved":
        return confirmed or report.get("label_key") or None
    if status == "rejected":
        return confirmed
    return None


@dataclass(frozen=True)
class LocalExample:
    report_id: str
    image_hash: str
    image_name: str
    label_key: str


def collect_examples(reports: Iterable[dict], label_keys: list[str]) -> list[LocalExample]:
    """One example per distinct image (the latest review wins), for labels the model knows."""
    by_image: dict[str, tuple[int, LocalExample]] = {}
    for report in reports:
        key = confirmed_label_key(report)
        image_hash = report.get("image_hash")
        if key is None or not image_hash:
            continue
        if key not in label_keys:
            log.warning(
                "report %s has an unknown confirmed finding %r; skipped", report.get("id"), key
            )
            continue
        reviewed_at = int(report.get("reviewed_at") or report.get("updated_at") or 0)
        example = LocalExample(
            str(report.get("id")), image_hash, report.get("image_name") or "scan", key
        )
        if image_hash not in by_image or by_image[image_hash][0] <= reviewed_at:
            by_image[image_hash] = (reviewed_at, example)
    return sorted((e for _, e in by_image.values()), key=lambda e: e.report_id)


def class_counts(examples: Iterable[LocalExample], label_keys: list[str]) -> dict[str, int]:
    counts = dict.fromkeys(label_keys, 0)
    for example in examples:
        counts[example.label_key] += 1
    return counts


class EmbeddingCache:
    """Embeddings by image hash; cleared when the feature extractor changes (another model file)."""

    def __init__(self) -> None:
        self._model_id: str | None = None
        self._vectors: dict[str, np.ndarray] = {}

    def get(self, model_id: str, image_hash: str) -> np.ndarray | None:
        if model_id != self._model_id:
            self._model_id, self._vectors = model_id, {}
        return self._vectors.get(image_hash)

    def put(self, model_id: str, image_hash: str, vector: np.ndarray) -> None:
        if model_id != self._model_id:
            self._model_id, self._vectors = model_id, {}
        self._vectors[image_hash] = vector


def embed_examples(
    examples: list[LocalExample],
    load_image: Callable[[LocalExample], bytes],
    embed: Embedder,
    label_keys: list[str],
    *,
    cache: EmbeddingCache | None = None,
    model_id: str = "",
    progress: Callable[[int, int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> tuple[np.ndarray, np.ndarray, list[LocalExample]]:
    """(embeddings, label indices, the examples used); an unreadable image is skipped and logged."""
    vectors: list[np.ndarray] = []
    used: list[LocalExample] = []
    for done, example in enumerate(examples, start=1):
        if cancelled is not None and cancelled():
            from desktop_app.core.federated.trainer import TrainingCancelled

            raise TrainingCancelled("local training was cancelled")
        vector = cache.get(model_id, example.image_hash) if cache is not None else None
        if vector is None:
            try:
                vector = np.asarray(
                    embed(load_image(example), example.image_name), dtype=np.float32
                ).reshape(-1)
            except Exception as exc:  # one damaged image must not stop the clinic's training
                log.warning("image of report %s skipped for training: %s", example.report_id, exc)
                continue
            if cache is not None:
                cache.put(model_id, example.image_hash, vector)
        vectors.append(vector)
        used.append(example)
        if progress is not None:
            progress(done, len(examples))
    labels = np.array([label_keys.index(e.label_key) for e in used], dtype=int)
    matrix = np.stack(vectors) if vectors else np.zeros((0, 0), dtype=np.float32)
    return matrix, labels, used
