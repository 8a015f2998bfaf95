"""The brain-MRI check: its features, the fitted logistic model, and fitting it from the shipped model."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from desktop_app.core.imaging import load_scan
from desktop_app.core.imaging.preprocess import prepare
from desktop_app.core.inference import InferenceEngine
from desktop_app.core.inference.mri_check import FEATURES, MriCheck, check_features
from desktop_app.paths import models_dir, resources_dir
from training.mri_check_fit import MRI_QUANTILE, fit_check, logistic_regression

SAMPLES = sorted((resources_dir() / "samples").glob("*.jpg"))


def features_of(data: bytes, distance: float = 5.0) -> dict[str, float]:
    scan = load_scan(data, "picture.png")
    model_input, _ = prepare(scan.gray, 128, scan.histogram)
    return check_features(model_input, scan.histogram, scan.colour_saturation, distance)


def png(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


def test_features_tell_a_head_slice_from_noise():
    mri = features_of(SAMPLES[0].read_bytes())
    noise = features_of(png(np.random.default_rng(0).integers(0, 256, (256, 256), dtype=np.uint8)))
    assert set(mri) == set(FEATURES)
    assert mri["dark_fraction"] > 0.3 > noise["dark_fraction"]  # the scanner's black background
    assert mri["corner_ratio"] < 0.3 < noise["corner_ratio"]  # dark corners around an elliptical head
    assert mri["symmetry"] > 0.5 > noise["symmetry"]
    assert mri["roughness"] < 1.0 < noise["roughness"]
    assert mri["colour_saturation"] == noise["colour_saturation"] == 0.0


def test_logistic_regression_separates_two_clouds():
    rng = np.random.default_rng(1)
    X = np.vstack([rng.normal(2, 1, (300, 2)), rng.normal(-2, 1, (300, 2))])
    y = np.concatenate([np.ones(300), np.zeros(300)])
    w, b = logistic_regression(X, y)
    assert np.mean(((X @ w + b) > 0) == (y == 1)) > 0.97
    assert w[0] > 0 and w[1] > 0


def test_fitted_threshold_accepts_the_mri_rows_it_was_fitted_on():
    rng = np.random.default_rng(2)
    n = len(FEATURES)
    mri = np.abs(rng.normal(1.0, 0.2, (2000, n)))
    mri[:, FEATURES.index("colour_saturation")] = 0.0
    negatives = np.abs(rng.normal(3.0, 1.0, (500, n)))
    check = MriCheck.from_meta(fit_check(mri, negatives))
    accepted = [check.accepts(dict(zip(FEATURES, row, strict=True))) for row in mri]
    assert np.mean(accepted) >= 1 - MRI_QUANTILE
    assert np.mean([check.accepts(dict(zip(FEATURES, row, strict=True))) for row in negatives]) < 0.2


def test_without_fitted_weights_only_the_hard_limits_apply():
    check = MriCheck.from_meta({"max_distance": 10.0, "max_colour_saturation": 0.25, "min_dark_fraction": 0.03})
    plain = dict.fromkeys(FEATURES, 0.0)
    assert check.accepts({**plain, "distance": 9.0})
    assert not check.accepts({**plain, "distance": 11.0})
    assert not check.accepts({**plain, "distance": 1.0, "colour_saturation": 0.4})


def test_the_check_is_fitted_by_code_and_lands_in_model_json(tmp_path: Path):
    """evaluate's tune_mri_check fits on (here: the shipped samples as) training MRIs vs generated pictures."""
    from training.evaluate import tune_mri_check

    models = tmp_path / "models"
    shutil.copytree(models_dir(), models)
    meta = json.loads((models / "model.json").read_text())
    for key in ("weights", "centre", "scale", "bias", "min_score", "features"):
        meta["mri_check"].pop(key, None)
    (models / "model.json").write_text(json.dumps(meta))
    engine = InferenceEngine.load(models)
    check = tune_mri_check(engine, SAMPLES, models, negatives_per_kind=3)
    assert check["features"] == list(FEATURES) and len(check["weights"]) > len(FEATURES)
    assert "generated non-MRI" in check["tuned_on"]
    refitted = InferenceEngine.load(models)
    assert refitted.mri_check.weights is not None
    assert all(refitted.predict_file(sample).is_brain_mri for sample in SAMPLES)
    noise = np.random.default_rng(5).integers(0, 256, (200, 200), dtype=np.uint8)
    assert not refitted.predict_bytes(png(noise)).is_brain_mri


@pytest.mark.parametrize("sample", SAMPLES[:3], ids=lambda p: p.name)
def test_shipped_check_scores_the_samples_above_its_threshold(sample: Path):
    engine = InferenceEngine.load()
    p = engine.predict_file(sample)
    assert p.mri_check["score"] >= engine.mri_check.min_score
