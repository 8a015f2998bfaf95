"""Fits the brain-MRI check (desktop_app.core.inference.mri_check) from the model's own outputs.

MRIs: training-split images, each clean and under every robustness perturbation, run through the
app's engine. Not MRIs: `training.negatives` (generated; the held-out test pictures of
`training.non_mri` are never used here). The fit is a class-balanced, L2-regularised logistic
regression on the standardised features and their one-sided excesses (see `feature_terms`); the
acceptance threshold refuses at most MRI_QUANTILE of the training MRIs under any one perturbation,
minus a margin in log-odds.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from desktop_app.core.inference.mri_check import FEATURES, LOG_FEATURES, feature_terms
from training.negatives import generated_negatives
from training.perturb import PERTURBATIONS, perturbed

log = logging.getLogger(__name__)

# Share of training MRI variants the threshold may refuse, and the log-odds margin below it.
MRI_QUANTILE = 0.002
SCORE_MARGIN = 0.5
L2 = 1e-2
# Training MRIs are all exactly gray (saturation 0): without a floor a faint tint (a screenshot of
# a viewer, a warm JPEG) would count as hundreds of standard deviations. The hard limit
# `max_colour_saturation` refuses colourful pictures instead.
MIN_SCALE = {"colour_saturation": 0.05}


def feature_rows(engine, items: Iterable[tuple[str, bytes]]) -> tuple[np.ndarray, list[str]]:
    """((n, F) check features, their item names) of every readable picture (the rest is refused anyway)."""
    from desktop_app.core.imaging import ImageError

    rows, names = [], []
    for name, data in items:
        try:
            stats = engine.predict_bytes(data, name="picture").mri_check
        except ImageError:
            continue
        rows.append([stats[f] for f in FEATURES])
        names.append(name)
    return np.array(rows, dtype=np.float64).reshape(-1, len(FEATURES)), names


def mri_variants(files: list[Path]) -> Iterable[tuple[str, bytes]]:
    """Every file clean and under every robustness perturbation, named by the perturbation."""
    for path in files:
        data = path.read_bytes()
        for name in PERTURBATIONS:
            yield name, perturbed(data, name)


def logistic_regression(X: np.ndarray, y: np.ndarray, l2: float = L2, steps: int = 50) -> tuple[np.ndarray, float]:
    """Class-balanced L2 logistic regression by Newton's method: (weights, bias)."""
    n, d = X.shape
    A = np.hstack([X, np.ones((n, 1))])
    sample_weight = np.where(y == 1, 0.5 / max(1, y.sum()), 0.5 / max(1, (1 - y).sum()))
    penalty = np.full(d + 1, l2)
    penalty[-1] = 0.0
    theta = np.zeros(d + 1)
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-np.clip(A @ theta, -30, 30)))
        gradient = A.T @ (sample_weight * (p - y)) + penalty * theta
        hessian = (A * (sample_weight * p * (1 - p))[:, None]).T @ A + np.diag(penalty) + 1e-9 * np.eye(d + 1)
        step = np.linalg.solve(hessian, gradient)
        theta -= step
        if np.abs(step).max() < 1e-8:
            break
    return theta[:-1], float(theta[-1])


def standardisation(mri: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Robust centre (median) and scale (IQR / 1.35, floored) of the MRI features, after the logs."""
    x = mri.copy()
    for name in LOG_FEATURES:
        i = FEATURES.index(name)
        x[:, i] = np.log(np.maximum(x[:, i], 1e-3))
    q25, q50, q75 = np.percentile(x, [25, 50, 75], axis=0)
    floor = np.array([MIN_SCALE.get(name, 1e-3) for name in FEATURES])
    return q50, np.maximum((q75 - q25) / 1.35, floor)


def fit_check(mri: np.ndarray, negatives: np.ndarray, mri_groups: list[str] | None = None) -> dict:
    """model.json's `mri_check` fields from MRI and non-MRI feature rows.

    The threshold keeps every group of MRI rows (one per perturbation) at most MRI_QUANTILE
    refused, so no single perturbation (a strong gamma, say) carries all the false rejections.
    """
    centre, scale = standardisation(mri)
    X = feature_terms(np.vstack([mri, negatives]), centre, scale)
    y = np.concatenate([np.ones(len(mri)), np.zeros(len(negatives))])
    weights, bias = logistic_regression(X, y)
    mri_scores = bias + feature_terms(mri, centre, scale) @ weights
    neg_scores = bias + feature_terms(negatives, centre, scale) @ weights
    groups = np.array(mri_groups if mri_groups is not None else ["all"] * len(mri))
    min_score = min(float(np.quantile(mri_scores[groups == g], MRI_QUANTILE)) for g in np.unique(groups)) - SCORE_MARGIN
    distance = mri[:, FEATURES.index("distance")]
    fitted = {
        "features": list(FEATURES),
        "centre": [round(float(v), 6) for v in centre],
        "scale": [round(float(v), 6) for v in scale],
        "weights": [round(float(v), 6) for v in weights],
        "bias": round(bias, 6),
        "min_score": round(min_score, 4),
        # Hard limits far outside the MRIs: the logistic model is not trusted that far out.
        "max_distance": round(float(np.quantile(distance, 0.999)) * 1.5, 3),
        "max_colour_saturation": 0.25,
    }
    log.info("MRI check fit: %d MRI variants (%.2f%% under threshold), %d generated non-MRIs "
             "(%.2f%% accepted)", len(mri), 100 * np.mean(mri_scores < min_score), len(negatives),
             100 * np.mean(neg_scores >= min_score))
    return fitted


def fit_mri_check(engine, train_files: list[Path], negatives_per_kind: int = 40, seed: int = 1) -> tuple[dict, dict]:
    """(the fitted `mri_check` fields, a summary for metrics.json)."""
    mri, groups = feature_rows(engine, mri_variants(train_files))
    negatives, _ = feature_rows(engine, generated_negatives(negatives_per_kind, seed).items())
    fitted = fit_check(mri, negatives, groups)
    summary = {
        "mri_variants": int(len(mri)),
        "generated_non_mri": int(len(negatives)),
        "tuned_on": f"{len(train_files)} training images x {len(PERTURBATIONS)} variants (clean and every "
        f"robustness perturbation) vs {len(negatives)} generated non-MRI pictures",
    }
    return fitted, summary
