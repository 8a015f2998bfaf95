"""Per-slice model results of a series, read defensively, and their honest aggregate."""

from __future__ import annotations

from collections import Counter
from typing import Any

from desktop_app.core.labels import is_tumour, key_of

ABSTAIN_KEYS = {"abstained", "abstain", "uncertain"}
NOT_MRI_KEYS = {"not_brain_mri"}


def _field(prediction: Any, name: str, default: Any = None) -> Any:
    if isinstance(prediction, dict):
        return prediction.get(name, default)
    return getattr(prediction, name, default)


def slice_result(prediction: Any) -> dict[str, Any]:
    """The stored fields of one slice's prediction; tolerant of fields a newer model adds or drops."""
    label_key = str(_field(prediction, "label_key") or key_of(_field(prediction, "label")) or "")
    probabilities = {str(k): float(v) for k, v in (_field(prediction, "probabilities") or {}).items()}
    is_mri = _field(prediction, "is_brain_mri")
    abstained = bool(_field(prediction, "abstained", False)) or label_key in ABSTAIN_KEYS
    tumour = sum(v for k, v in probabilities.items() if is_tumour(k))
    confidence = _field(prediction, "confidence")
    return {
        "label": str(_field(prediction, "label") or ""),
        "label_key": label_key,
        "confidence": float(confidence) if confidence is not None else None,
        "probabilities": probabilities,
        "is_brain_mri": None if is_mri is None else bool(is_mri),
        "abstained": abstained,
        "tumour_probability": round(float(tumour), 4),
    }


def assessable(result: dict[str, Any]) -> bool:
    return result["is_brain_mri"] is not False and not result["abstained"] and result["label_key"] not in NOT_MRI_KEYS


def key_slice_index(results: list[dict[str, Any]]) -> int | None:
    """The assessable slice with the highest tumour probability (None when no slice is assessable)."""
    candidates = [i for i, r in enumerate(results) if assessable(r)]
    if not candidates:
        return None
    return max(candidates, key=lambda i: results[i]["tumour_probability"])


def summarise(results: list[dict[str, Any]]) -> dict[str, Any]:
    """Counts per finding, abstentions and non-MRI slices, and one sentence that says whether they agree."""
    findings = Counter(r["label"] or r["label_key"] for r in results if assessable(r))
    abstained = sum(1 for r in results if r["abstained"])
    not_mri = sum(1 for r in results if r["is_brain_mri"] is False and not r["abstained"])
    total = len(results)
    parts = []
    if len(findings) == 1:
        (finding, count), = findings.items()
        parts.append(f"All {count} assessable slices read as {finding}." if count > 1 else f"One assessable slice: {finding}.")
    elif findings:
        spread = ", ".join(f"{count} {finding}" for finding, count in findings.most_common())
        parts.append(f"Slices disagree: {spread}.")
    else:
        parts.append("No slice could be assessed by the model.")
    if abstained:
        parts.append(f"The model abstained on {abstained} of {total} slices.")
    if not_mri:
        parts.append(f"{not_mri} of {total} slices do not look like a brain MRI.")
    return {"findings": dict(findings), "abstained": abstained, "not_brain_mri": not_mri,
            "slices_read": total, "agree": len(findings) <= 1, "summary": " ".join(parts)}
