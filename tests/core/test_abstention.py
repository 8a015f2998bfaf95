"""The model abstains ("cannot judge this scan") instead of guessing: rules, engine, JSON."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np

from desktop_app.core.inference import InferenceEngine
from desktop_app.core.inference.abstention import ABSTAIN_MESSAGE, Abstention
from desktop_app.core.inference.mri_check import CheckVerdict
from desktop_app.paths import models_dir, resources_dir

KEYS = ["glioma", "meningioma", "notumor", "pituitary"]
SAMPLE = resources_dir() / "samples" / "glioma_1.jpg"


def test_no_tumour_needs_more_confidence_than_a_tumour():
    rule = Abstention(min_confidence=0.5, min_no_tumour_confidence=0.9, min_mri_probability=0.9, max_distance=20)
    sure = CheckVerdict(0.99, True)
    stats = {"distance": 10.0}
    assert rule.reason(np.array([0.8, 0.1, 0.05, 0.05]), KEYS, stats, sure) is None
    assert rule.reason(np.array([0.1, 0.05, 0.8, 0.05]), KEYS, stats, sure) == "unsure"
    assert rule.reason(np.array([0.4, 0.3, 0.2, 0.1]), KEYS, stats, sure) == "unsure"
    assert rule.reason(np.array([0.8, 0.1, 0.05, 0.05]), KEYS, {"distance": 25.0}, sure) == "unfamiliar"
    assert rule.reason(np.array([0.8, 0.1, 0.05, 0.05]), KEYS, stats, CheckVerdict(0.6, True)) == "unfamiliar"


def strict_models(tmp_path: Path) -> Path:
    """The shipped model with an abstention rule no scan can pass."""
    models = tmp_path / "models"
    shutil.copytree(models_dir(), models)
    meta = json.loads((models / "model.json").read_text())
    meta["abstention"] = {**meta.get("abstention", {}), "min_confidence": 1.01}
    (models / "model.json").write_text(json.dumps(meta))
    return models


def test_an_abstaining_engine_says_so_in_the_result_and_its_json(tmp_path: Path):
    engine = InferenceEngine.load(strict_models(tmp_path))
    p = engine.predict_file(SAMPLE)
    assert p.is_brain_mri and p.abstained and p.abstain_reason == "unsure"
    assert p.message == ABSTAIN_MESSAGE
    shown = p.to_json("scan.jpg")
    assert shown["abstained"] is True and shown["message"] == ABSTAIN_MESSAGE
    assert shown["label"] == p.label  # the best guess stays visible to the doctor


def test_the_shipped_model_labels_its_samples_without_abstaining():
    engine = InferenceEngine.load()
    for sample in sorted((resources_dir() / "samples").glob("*.jpg")):
        p = engine.predict_file(sample)
        assert not p.abstained, (sample.name, p.label, p.confidence, p.mri_check)
