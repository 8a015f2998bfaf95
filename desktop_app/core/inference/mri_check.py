""""Is this a brain MRI at all?": embedding distance to the training data plus simple image statistics.

A picture passes when all hold (limits in model.json's `mri_check`):
- its pooled embedding lies near the training MRIs: the smallest Mahalanobis distance to a class
  mean (shared, shrunk covariance of the training embeddings) is at most `max_distance`;
- it is essentially gray (`colour_saturation` at most `max_colour_saturation`): MRIs are
  gray even when saved as colour JPEGs; photos, retina images and screenshots are not;
- it has the scanner's dark background around the head (`dark_fraction` at least `min_dark_fraction`);
- it is not mostly bright paper (`bright_fraction` at most `max_bright_fraction`): documents, X-rays.
"""

from __future__ import annotations

import numpy as np

from desktop_app.core.imaging.preprocess import background_threshold

DEFAULT_LIMITS = {
    "max_distance": 40.0,
    "max_colour_saturation": 0.25,
    "min_dark_fraction": 0.03,
    "max_bright_fraction": 0.5,
}


def image_statistics(gray: np.ndarray, colour_saturation: float) -> dict[str, float]:
    """Cheap statistics of the decoded picture (on a subsample: fast for large images)."""
    step = max(1, int(np.sqrt(gray.size / 65536)))
    sample = gray[::step, ::step]
    return {
        "colour_saturation": round(float(colour_saturation), 4),
        "dark_fraction": round(float(np.mean(sample <= background_threshold(sample))), 4),
        "bright_fraction": round(float(np.mean(sample >= 200)), 4),
    }


def embedding_distance(embedding: np.ndarray, means: np.ndarray, precision: np.ndarray) -> float:
    """Smallest Mahalanobis distance from the embedding to a class mean of the training MRIs."""
    diffs = means - embedding[None, :]
    return float(np.sqrt(np.einsum("kd,de,ke->k", diffs, precision, diffs).min()))


def looks_like_brain_mri(stats: dict[str, float], limits: dict[str, float]) -> bool:
    limits = {**DEFAULT_LIMITS, **limits}
    return (
        stats["distance"] <= limits["max_distance"]
        and stats["colour_saturation"] <= limits["max_colour_saturation"]
        and stats["dark_fraction"] >= limits["min_dark_fraction"]
        and stats["bright_fraction"] <= limits["max_bright_fraction"]
    )
