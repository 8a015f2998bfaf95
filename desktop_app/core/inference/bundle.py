"""The shipped model files (model.json, .tflite, head weights, brain-MRI check), checksum-verified."""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from desktop_app.core.inference.errors import ModelError

log = logging.getLogger(__name__)

_REINSTALL = "Please reinstall TumorPredict or restore the models folder."


@dataclass(frozen=True)
class ModelBundle:
    meta: dict
    model_content: bytes
    checksum: str
    head_W: np.ndarray  # (embedding_dim, classes)
    head_b: np.ndarray  # (classes,)
    class_means: np.ndarray  # (classes, embedding_dim)
    precision: np.ndarray  # (embedding_dim, embedding_dim)
    check_arrays: dict  # the fitted brain-MRI check's arrays (centre, scale, weights, bias), if any

    @property
    def label_keys(self) -> list[str]:
        return [entry["key"] for entry in self.meta["labels"]]

    @property
    def display_names(self) -> list[str]:
        return [entry["display"] for entry in self.meta["labels"]]


def _verified_bytes(path: Path, expected_sha256: str | None, what: str) -> bytes:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ModelError(f"The {what} is missing ({path.name}). {_REINSTALL}") from exc
    digest = hashlib.sha256(data).hexdigest()
    if expected_sha256 and digest != expected_sha256:
        log.error("checksum mismatch for %s: %s != %s", path, digest, expected_sha256)
        raise ModelError(
            f"The {what} ({path.name}) is damaged or was changed: its checksum does not match. {_REINSTALL}"
        )
    return data


def _arrays(data: bytes, names: tuple[str, ...], what: str, optional: tuple[str, ...] = ()) -> list:
    """The named float32 arrays, then a dict of those `optional` ones the file holds."""
    import io

    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            found = {name: np.asarray(npz[name], dtype=np.float32) for name in optional if name in npz.files}
            return [np.asarray(npz[name], dtype=np.float32) for name in names] + [found]
    except (OSError, ValueError, KeyError) as exc:
        raise ModelError(f"The {what} is damaged. {_REINSTALL}") from exc


def load_bundle(model_dir: Path) -> ModelBundle:
    """Reads and verifies every model file; ModelError with plain words on any problem."""
    try:
        meta = json.loads((model_dir / "model.json").read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ModelError(f"The model description (model.json) is missing in {model_dir}. {_REINSTALL}") from exc
    except (OSError, ValueError) as exc:
        raise ModelError(f"The model description (model.json) is damaged. {_REINSTALL}") from exc
    content = _verified_bytes(model_dir / meta["file"], meta.get("sha256"), "model file")
    head = meta["head"]
    W, b, _ = _arrays(_verified_bytes(model_dir / head["file"], head.get("sha256"), "model head"), ("W", "b"), "model head")
    check = meta["mri_check"]
    means, precision, fitted = _arrays(
        _verified_bytes(model_dir / check["file"], check.get("sha256"), "brain-MRI check data"),
        ("means", "precision"), "brain-MRI check data", optional=("centre", "scale", "weights", "bias"),
    )
    return ModelBundle(meta, content, meta["sha256"], W, b, means, precision, fitted)
