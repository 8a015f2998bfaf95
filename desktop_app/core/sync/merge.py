"""How a server report meets its local copy: server decisions win, unsent local ones survive, conflicts stay."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from desktop_app.core.sync.wire import ACTION_TO_STATUS, DECIDED, report_decision

_SERVER_WINS = ("status", "doctor_notes", "reviewed_by", "reviewed_at", "confirmed_label", "reject_reason")


@dataclass
class ReportMerge:
    doc: dict[str, Any]
    changed: bool = False
    newly_decided: bool = False  # the patient should hear their report was reviewed
    new_conflict: bool = False  # the doctor should hear two decisions disagree


def _decision_summary(source: dict[str, Any], detected_at: int) -> dict[str, Any]:
    return {
        "status": source.get("status"),
        "doctor_notes": source.get("doctor_notes") or "",
        "reviewed_by": source.get("reviewed_by"),
        "reviewed_at": source.get("reviewed_at"),
        "detected_at": detected_at,
    }


def merge_report(
    local: dict[str, Any], record: dict[str, Any], unsent_review: dict[str, Any] | None, now_ms: int
) -> ReportMerge:
    """Merge a wire report into `local` (not modified). `unsent_review`: the latest review still in the outbox."""
    remote = report_decision(record)
    doc = copy.deepcopy(local)
    result = ReportMerge(doc)
    if unsent_review is not None:
        # A local decision not yet sent is never overwritten; a different server decision is kept beside it.
        local_status = ACTION_TO_STATUS.get(str(unsent_review.get("action")), doc.get("status"))
        if remote["status"] in DECIDED and remote["status"] != local_status:
            _set_conflict(result, _decision_summary(remote, now_ms))
        return result
    same = all(doc.get(k) == remote[k] for k in ("status", "doctor_notes"))
    if same:  # an open conflict stays until a doctor resolves it
        for key in ("reviewed_by", "reviewed_at", "confirmed_label", "reject_reason"):
            if remote[key] is not None and doc.get(key) != remote[key]:
                doc[key] = remote[key]
                result.changed = True
        return result
    local_status = doc.get("status")
    if local_status in DECIDED and remote["status"] in DECIDED and local_status != remote["status"]:
        # This device's decision already reached the server and another one replaced it.
        _set_conflict(result, _decision_summary(doc, now_ms))
    result.newly_decided = local_status not in DECIDED and remote["status"] in DECIDED
    for key in _SERVER_WINS:
        if remote[key] is not None or key in ("status", "doctor_notes"):
            doc[key] = remote[key]
    doc.setdefault("audit", []).append(
        {"at": now_ms, "by": remote["reviewed_by"] or "server", "action": "synced",
         "status": remote["status"], "notes": remote["doctor_notes"], "label": remote["confirmed_label"]}
    )
    doc["updated_at"] = now_ms
    result.changed = True
    return result


def _set_conflict(result: ReportMerge, other: dict[str, Any]) -> None:
    current = result.doc.get("conflict") or {}
    if (current.get("status"), current.get("doctor_notes")) == (other["status"], other["doctor_notes"]):
        return
    result.doc["conflict"] = other
    result.changed = True
    result.new_conflict = True


def fold_pulled_copy(
    original: dict[str, Any], copy_doc: dict[str, Any], unsent_review: dict[str, Any] | None, now_ms: int
) -> ReportMerge:
    """Our own report, pulled as a separate copy before our send's answer arrived, folded back into
    the original (`original` is not modified).

    The original keeps what only this device knows (its prediction, scan, heatmap, timestamp, id).
    The copy holds the server's latest decision, so its review fields win, exactly as a pull would
    apply them (an unsent local decision still survives, a different server one becomes a conflict);
    the copy's audit entries are added once, and its scan is taken when the original has none.
    """
    result = merge_report(original, copy_doc, unsent_review, now_ms)
    doc = result.doc
    if len(doc.get("audit", [])) > len(original.get("audit", [])):
        doc["audit"].pop()  # the copy's own audit, added below, already records what the server decided
    if not doc.get("conflict") and copy_doc.get("conflict"):
        doc["conflict"] = copy.deepcopy(copy_doc["conflict"])
    seen = {_audit_key(entry) for entry in doc.get("audit", [])}
    for entry in copy_doc.get("audit", []):
        if entry.get("action") != "received" and _audit_key(entry) not in seen:
            doc.setdefault("audit", []).append(copy.deepcopy(entry))
            seen.add(_audit_key(entry))
    if not doc.get("image_hash") and copy_doc.get("image_hash"):
        doc["image_hash"], doc["image_name"] = copy_doc["image_hash"], copy_doc.get("image_name")
    doc["updated_at"] = now_ms
    result.changed = True
    result.newly_decided = False  # the patient already heard it, from the copy (now pointing here)
    return result


def _audit_key(entry: dict[str, Any]) -> tuple:
    return entry.get("at"), entry.get("by"), entry.get("action"), entry.get("status")
