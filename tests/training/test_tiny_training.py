"""A tiny end-to-end training run (shipped samples, one epoch) exports model files the app can load."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pytest

from desktop_app.paths import resources_dir

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("tensorflow") is None,
    reason="TensorFlow is not installed (install the 'train' extra to run the training test)",
)


def test_one_epoch_on_the_samples_exports_a_loadable_model(tmp_path: Path):
    from desktop_app.core.inference import InferenceEngine
    from training.train import main

    data = tmp_path / "data"
    for sample in (resources_dir() / "samples").glob("*.jpg"):
        folder = data / sample.name.split("_")[0]
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copy(sample, folder / sample.name)
    out = tmp_path / "models"
    code = main(["--data", str(data), "--out", str(out), "--run-dir", str(tmp_path / "run"),
                 "--epochs", "1", "--batch", "8", "--version", "tiny-test"])
    assert code == 0
    assert {"model.json", "tumornet.tflite", "head_weights.npz", "mri_check.npz"} <= {p.name for p in out.iterdir()}
    engine = InferenceEngine.load(out)
    prediction = engine.predict_file(resources_dir() / "samples" / "glioma_1.jpg")
    assert prediction.model_version == "tiny-test"
    assert abs(sum(prediction.probabilities.values()) - 1) < 1e-5
    assert prediction.heatmap.shape == prediction.image.shape
