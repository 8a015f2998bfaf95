"""The result of analysing one scan."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from desktop_app.core.inference.abstention import ABSTAIN_MESSAGE
from desktop_app.core.inference.mri_check import refusal_message

NOT_MRI_LABEL = "Not a brain MRI"
NOT_MRI_KEY = "not_brain_mri"
NOT_MRI_MESSAGE = refusal_message(None)


class ModelOutputs(NamedTuple):
    """What the network computes for one image."""

    features: np.ndarray  # h×w×D last feature map (the heatmap's source)
    embedding: np.ndarray  # D pooled embedding (the head's input)
    guard: np.ndarray  # the brain-MRI check's pooled stage activations (empty for older models)


@dataclass
class Prediction:
    """One analysed scan.

    For a picture that does not look like a brain MRI, `is_brain_mri` is False, `label` is
    "Not a brain MRI", `label_key` "not_brain_mri" and `confidence` 0: no tumour label is given.
    `probabilities` are then the model's raw output, meaningless for such a picture, and
    `looks_like` may name what it looks like instead (a `KIND_DESCRIPTIONS` key).

    When the model cannot judge a brain MRI (unsure, or the scan is unlike its training data),
    `abstain_reason` says why: the label is then only the model's best guess, and every screen
    says that the doctor will judge the scan.
    """

    label: str
    label_key: str
    confidence: float
    probabilities: dict[str, float]
    is_brain_mri: bool
    model_version: str
    timings_ms: dict[str, float]
    heatmap: np.ndarray | None  # float32 H×W in 0..1, aligned to `image`; None when not asked for
    image: np.ndarray  # uint8 grayscale H×W (the decoded scan, EXIF-oriented)
    mri_check: dict[str, float] = field(default_factory=dict)  # the check's measured statistics
    embedding: np.ndarray | None = field(default=None, repr=False)
    abstain_reason: str | None = None  # "unsure" or "unfamiliar" (see Abstention)
    looks_like: str | None = None
    check_vector: np.ndarray | None = field(default=None, repr=False)

    @property
    def abstained(self) -> bool:
        return self.abstain_reason is not None

    @property
    def message(self) -> str:
        if not self.is_brain_mri:
            return refusal_message(self.looks_like)
        return ABSTAIN_MESSAGE if self.abstained else ""

    def to_json(self, file: str | None = None) -> dict:
        """The CLI shape: file, label, confidence, probabilities, model_version, is_brain_mri,
        abstained; plus `message` (and `looks_like`) when the result is not a plain label."""
        result = {
            "file": file,
            "label": self.label,
            "confidence": round(float(self.confidence), 4),
            "probabilities": {k: round(float(v), 4) for k, v in self.probabilities.items()},
            "model_version": self.model_version,
            "is_brain_mri": bool(self.is_brain_mri),
            "abstained": self.abstained,
        }
        if self.message:
            result["message"] = self.message
        if self.looks_like:
            result["looks_like"] = self.looks_like
        return result
