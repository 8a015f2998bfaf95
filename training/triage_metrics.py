"""Figures of a set of slices as a triage tool is judged: what reaches the doctor, what is missed.

Counting rules (the same for every source):
- an abstention ("the model cannot judge this scan") sends the scan to the doctor: it counts as a
  tumour call for sensitivity, and never as a correct "no tumour";
- a slice refused as "not a brain MRI" gets no report: a missed tumour, a wrong "no tumour";
- confidently wrong: a label given (not abstained, not refused) with confidence ≥ 90 % that is
  wrong (for a tumour of unrecorded type: "no tumour" is wrong, any tumour type is right).
"""

from __future__ import annotations

import numpy as np

from desktop_app.core.labels import NO_TUMOUR
from training.dataset import LABEL_KEYS, TUMOUR_UNKNOWN

NOTUMOR = LABEL_KEYS.index(NO_TUMOUR)
CONFIDENT = 0.9


def outcome_arrays(predictions: list, label_keys: list[str]) -> dict[str, np.ndarray]:
    """Per prediction (None = unreadable): best class, confidence, abstained, refused."""
    best = np.array([label_keys.index(p.label_key) if p and p.is_brain_mri else -1 for p in predictions])
    return {
        "best": best,
        "confidence": np.array([p.confidence if p else 0.0 for p in predictions]),
        "abstained": np.array([bool(p and p.is_brain_mri and p.abstained) for p in predictions]),
        "refused": np.array([not (p and p.is_brain_mri) for p in predictions]),
    }


def triage_metrics(labels: np.ndarray, outcome: dict[str, np.ndarray]) -> dict:
    """Sensitivity, specificity, balanced accuracy, abstention, refusal and confident-wrong rates."""
    best, abstained, refused = outcome["best"], outcome["abstained"], outcome["refused"]
    labelled = ~abstained & ~refused
    tumour = labels != NOTUMOR
    sent_as_tumour = abstained | (labelled & (best != NOTUMOR))
    right = np.where(labels == TUMOUR_UNKNOWN, best != NOTUMOR, best == labels)
    wrong_confident = labelled & ~right & (outcome["confidence"] >= CONFIDENT)
    figures = {
        "slices": int(len(labels)),
        "abstained": round(float(abstained.mean()), 4) if len(labels) else 0.0,
        "refused_as_not_mri": round(float(refused.mean()), 4) if len(labels) else 0.0,
        "confident_wrong": round(float(wrong_confident.mean()), 4) if len(labels) else 0.0,
        "accuracy_when_labelled": round(float(right[labelled].mean()), 4) if labelled.any() else None,
    }
    if tumour.any():
        figures["tumour_sensitivity"] = round(float(sent_as_tumour[tumour].mean()), 4)
        figures["tumours_called_no_tumour"] = int((labelled & (best == NOTUMOR))[tumour].sum())
    if (~tumour).any():
        figures["no_tumour_specificity"] = round(float((labelled & (best == NOTUMOR))[~tumour].mean()), 4)
    if tumour.any() and (~tumour).any():
        figures["balanced_accuracy"] = round(
            (figures["tumour_sensitivity"] + figures["no_tumour_specificity"]) / 2, 4
        )
    return figures
