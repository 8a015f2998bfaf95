"""Reports: /predict (real inference, idempotent), listing with cursors, doctor review with an audit trail."""

from __future__ import annotations

import json
import math
import time
import uuid
from typing import Any

from flask import Blueprint, Response, jsonify

from desktop_app.core.labels import wire_label_key
from server import auth
from server.errors import ApiError
from server.inference import decode_image_b64, decode_scan
from server.routes import state, wire_answer
from server.validation import cursor, json_body, name, number, path_id, text

blueprint = Blueprint("reports", __name__)

REVIEW_NOTE = "Automated triage result. Awaiting a doctor's review; this is not a diagnosis."
ACTIONS = {"approve": "approved", "reject": "rejected", "save": None}
_EARLIEST_MS = 946_684_800_000  # 2000-01-01: older device clocks are wrong, not history


def report_wire(row: dict[str, Any]) -> dict[str, Any]:
    """A stored report in the legacy wire shape plus the project's additions."""
    return {
        "id": row["id"],
        "username": row["username"],
        "timestamp": row["timestamp"],
        "status": row["status"],
        "doctor_notes": row["doctor_notes"],
        "report": {
            "label": row["label"],
            "confidence": row["confidence"],
            "model_version": row["model_version"],
            "notes": row["notes"],
            "label_key": row["label_key"],
            "probabilities": json.loads(row["probabilities"]) if row["probabilities"] else {},
            "is_brain_mri": row["is_brain_mri"],
            "abstained": bool(row.get("abstained")),
        },
        "doctor": row["doctor"],
        "reviewed_by": row["reviewed_by"],
        "reviewed_at": row["reviewed_at"],
        "confirmed_label": row["confirmed_label"],
        "reject_reason": row["reject_reason"],
        "source": row["source"],
        "has_image": bool(row["image_hash"]),
        "updated_at": row["updated_at"],
        # The device's own id: a device that pulls its report before its send's answer arrives
        # recognises it instead of showing a second copy.
        "client_report_id": row["client_report_id"],
    }


def _predict_answer(row: dict[str, Any], created: bool) -> dict[str, Any]:
    wire = report_wire(row)
    return {**{k: wire["report"][k] for k in ("label", "confidence", "model_version", "notes")},
            "report_id": row["id"], "probabilities": wire["report"]["probabilities"],
            "is_brain_mri": row["is_brain_mri"], "label_key": row["label_key"],
            "status": row["status"], "timestamp": row["timestamp"], "created": created}


def _device_prediction(value: Any) -> dict[str, Any] | None:
    """The device's own result (so an offline report keeps what the patient saw), checked field by field."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ApiError(400, "invalid_field", field="prediction")
    label = text(value, "label", max_len=100, required=True, missing="invalid_prediction")
    confidence = number(value, "confidence", low=0.0, high=1.0)
    probabilities = value.get("probabilities") or {}
    if not isinstance(probabilities, dict) or len(probabilities) > 50 or not all(
        isinstance(k, str) and len(k) <= 100 and isinstance(p, int | float) and not isinstance(p, bool)
        and math.isfinite(p) and 0.0 <= p <= 1.0 for k, p in probabilities.items()
    ):
        raise ApiError(400, "invalid_field", field="prediction.probabilities")
    is_mri = value.get("is_brain_mri", True)
    if not isinstance(is_mri, bool):
        raise ApiError(400, "invalid_field", field="prediction.is_brain_mri")
    abstained = value.get("abstained", False)
    if not isinstance(abstained, bool):
        raise ApiError(400, "invalid_field", field="prediction.abstained")
    return {
        "label": label,
        "label_key": text(value, "label_key", max_len=100) or wire_label_key(label),
        "confidence": confidence,
        "probabilities": {k: float(p) for k, p in probabilities.items()},
        "is_brain_mri": is_mri,
        "abstained": abstained,
        "model_version": text(value, "model_version", max_len=200) or "device",
    }


def _server_prediction(scan: Any) -> dict[str, Any]:
    p = state().engine.predict(scan, head=state().federation.serving_head())
    return {
        "label": p.label, "label_key": p.label_key, "confidence": float(p.confidence),
        "probabilities": {str(k): float(v) for k, v in p.probabilities.items()},
        "is_brain_mri": bool(p.is_brain_mri), "model_version": str(p.model_version),
        "abstained": bool(p.abstained),
    }


@blueprint.post("/predict")
def predict():
    body = json_body()
    username = name(body, "username")
    caller = auth.require_caller(legacy_name=username)
    owner = username or caller.username
    st = state()
    if owner != caller.username:
        if not caller.is_doctor:
            raise ApiError(403, "forbidden")
        target = st.storage.get_user(owner)
        if target is None or target["role"] != "patient":
            raise ApiError(404, "unknown_user")
    client_report_id = text(body, "client_report_id", max_len=100)
    if client_report_id:
        existing = st.storage.report_by_client_id(owner, client_report_id)
        if existing:
            return jsonify(_predict_answer(existing, created=False))
    image = decode_image_b64(body.get("image_b64"), st.config.max_image_bytes)
    image_name = text(body, "image_name", max_len=255, default="scan.jpg")
    device = _device_prediction(body.get("prediction"))
    timestamp = number(body, "timestamp", low=_EARLIEST_MS, high=time.time() * 1000 + 86_400_000)
    with st.decodes.slot():
        scan = decode_scan(image, image_name, st.config.max_image_pixels)
        result = device or _server_prediction(scan)
        del scan  # the decoded pixels go before the report is written
    if not result["is_brain_mri"]:
        raise ApiError(422, "not_brain_mri",
                       message="This picture does not look like a brain MRI, so no report was made.")
    now = auth.now_ms()
    owner_user = st.storage.get_user(owner)
    record = {
        "id": str(uuid.uuid4()), "username": owner, "doctor": owner_user["doctor"] if owner_user else None,
        "timestamp": int(timestamp) if timestamp else now, "status": "pending", "doctor_notes": "",
        "label": result["label"], "label_key": result["label_key"], "confidence": result["confidence"],
        "probabilities": json.dumps(result["probabilities"]), "is_brain_mri": True,
        "abstained": result["abstained"],
        "model_version": result["model_version"], "notes": REVIEW_NOTE,
        "source": "device" if device else "server", "image_hash": st.blobs.put(image),
        "client_report_id": client_report_id, "created_by": caller.username, "updated_at": now,
    }
    audit = {"at": now, "by": caller.username, "action": "created", "status": "pending", "notes": "",
             "label": result["label_key"]}
    row, created = st.storage.create_report(record, audit)
    return jsonify(_predict_answer(row, created))


@blueprint.post("/list_reports")
def list_reports():
    body = json_body()
    who = name(body, "username")
    caller = auth.require_caller(legacy_name=None if who in ("all", "pending") else who)
    since = cursor(body)
    who = who or caller.username
    if (who in ("all", "pending") or who != caller.username) and not caller.is_doctor:
        raise ApiError(403, "forbidden")
    limit = state().config.page_size if since is not None else None
    found = state().storage.reports_wire(
        username=None if who in ("all", "pending") else who,
        status="pending" if who == "pending" else None,
        since=since,
        limit=limit,
    )
    return wire_answer("reports", found, since, limit)


def _readable_report(caller: auth.Caller, report_id: str) -> dict[str, Any]:
    row = state().storage.get_report(report_id)
    # A patient asking for someone else's report learns nothing, not even that it exists.
    if row is None or (not caller.is_doctor and row["username"] != caller.username):
        raise ApiError(404, "not_found")
    return row


@blueprint.post("/get_report")
def get_report():
    body = json_body()
    report_id = text(body, "report_id", max_len=64, required=True, missing="report_id required")
    caller = auth.require_caller()
    row = _readable_report(caller, report_id)
    audit = [
        {k: entry[k] for k in ("at", "by", "action", "status", "notes", "label")}
        for entry in state().storage.report_audit(report_id)
    ]
    return jsonify(report=report_wire(row), audit=audit)


@blueprint.get("/report_image/<report_id>")
def report_image(report_id: str):
    caller = auth.require_caller()
    report_id = path_id(report_id, max_len=64)
    if report_id is None:
        raise ApiError(404, "not_found")
    row = _readable_report(caller, report_id)
    if not row["image_hash"] or not state().blobs.exists(row["image_hash"]):
        raise ApiError(404, "no_image")
    return Response(state().blobs.get(row["image_hash"]), mimetype="application/octet-stream",
                    headers={"Cache-Control": "private, no-store"})


@blueprint.post("/doctor_update_report")
def doctor_update_report():
    body = json_body()
    report_id = text(body, "report_id", max_len=64, required=True, missing="report_id required")
    caller = auth.require_doctor()
    action = text(body, "action", max_len=20, default="save")
    if action not in ACTIONS:
        raise ApiError(400, "invalid_action")
    st = state()
    notes = text(body, "doctor_notes", max_len=st.config.max_notes_chars)
    label = text(body, "label", max_len=100) or text(body, "confirmed_label", max_len=100)
    reason = text(body, "reject_reason", max_len=st.config.max_notes_chars)
    client_review_id = text(body, "client_review_id", max_len=100)
    row = st.storage.get_report(report_id)
    if row is None:
        raise ApiError(404, "not_found")
    now = auth.now_ms()
    changes: dict[str, Any] = {"updated_at": now}
    if notes is not None:
        changes["doctor_notes"] = notes
    new_status = ACTIONS[action] or row["status"]
    if action == "save":
        if label:
            changes["confirmed_label"] = label
    else:
        changes.update(status=new_status, reviewed_by=caller.username, reviewed_at=now,
                       confirmed_label=label or (row["label_key"] if action == "approve" else None),
                       reject_reason=reason if action == "reject" else None)
    audit = {"at": now, "by": caller.username, "action": action, "status": new_status,
             "notes": notes if notes is not None else row["doctor_notes"], "label": label}
    # With a client key a resend after a lost answer changes nothing: no second audit row, same time.
    updated, applied = st.storage.update_report(report_id, changes, audit, client_review_id=client_review_id)
    if updated is None:
        raise ApiError(404, "not_found")
    return jsonify(status="ok", message="report_updated", report=report_wire(updated), applied=applied)
