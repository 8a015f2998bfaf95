"""The result of analysing one scan."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

NOT_MRI_LABEL = "Not a brain MRI"
NOT_MRI_KEY = "not_brain_mri"
NOT_MRI_MESSAGE = "This does not look like a brain MRI"


@dataclass
class Prediction:
    """One analysed scan.

    For a picture that does not look like a brain MRI, `is_brain_mri` is False, `label` is
    "Not a brain MRI", `label_key` "not_brain_mri" and `confidence` 0: no tumour label is given.
    `probabilities` are then the model's raw output, meaningless for such a picture.
    """

    label: str
    label_key: str
    confidence: float
    probabilities: dict[str, float]
    is_brain_mri: bool
    model_version: str
    timings_ms: dict[str, float]
    heatmap: np.ndarray  # float32 H×W in 0..1, aligned to `image`
    image: np.ndarray  # uint8 grayscale H×W (the decoded scan, EXIF-oriented)
    mri_check: dict[str, float] = field(default_factory=dict)  # the check's measured statistics
    embedding: np.ndarray | None = field(default=None, repr=False)

    @property
    def message(self) -> str:
        return "" if self.is_brain_mri else NOT_MRI_MESSAGE

    def to_json(self, file: str | None = None) -> dict:
        """The CLI/wire shape: file, label, confidence, probabilities, model_version, is_brain_mri."""
        return {
            "file": file,
            "label": self.label,
            "confidence": round(float(self.confidence), 4),
            "probabilities": {k: round(float(v), 4) for k, v in self.probabilities.items()},
            "model_version": self.model_version,
            "is_brain_mri": bool(self.is_brain_mri),
        }
