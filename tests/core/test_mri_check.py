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
from desktop_app.core.inference.mri_check import (
    FEATURES,
    MRI_KIND,
    MriCheck,
    check_features,
    refusal_message,
)
from desktop_app.paths import models_dir, resources_dir
from training.guard_fit import MRI_REFUSAL, Rows, check_fields, fit_check, softmax_regression

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


def test_softmax_regression_separates_three_clouds():
    rng = np.random.default_rng(1)
    X = np.vstack([rng.normal(c, 1, (200, 2)) for c in ((3, 0), (-3, 0), (0, 3))])
    y = np.repeat([0, 1, 2], 200)
    W, b = softmax_regression(X, y, np.ones(len(y)), 3)
    assert np.mean(np.argmax(X @ W + b, axis=1) == y) > 0.95


def rows(vectors: np.ndarray, kind: str) -> Rows:
    n = len(vectors)
    return Rows(vectors, np.array([kind] * n), np.array([f"{kind}{i}" for i in range(n)]),
                np.array(["clean"] * n), np.full(n, 5.0), np.zeros((n, len(FEATURES))))


def test_fitted_threshold_refuses_few_calibration_mris_and_names_the_kind():
    rng = np.random.default_rng(2)
    mri = rows(rng.normal(0, 1, (600, 6)), MRI_KIND)
    calibration = rows(rng.normal(0, 1, (400, 6)), MRI_KIND)
    ct = rows(rng.normal(4, 1, (300, 6)), "brain_ct")
    photo = rows(rng.normal(-4, 1, (300, 6)), "photo")
    fitted = fit_check(Rows.join([mri, ct, photo]), calibration)
    assert np.mean(fitted.accepts(calibration)) >= 1 - 2 * MRI_REFUSAL
    fields, arrays = check_fields(fitted, calibration, "synthetic clouds")
    check = MriCheck.from_meta(fields["check"], arrays)
    stats = dict.fromkeys(FEATURES, 0.0) | {"distance": 1.0}
    verdict = check.verdict(stats, np.full(6, 4.0))
    assert not verdict.accepted and verdict.looks_like == "brain_ct"
    assert refusal_message(verdict.looks_like) == "This looks like a CT scan of the head, not a brain MRI"
    assert check.verdict(stats, np.zeros(6)).accepted


def test_without_fitted_weights_only_the_hard_limits_apply():
    check = MriCheck.from_meta({"max_distance": 10.0, "max_colour_saturation": 0.25})
    plain = dict.fromkeys(FEATURES, 0.0)
    assert not check.fitted
    assert check.verdict({**plain, "distance": 9.0}, np.zeros(3)).accepted
    assert not check.verdict({**plain, "distance": 11.0}, np.zeros(3)).accepted
    assert not check.verdict({**plain, "distance": 1.0, "colour_saturation": 0.4}, np.zeros(3)).accepted


def test_the_check_is_fitted_by_code_and_stored_with_the_model(tmp_path: Path):
    """The evaluation's fit: the shipped samples (as training MRIs) against generated pictures."""
    from training.evaluate import store_check
    from training.guard_fit import engine_rows, generated_items, mri_items

    models = tmp_path / "models"
    shutil.copytree(models_dir(), models)
    engine = InferenceEngine.load(models)
    mri = engine_rows(engine, mri_items(SAMPLES, seed=1))
    negatives = engine_rows(engine, generated_items(8, seed=1))
    fitted = fit_check(Rows.join([mri, negatives]), mri)
    fields, arrays = check_fields(fitted, mri, "the samples vs generated pictures")
    store_check(models, fields, arrays)
    meta = json.loads((models / "model.json").read_text())
    assert meta["mri_check"]["kinds"] == [MRI_KIND, "other"] and "abstention" in meta
    refitted = InferenceEngine.load(models)  # checksums of the rewritten files verify
    assert refitted.mri_check.fitted
    assert all(refitted.predict_file(sample).is_brain_mri for sample in SAMPLES)
    noise = np.random.default_rng(5).integers(0, 256, (200, 200), dtype=np.uint8)
    assert not refitted.predict_bytes(png(noise)).is_brain_mri


@pytest.mark.parametrize("sample", SAMPLES[:3], ids=lambda p: p.name)
def test_shipped_check_gives_the_samples_a_high_mri_probability(sample: Path):
    engine = InferenceEngine.load()
    p = engine.predict_file(sample)
    assert p.mri_check["mri_probability"] >= max(0.9, engine.mri_check.min_mri_probability)
