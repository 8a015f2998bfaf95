"""When the model should say "I cannot judge this scan" instead of giving a label.

A triage tool must not be confidently wrong on scans unlike its training data (another
scanner, another sequence). The model abstains, and the scan simply goes to the doctor, when
- `unsure`: its calibrated confidence is below `min_confidence`, or it would say "no tumour"
  with less than `min_no_tumour_confidence` (missing a tumour is the costly error);
- `unfamiliar`: the picture passed the brain-MRI check only narrowly (`min_mri_probability`)
  or its embedding lies farther from the training MRIs than `max_distance`.
The thresholds are set on the validation split by `training.guard_fit` (model.json `abstention`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from desktop_app.core.labels import NO_TUMOUR

ABSTAIN_MESSAGE = "The model cannot judge this scan; your doctor will look at it"


@dataclass(frozen=True)
class Abstention:
    min_confidence: float = 0.0
    min_no_tumour_confidence: float = 0.0
    min_mri_probability: float = 0.0
    max_distance: float = float("inf")

    @classmethod
    def from_meta(cls, meta: dict) -> Abstention:
        fields = cls.__dataclass_fields__
        return cls(**{name: float(value) for name, value in meta.items() if name in fields})

    def reason(self, probabilities: np.ndarray, label_keys: list[str], stats: dict, verdict) -> str | None:
        """"unsure", "unfamiliar" or None (the label can be given)."""
        if verdict.mri_probability < self.min_mri_probability or stats["distance"] > self.max_distance:
            return "unfamiliar"
        best = int(np.argmax(probabilities))
        confidence = float(probabilities[best])
        if confidence < self.min_confidence:
            return "unsure"
        if label_keys[best] == NO_TUMOUR and confidence < self.min_no_tumour_confidence:
            return "unsure"
        return None
