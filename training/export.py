"""Writes the app's model files: .tflite (3 outputs), head weights, brain-MRI check data, model.json."""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

import numpy as np

from desktop_app.core.labels import model_json_entries
from training.dataset import LABEL_KEYS

log = logging.getLogger(__name__)

MODEL_FILE = "tumornet.tflite"
HEAD_FILE = "head_weights.npz"
MRI_CHECK_FILE = "mri_check.npz"


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# "int8": weights stored as int8 (per channel) and activations quantised on the fly by LiteRT's
# XNNPACK kernels (dynamic-range quantisation): a third of the float model's invoke time and a
# quarter of its size, with inputs and outputs still float32. Measured on the validation split in
# docs/model.md; "float32" keeps the plain float model (for comparison).
WEIGHT_FORMATS = ("int8", "float32")


def to_tflite(model, size: int, weights: str = "int8") -> bytes:
    """TFLite with built-in ops only; outputs probabilities, feature map, embedding and guard features.

    Goes through a SavedModel: converting a Keras 3 model's concrete function directly loses
    the variables (NaN outputs).
    """
    if weights not in WEIGHT_FORMATS:
        raise ValueError(f"weights must be one of {WEIGHT_FORMATS}, not {weights!r}")
    import tempfile

    import tensorflow as tf

    with tempfile.TemporaryDirectory() as saved:
        signature = [tf.TensorSpec([1, size, size, 1], tf.float32, name="image")]
        model.export(saved, format="tf_saved_model", input_signature=signature, verbose=False)
        converter = tf.lite.TFLiteConverter.from_saved_model(saved)
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
        if weights == "int8":
            converter.optimizations = [tf.lite.Optimize.DEFAULT]  # no representative data: dynamic range
        return converter.convert()


def embeddings_and_logits(
    tflite: bytes, images: np.ndarray, W: np.ndarray, b: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Pooled embeddings (from the exported file, as the app computes them) and head logits of
    preprocessed uint8 images."""
    from desktop_app.core.inference.engine import output_indices
    from desktop_app.core.litert_runtime import make_interpreter

    interpreter = make_interpreter(tflite, 2)
    image = interpreter.get_input_details()[0]["index"]
    embedding = output_indices(interpreter.get_output_details(), W.shape[1], W.shape[0])["embedding"]
    emb = np.empty((len(images), W.shape[0]), dtype=np.float32)
    for i, x in enumerate(images):
        interpreter.set_tensor(image, x[None, ..., None].astype(np.float32))
        interpreter.invoke()
        emb[i] = interpreter.get_tensor(embedding)[0]
    return emb, (emb @ W + b).astype(np.float64)


def fit_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    """Temperature minimising the validation negative log-likelihood (grid search, robust)."""
    if len(labels) == 0:
        return 1.0
    best_t, best_nll = 1.0, np.inf
    for t in np.exp(np.linspace(np.log(0.3), np.log(10.0), 200)):
        z = logits / t
        z = z - z.max(axis=1, keepdims=True)
        nll = -np.mean(z[np.arange(len(labels)), labels] - np.log(np.exp(z).sum(axis=1)))
        if nll < best_nll:
            best_t, best_nll = float(t), nll
    return best_t


def mahalanobis_model(
    train_emb: np.ndarray, train_labels: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Class means and the shared (shrunk) precision matrix of the training embeddings."""
    means = np.stack([train_emb[train_labels == c].mean(axis=0) for c in range(len(LABEL_KEYS))])
    centred = train_emb - means[train_labels]
    cov = centred.T @ centred / max(1, len(centred) - 1)
    # Shrinkage keeps the inverse stable for a few thousand samples in 128 dimensions.
    cov = 0.9 * cov + 0.1 * np.trace(cov) / len(cov) * np.eye(len(cov))
    return means.astype(np.float32), np.linalg.inv(cov).astype(np.float32)


def min_mahalanobis(emb: np.ndarray, means: np.ndarray, precision: np.ndarray) -> np.ndarray:
    diffs = emb[:, None, :] - means[None, :, :]
    return np.sqrt(np.einsum("nkd,de,nke->nk", diffs, precision, diffs).min(axis=1))


def export_model_files(
    model,
    *,
    out_dir: Path,
    train_images: np.ndarray,
    train_labels: np.ndarray,
    val_images: np.ndarray,
    val_labels: np.ndarray,
    version: str,
    extra: dict,
    weights: str = "int8",
) -> dict:
    """Writes every file the app loads into `out_dir` and returns model.json's content."""
    out_dir.mkdir(parents=True, exist_ok=True)
    size = int(model.input.shape[1])
    tflite = to_tflite(model, size, weights)
    (out_dir / MODEL_FILE).write_bytes(tflite)
    W, b = (w.astype(np.float32) for w in model.get_layer("head").get_weights())
    np.savez(out_dir / HEAD_FILE, W=W, b=b)
    train_emb, _ = embeddings_and_logits(tflite, train_images, W, b)
    val_emb, val_logits = (
        embeddings_and_logits(tflite, val_images, W, b) if len(val_labels) else (train_emb[:0], None)
    )
    temperature = fit_temperature(val_logits, val_labels) if val_logits is not None else 1.0
    means, precision = mahalanobis_model(train_emb, train_labels)
    np.savez(out_dir / MRI_CHECK_FILE, means=means, precision=precision)
    reference = val_emb if len(val_emb) else train_emb
    distances = min_mahalanobis(reference, means, precision)
    meta = {
        "name": "TumorNet",
        "version": version,
        "file": MODEL_FILE,
        "sha256": sha256_of(out_dir / MODEL_FILE),
        "weights": weights,
        "input": {
            "size": size,
            "channels": 1,
            "range": [0, 255],
            "preprocessing": "grayscale, crop to the head's bounding box, pad to square, bilinear resize; "
            "per-image standardisation is inside the model",
        },
        "labels": model_json_entries(),  # the table the app reads back: unchanged by a new training run
        "outputs": {
            "probabilities": [1, len(LABEL_KEYS)],
            "features": list(model.outputs[1].shape[1:]),
            "embedding": [int(W.shape[0])],
            **(
                {"guard_features": list(model.outputs[3].shape[1:])}
                if len(model.outputs) > 3
                else {}
            ),
        },
        "temperature": round(temperature, 4),
        "head": {
            "file": HEAD_FILE,
            "sha256": sha256_of(out_dir / HEAD_FILE),
            "version": f"{version}/base",
        },
        "mri_check": {
            "file": MRI_CHECK_FILE,
            "sha256": sha256_of(out_dir / MRI_CHECK_FILE),
            # Provisional: training.calibrate_mri_check tunes these on MRIs and non-MRI images.
            "max_distance": round(float(np.percentile(distances, 99.5)) * 1.5, 3),
            "max_colour_saturation": 0.25,
            "min_dark_fraction": 0.03,
        },
        **extra,
    }
    (out_dir / "model.json").write_text(json.dumps(meta, indent=2) + "\n")
    return meta
