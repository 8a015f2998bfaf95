"""Translation between wire records (API.md shapes) and the app's documents."""

from __future__ import annotations

from typing import Any

from desktop_app.core.labels import wire_label_key

DECIDED = ("approved", "rejected")
ACTION_TO_STATUS = {"approve": "approved", "approved": "approved", "reject": "rejected", "rejected": "rejected"}
STATUS_TO_ACTION = {"approved": "approve", "rejected": "reject"}
SCAN_DOWNLOADING = "scan_downloading"  # on a pulled report whose scan has not arrived yet (sync/scans.py)

def chat_seconds_to_ms(value: Any) -> int:
    """The wire's chat times are Unix seconds (maybe fractional); the app keeps milliseconds."""
    try:
        return int(round(float(value) * 1000))
    except (TypeError, ValueError):
        return 0


def report_decision(record: dict[str, Any]) -> dict[str, Any]:
    """The review part of a wire report; absent extras (legacy) come back as None."""
    return {
        "status": record.get("status") or "pending",
        "doctor_notes": record.get("doctor_notes") or "",
        "reviewed_by": record.get("reviewed_by"),
        "reviewed_at": record.get("reviewed_at"),
        "confirmed_label": record.get("confirmed_label"),
        "reject_reason": record.get("reject_reason"),
    }


def report_from_wire(record: dict[str, Any], *, doctor: str | None, now_ms: int) -> dict[str, Any]:
    """A new local report document for a report first seen on the server."""
    result = record.get("report") or {}
    label = result.get("label")
    decision = report_decision(record)
    return {
        "id": str(record["id"]),
        "server_id": str(record["id"]),
        "username": record.get("username"),
        "doctor": record.get("doctor") or doctor,
        "timestamp": int(record.get("timestamp") or now_ms),
        **decision,
        "label": label,
        "label_key": result.get("label_key") or wire_label_key(label),
        "confidence": result.get("confidence"),
        "probabilities": result.get("probabilities") or record.get("probabilities") or {},
        "is_brain_mri": result.get("is_brain_mri", True),
        "abstained": bool(result.get("abstained", False)),
        "model_version": result.get("model_version"),
        "image_hash": None,  # the image stays on the server until it is fetched
        "image_name": None,
        "audit": [{"at": now_ms, "by": decision["reviewed_by"] or "server", "action": "received",
                   "status": decision["status"], "notes": decision["doctor_notes"], "label": label}],
        "conflict": None,
        "updated_at": now_ms,
    }


def message_from_wire(record: dict[str, Any], *, now_ms: int) -> dict[str, Any]:
    return {
        "id": str(record["id"]),
        "server_id": str(record["id"]),
        "sender": record.get("sender"),
        "receiver": record.get("receiver"),
        "message": record.get("message") or "",
        "timestamp": chat_seconds_to_ms(record.get("timestamp")) or now_ms,
        "state": "sent",
        "read_by": [record.get("sender")],
    }


def prediction_payload(report: dict[str, Any]) -> dict[str, Any]:
    """The device's own result, sent with the image so the server keeps what the patient saw."""
    keys = ("label", "label_key", "confidence", "probabilities", "is_brain_mri", "abstained", "model_version")
    return {k: report.get(k) for k in keys if report.get(k) is not None}
