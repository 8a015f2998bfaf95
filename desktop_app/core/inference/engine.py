"""The on-device inference engine: decode, preprocess, LiteRT invoke, calibrated head, MRI check, heatmap."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

import numpy as np

from desktop_app.core.imaging import Scan, load_scan, standardize
from desktop_app.core.imaging.preprocess import prepare
from desktop_app.core.inference.abstention import Abstention
from desktop_app.core.inference.bundle import ModelBundle, load_bundle
from desktop_app.core.inference.heatmap import aligned_heatmap, class_activation
from desktop_app.core.inference.mri_check import (
    CheckVerdict,
    MriCheck,
    check_features,
    check_vector,
    embedding_distance,
)
from desktop_app.core.inference.prediction import (
    NOT_MRI_KEY,
    NOT_MRI_LABEL,
    ModelOutputs,
    Prediction,
)
from desktop_app.core.litert_runtime import make_interpreter

log = logging.getLogger(__name__)


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max()
    exp = np.exp(shifted)
    return exp / exp.sum()


def output_indices(output_details: list[dict], label_count: int, embedding_dim: int) -> dict[str, int]:
    """The model's outputs told apart by shape: (1,K) probabilities, (1,h,w,D) features, (1,D)
    embedding (D = the head's input), (1,G) guard features (the brain-MRI check's)."""
    found: dict[str, int] = {}
    for detail in output_details:
        shape = tuple(detail["shape"])
        if len(shape) == 4:
            found["features"] = detail["index"]
        elif shape[-1] == label_count:
            found["probabilities"] = detail["index"]
        elif shape[-1] == embedding_dim:
            found["embedding"] = detail["index"]
        else:
            found["guard"] = detail["index"]
    return found


class InferenceEngine:
    """Create once with `load()`; every public method is safe to call from several threads."""

    def __init__(self, bundle: ModelBundle, num_threads: int = 2):
        self._bundle = bundle
        self._num_threads = num_threads
        self._local = threading.local()  # one interpreter per calling thread: no shared invoke state
        self._head_lock = threading.Lock()
        self._head: tuple[np.ndarray, np.ndarray, str | None] = (bundle.head_W, bundle.head_b, None)
        meta = bundle.meta
        self.temperature = float(meta.get("temperature", 1.0))
        self.input_size = int(meta["input"]["size"])
        self.base_version = str(meta["version"])
        self.mri_check = MriCheck.from_meta(meta["mri_check"], bundle.check_arrays)
        self.abstention = Abstention.from_meta(meta.get("abstention", {}))
        self._outputs: dict[str, int] | None = None
        self._interpreter()  # fail at load time, not on the first scan

    @classmethod
    def load(cls, model_dir: str | Path | None = None, num_threads: int = 2) -> InferenceEngine:
        """Loads the shipped model (default: the install's models/); ModelError when damaged."""
        if model_dir is None:
            from desktop_app.paths import models_dir

            model_dir = models_dir()
        return cls(load_bundle(Path(model_dir)), num_threads=num_threads)

    # -- model identity and the federated head hook ---------------------------------------
    @property
    def label_keys(self) -> list[str]:
        return self._bundle.label_keys

    @property
    def display_names(self) -> list[str]:
        return self._bundle.display_names

    @property
    def model_checksum(self) -> str:
        return self._bundle.checksum

    @property
    def model_version(self) -> str:
        """The model's version, plus the federated head's version while one is applied."""
        head_version = self._head[2]
        return self.base_version if head_version is None else f"{self.base_version}+{head_version}"

    def base_head(self) -> tuple[np.ndarray, np.ndarray, str]:
        return self._bundle.head_W.copy(), self._bundle.head_b.copy(), self._bundle.meta["head"]["version"]

    def current_head(self) -> tuple[np.ndarray, np.ndarray, str]:
        W, b, version = self._head
        return W.copy(), b.copy(), version or self._bundle.meta["head"]["version"]

    def set_head(self, W: np.ndarray, b: np.ndarray, version: str) -> None:
        """Predict with head weights (e.g. from federated learning) instead of the shipped ones."""
        W = np.asarray(W, dtype=np.float32)
        b = np.asarray(b, dtype=np.float32)
        if W.shape != self._bundle.head_W.shape or b.shape != self._bundle.head_b.shape:
            raise ValueError(f"head shapes {W.shape}/{b.shape} do not fit this model {self._bundle.head_W.shape}")
        with self._head_lock:
            self._head = (W, b, str(version))

    def reset_head(self) -> None:
        with self._head_lock:
            self._head = (self._bundle.head_W, self._bundle.head_b, None)

    # -- running the model -----------------------------------------------------------------
    def _interpreter(self):
        interpreter = getattr(self._local, "interpreter", None)
        if interpreter is None:
            interpreter = make_interpreter(self._bundle.model_content, self._num_threads)
            self._local.input_index = interpreter.get_input_details()[0]["index"]
            self._local.interpreter = interpreter
            if self._outputs is None:
                self._outputs = self._output_indices(interpreter)
        return interpreter

    def _output_indices(self, interpreter) -> dict[str, int]:
        return output_indices(interpreter.get_output_details(), len(self.label_keys), self._bundle.head_W.shape[0])

    def run_model(self, model_input: np.ndarray) -> ModelOutputs:
        """The network's outputs for one standardised uint8 size×size image."""
        interpreter = self._interpreter()
        tensor = model_input.astype(np.float32).reshape(1, self.input_size, self.input_size, 1)
        interpreter.set_tensor(self._local.input_index, tensor)
        interpreter.invoke()
        outputs = self._outputs
        guard = interpreter.get_tensor(outputs["guard"])[0].copy() if "guard" in outputs else np.zeros(0, np.float32)
        return ModelOutputs(
            interpreter.get_tensor(outputs["features"])[0].copy(),
            interpreter.get_tensor(outputs["embedding"])[0].copy(),
            guard,
        )

    def embed_bytes(self, data: bytes, name: str | None = None, frame: int | None = None) -> np.ndarray:
        """The pooled embedding of a scan (what federated learning trains the head on)."""
        scan = load_scan(data, name, frame)
        return self.run_model(standardize(scan.gray, self.input_size)).embedding

    def predict_file(self, path: str | Path, frame: int | None = None, *, with_heatmap: bool = True) -> Prediction:
        path = Path(path)
        from desktop_app.core.imaging import ImageError

        try:
            data = path.read_bytes()
        except IsADirectoryError as exc:
            raise ImageError("This is a folder, not an image file.", reason="not_an_image") from exc
        except OSError as exc:
            raise ImageError(f"The file could not be opened ({exc.strerror or 'read error'}).", reason="unreadable") from exc
        return self.predict_bytes(data, name=path.name, frame=frame, with_heatmap=with_heatmap)

    def predict_bytes(
        self, data: bytes, name: str | None = None, frame: int | None = None, *, with_heatmap: bool = True
    ) -> Prediction:
        """`with_heatmap=False` skips the heatmap (a sixth of the work) for callers that show or store none."""
        started = time.perf_counter()
        scan = load_scan(data, name, frame)
        decoded = time.perf_counter()
        return self._predict_scan(scan, {"decode": (decoded - started) * 1000}, decoded, with_heatmap)

    def predict_scan(self, scan: Scan, *, with_heatmap: bool = True) -> Prediction:
        """The prediction for a scan the caller already decoded (the server decodes each upload once)."""
        return self._predict_scan(scan, {"decode": 0.0}, time.perf_counter(), with_heatmap)

    def brain_mri_check(
        self, scan: Scan, model_input: np.ndarray, outputs: ModelOutputs
    ) -> tuple[dict[str, float], np.ndarray, CheckVerdict]:
        """(the check's image statistics and MRI probability, its input vector, its verdict)."""
        distance = embedding_distance(outputs.embedding, self._bundle.class_means, self._bundle.precision)
        stats = check_features(model_input, scan.histogram, scan.colour_saturation, distance)
        vector = check_vector(stats, model_input, outputs.guard, outputs.embedding)
        verdict = self.mri_check.verdict(stats, vector)
        stats["mri_probability"] = round(verdict.mri_probability, 4)
        return stats, vector, verdict

    def _predict_scan(self, scan: Scan, timings: dict[str, float], started: float, with_heatmap: bool) -> Prediction:
        model_input, box = prepare(scan.gray, self.input_size, scan.histogram)
        t1 = time.perf_counter()
        outputs = self.run_model(model_input)
        features, embedding = outputs.features, outputs.embedding
        t2 = time.perf_counter()
        with self._head_lock:
            W, b, _ = self._head
            version = self.model_version
        probabilities = softmax((embedding.astype(np.float64) @ W + b) / self.temperature)
        stats, vector, verdict = self.brain_mri_check(scan, model_input, outputs)
        is_mri = verdict.accepted
        best = int(np.argmax(probabilities))
        abstain_reason = self.abstention.reason(probabilities, self.label_keys, stats, verdict) if is_mri else None
        t3 = time.perf_counter()
        timings.update(preprocess=(t1 - started) * 1000, invoke=(t2 - t1) * 1000, head_and_check=(t3 - t2) * 1000)
        heatmap = None
        if with_heatmap:
            heatmap = aligned_heatmap(class_activation(features, W[:, best]), scan.gray.shape, box)
            timings["heatmap"] = (time.perf_counter() - t3) * 1000
        timings["total"] = sum(timings.values())
        names = self.display_names
        return Prediction(
            label=names[best] if is_mri else NOT_MRI_LABEL,
            label_key=self.label_keys[best] if is_mri else NOT_MRI_KEY,
            confidence=float(probabilities[best]) if is_mri else 0.0,
            probabilities={names[i]: float(p) for i, p in enumerate(probabilities)},
            is_brain_mri=is_mri,
            model_version=version,
            timings_ms={k: round(v, 3) for k, v in timings.items()},
            heatmap=heatmap,
            image=scan.gray,
            mri_check=stats,
            embedding=embedding,
            abstain_reason=abstain_reason,
            looks_like=verdict.looks_like,
            check_vector=vector,
        )
