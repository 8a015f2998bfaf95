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


def _sample_folder(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    for sample in (resources_dir() / "samples").glob("*.jpg"):
        folder = data / sample.name.split("_")[0]
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copy(sample, folder / sample.name)
    return data


def _train_one_epoch(data: Path, run: Path, out: Path, seed: int, *extra: str) -> None:
    from training.train import main

    code = main(["--data", str(data), "--out", str(out), "--run-dir", str(run), "--epochs", "1",
                 "--batch", "8", "--seed", str(seed), "--version", "tiny-test", *extra])
    assert code == 0


def test_one_epoch_on_the_samples_exports_a_loadable_model(tmp_path: Path):
    from desktop_app.core.inference import InferenceEngine

    out = tmp_path / "models"
    _train_one_epoch(_sample_folder(tmp_path), tmp_path / "run", out, seed=42)
    assert {"model.json", "tumornet.tflite", "head_weights.npz", "mri_check.npz"} <= {p.name for p in out.iterdir()}
    engine = InferenceEngine.load(out)
    prediction = engine.predict_file(resources_dir() / "samples" / "glioma_1.jpg")
    assert prediction.model_version == "tiny-test"
    assert abs(sum(prediction.probabilities.values()) - 1) < 1e-5
    assert prediction.heatmap.shape == prediction.image.shape


def test_int8_weights_give_the_float_models_answers_from_a_quarter_of_the_file(tmp_path: Path):
    """The default export stores int8 weights (dynamic-range quantisation); the same network
    exported as float32 gives nearly the same embeddings and probabilities."""
    import json

    import numpy as np

    from desktop_app.core.inference import InferenceEngine
    from training.ensemble import main as ensemble

    data = _sample_folder(tmp_path)
    run, quantised, plain = tmp_path / "run", tmp_path / "int8", tmp_path / "float32"
    _train_one_epoch(data, run, quantised, 5)
    assert ensemble(["--data", str(data), "--runs", str(run), "--out", str(plain), "--version", "tiny-float",
                     "--weights", "float32"]) == 0
    assert json.loads((quantised / "model.json").read_text())["weights"] == "int8"
    assert json.loads((plain / "model.json").read_text())["weights"] == "float32"
    assert (quantised / "tumornet.tflite").stat().st_size < 0.4 * (plain / "tumornet.tflite").stat().st_size
    small, full = InferenceEngine.load(quantised), InferenceEngine.load(plain)
    for sample in sorted((resources_dir() / "samples").glob("*.jpg")):
        a, b = small.predict_file(sample), full.predict_file(sample)
        assert np.linalg.norm(a.embedding - b.embedding) <= 0.05 * np.linalg.norm(b.embedding)
        assert max(abs(a.probabilities[k] - b.probabilities[k]) for k in b.probabilities) < 0.05


def test_two_runs_join_into_one_ensemble_model_whose_logits_are_their_mean(tmp_path: Path):
    import numpy as np

    from desktop_app.core.inference import InferenceEngine
    from training.ensemble import main as ensemble

    data = _sample_folder(tmp_path)
    runs = [tmp_path / "run_a", tmp_path / "run_b"]
    for seed, run in zip((1, 2), runs, strict=True):  # float weights: the test checks the joining's arithmetic
        _train_one_epoch(data, run, run / "export", seed, "--weights", "float32")
    out = tmp_path / "models"
    assert ensemble(["--data", str(data), "--runs", *map(str, runs), "--out", str(out), "--version", "tiny-ens",
                     "--weights", "float32"]) == 0

    members = [InferenceEngine.load(run / "export") for run in runs]
    joined = InferenceEngine.load(out)
    sample = resources_dir() / "samples" / "meningioma_1.jpg"
    embeddings = [engine.predict_file(sample).embedding for engine in members]
    heads = [engine.base_head() for engine in members]
    mean_logits = np.mean([e @ W + b for e, (W, b, _) in zip(embeddings, heads, strict=True)], axis=0)
    prediction = joined.predict_file(sample)
    W, b, _ = joined.base_head()
    assert prediction.embedding.shape == (2 * embeddings[0].shape[0],)
    np.testing.assert_allclose(prediction.embedding @ W + b, mean_logits, rtol=1e-3, atol=1e-3)
    assert prediction.heatmap.shape == prediction.image.shape
    assert prediction.model_version == "tiny-ens"


def test_a_run_fine_tunes_another_at_a_larger_input_size_on_the_same_split(tmp_path: Path):
    import json

    import numpy as np

    from desktop_app.core.inference import InferenceEngine

    data = _sample_folder(tmp_path)
    base = tmp_path / "base"
    _train_one_epoch(data, base, base / "export", 42, "--size", "48")
    out = tmp_path / "models"
    _train_one_epoch(data, tmp_path / "tuned", out, 42, "--size", "64", "--init-from", str(base))
    engine = InferenceEngine.load(out)
    assert engine.input_size == 64
    prediction = engine.predict_file(resources_dir() / "samples" / "pituitary_1.jpg")
    assert prediction.heatmap.shape == prediction.image.shape
    training = json.loads((out / "model.json").read_text())["training"]
    assert training["init_from"]["input_size"] == 48 and training["input_size"] == 64
    base_split, tuned_split = np.load(base / "split.npz"), np.load(tmp_path / "tuned" / "split.npz")
    assert np.array_equal(base_split["val"], tuned_split["val"])  # no image the base trained on


def test_a_mirror_view_model_gives_an_image_and_its_mirror_image_one_embedding(tmp_path: Path):
    """`ensemble --mirror`: the embedding is the mean over the model input and its mirror image, so
    both get the same embedding (and so the same probabilities); the feature map stays the image's."""
    import numpy as np

    from desktop_app.core.imaging import load_scan, standardize
    from desktop_app.core.inference import InferenceEngine
    from training.ensemble import main as ensemble

    data = _sample_folder(tmp_path)
    run = tmp_path / "run"
    _train_one_epoch(data, run, run / "export", 3, "--without", "intensity_remap", "--weights", "float32")
    out = tmp_path / "models"
    assert ensemble(["--data", str(data), "--runs", str(run), "--mirror", "--out", str(out), "--version", "tiny-mirror",
                     "--weights", "float32"]) == 0

    engine, single = InferenceEngine.load(out), InferenceEngine.load(run / "export")
    scan = load_scan((resources_dir() / "samples" / "glioma_1.jpg").read_bytes(), "glioma_1.jpg")
    model_input = standardize(scan.gray, engine.input_size)
    as_given, mirrored = engine.run_model(model_input), engine.run_model(np.ascontiguousarray(model_input[:, ::-1]))
    np.testing.assert_allclose(as_given.embedding, mirrored.embedding, rtol=1e-4, atol=1e-5)
    alone, alone_mirrored = single.run_model(model_input), single.run_model(np.ascontiguousarray(model_input[:, ::-1]))
    np.testing.assert_allclose(as_given.embedding, (alone.embedding + alone_mirrored.embedding) / 2, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(as_given.features, alone.features, rtol=1e-4, atol=1e-5)
