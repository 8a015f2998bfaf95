"""The shipped model through the real LiteRT interpreter: samples, heatmaps, DICOM, non-MRIs, heads, threads."""

from __future__ import annotations

import io
import shutil
import threading
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from desktop_app.core.inference import InferenceEngine, ModelError, Prediction
from desktop_app.paths import models_dir, resources_dir

SAMPLES = sorted((resources_dir() / "samples").glob("*.jpg"))
DISPLAY = {"glioma": "Glioma", "meningioma": "Meningioma", "notumor": "No Tumor", "pituitary": "Pituitary tumor"}


@pytest.fixture(scope="module")
def engine() -> InferenceEngine:
    return InferenceEngine.load()


def png_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


def test_there_are_samples_for_every_class():
    assert {p.name.split("_")[0] for p in SAMPLES} == set(DISPLAY)
    assert len(SAMPLES) >= 8


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.name)
def test_shipped_samples_are_classified_correctly(engine, sample: Path):
    p = engine.predict_file(sample)
    expected = sample.name.split("_")[0]
    assert p.is_brain_mri, p.mri_check
    assert (p.label_key, p.label) == (expected, DISPLAY[expected])
    assert p.confidence == max(p.probabilities.values()) > 0.5
    assert abs(sum(p.probabilities.values()) - 1) < 1e-5
    assert set(p.probabilities) == set(DISPLAY.values())


def test_prediction_carries_image_heatmap_timings_and_version(engine):
    p = engine.predict_file(SAMPLES[0])
    assert p.image.dtype == np.uint8 and p.heatmap.dtype == np.float32
    assert p.heatmap.shape == p.image.shape
    assert 0.0 <= p.heatmap.min() and p.heatmap.max() <= 1.0 and p.heatmap.max() > 0.5
    assert {"decode", "preprocess", "invoke", "heatmap", "total"} <= set(p.timings_ms)
    assert p.model_version == engine.model_version == engine.base_version
    assert p.to_json("a.jpg") == {
        "file": "a.jpg", "label": p.label, "confidence": round(p.confidence, 4),
        "probabilities": {k: round(v, 4) for k, v in p.probabilities.items()},
        "model_version": p.model_version, "is_brain_mri": True, "abstained": False,
    }


def test_heatmap_follows_the_head_when_the_scan_is_framed(engine):
    gray = np.asarray(Image.open(SAMPLES[1]).convert("L"))
    framed = np.zeros((gray.shape[0] + 100, gray.shape[1] + 300), np.uint8)
    framed[50:-50, 300:] = gray
    p = engine.predict_bytes(png_bytes(framed), name="framed.png")
    assert p.heatmap.shape == framed.shape
    assert p.heatmap[:, :250].max() == 0  # nothing drawn over the empty border


def test_dicom_gives_the_same_prediction_as_the_png(engine):
    from tests.core.test_imaging_dicom import make_dicom

    gray = np.asarray(Image.open(SAMPLES[4]).convert("L"))
    from_png = engine.predict_bytes(png_bytes(gray), name="scan.png")
    from_dicom = engine.predict_bytes(make_dicom(gray), name="scan.dcm")
    assert from_dicom.label == from_png.label
    for name, value in from_png.probabilities.items():
        assert abs(from_dicom.probabilities[name] - value) < 0.01  # DICOM without a window is percentile-stretched


@pytest.fixture(scope="module")
def held_out_non_mri() -> dict[str, bytes]:
    from training.non_mri import all_non_mri

    return all_non_mri()


def test_every_held_out_non_mri_picture_is_refused(engine, held_out_non_mri):
    """Photos, documents, microscopy, noise, a chest-like drawing...: never a tumour label —
    refused, or at most "the model cannot judge this scan" (a smooth radial gradient passes the
    check as a blurred head, and the model then abstains).

    These pictures are never used to fit the check.
    """
    from desktop_app.core.imaging import ImageError

    accepted = {}
    for name, data in held_out_non_mri.items():
        try:
            p = engine.predict_bytes(data, name=name)
        except ImageError:
            continue  # refused as unreadable: no label either
        if p.is_brain_mri and not p.abstained:
            accepted[name] = p.mri_check
        elif not p.is_brain_mri:
            assert p.label_key == "not_brain_mri" and p.label == "Not a brain MRI"
            assert p.confidence == 0.0 and ("not a brain MRI" in p.message or "does not look like" in p.message)
            assert p.to_json()["is_brain_mri"] is False
    assert not accepted, accepted


def test_noise_is_not_a_brain_mri(engine):
    rng = np.random.default_rng(3)
    for picture in (rng.integers(0, 256, (256, 256), dtype=np.uint8),
                    np.clip(rng.normal(128, 40, (300, 300)), 0, 255).astype(np.uint8)):
        assert not engine.predict_bytes(png_bytes(picture)).is_brain_mri


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.name)
def test_shipped_samples_pass_the_mri_check_under_every_perturbation(engine, sample: Path):
    from training.perturb import PERTURBATIONS, perturbed

    data = sample.read_bytes()
    refused = {}
    for name in PERTURBATIONS:
        p = engine.predict_bytes(perturbed(data, name), name="scan.png")
        if not p.is_brain_mri:
            refused[name] = p.mri_check
    assert not refused, refused


def test_federated_head_swap_changes_version_and_result(engine):
    W, b, base_version = engine.base_head()
    sample = SAMPLES[0].read_bytes()
    before = engine.predict_bytes(sample)
    flipped = np.roll(W, 1, axis=1)  # a deliberately different head
    try:
        engine.set_head(flipped, np.roll(b, 1), "fl-7")
        after = engine.predict_bytes(sample)
        assert after.model_version == f"{engine.base_version}+fl-7"
        assert after.probabilities != before.probabilities
        assert engine.current_head()[2] == "fl-7"
        with pytest.raises(ValueError):
            engine.set_head(W[:10], b, "bad")
    finally:
        engine.reset_head()
    assert engine.predict_bytes(sample).probabilities == before.probabilities
    assert engine.current_head()[2] == base_version


def test_embedding_matches_the_heads_input(engine):
    data = SAMPLES[2].read_bytes()
    emb = engine.embed_bytes(data)
    W, b, _ = engine.base_head()
    logits = emb @ W + b
    p = engine.predict_bytes(data)
    assert engine.display_names[int(np.argmax(logits))] == p.label


def test_engine_is_safe_from_several_threads(engine):
    expected = {s.name: engine.predict_file(s).probabilities for s in SAMPLES}
    got: dict[str, list] = {s.name: [] for s in SAMPLES}
    errors: list[BaseException] = []

    def work():
        try:
            for s in SAMPLES * 2:
                got[s.name].append(engine.predict_file(s).probabilities)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    for name, results in got.items():
        assert all(r == expected[name] for r in results)


def test_damaged_model_file_is_refused_with_a_clear_message(tmp_path: Path):
    shutil.copytree(models_dir(), tmp_path / "models")
    model = tmp_path / "models" / "tumornet.tflite"
    data = bytearray(model.read_bytes())
    data[len(data) // 2] ^= 0xFF
    model.write_bytes(bytes(data))
    with pytest.raises(ModelError) as err:
        InferenceEngine.load(tmp_path / "models")
    assert "damaged" in err.value.user_message and "checksum" in err.value.user_message


def test_missing_model_folder(tmp_path: Path):
    with pytest.raises(ModelError) as err:
        InferenceEngine.load(tmp_path)
    assert "missing" in err.value.user_message


def test_prediction_type(engine):
    assert isinstance(engine.predict_file(SAMPLES[0]), Prediction)


def test_a_prediction_without_heatmap_gives_the_same_result(engine):
    """The CLI's --json and the server ask for no heatmap; nothing else may change."""
    data = SAMPLES[0].read_bytes()
    full, lean = engine.predict_bytes(data, name="a.jpg"), engine.predict_bytes(data, name="a.jpg", with_heatmap=False)
    assert lean.heatmap is None and "heatmap" not in lean.timings_ms
    assert lean.to_json("a.jpg") == full.to_json("a.jpg")
