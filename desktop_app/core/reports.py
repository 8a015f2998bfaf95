"""Reports: save a prediction as a pending report, doctor review with an audit trail, drafts, images."""

from __future__ import annotations

import io
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from desktop_app.core import events
from desktop_app.core.accounts import AccessDenied, Accounts, normalize_username
from desktop_app.core.errors import ServiceError
from desktop_app.core.labels import NOT_ASSESSABLE, finding_texts, key_of
from desktop_app.core.notifications import Notifications
from desktop_app.core.sync.outbox_kinds import CreateReport, ReviewReport
from desktop_app.core.sync.wire import SCAN_DOWNLOADING
from local_store import StoreError

log = logging.getLogger(__name__)

STATUSES = ("pending", "approved", "rejected")
ACTIONS = {"approve": "approved", "reject": "rejected", "save": None}
MAX_NOTES_LENGTH = 20_000
_HEATMAP_MAX_SIDE = 512
_MODEL_IMAGE_MAX_SIDE = 2048


class ReportError(ServiceError):
    """A refusal about a report (missing, wrong input for a review)."""


class ScanNotSaved(ReportError):
    """The store could not save a new scan's report; `disk_full` says whether any next one can be."""

    def __init__(self, image_name: str, cause: StoreError):
        if cause.disk_full:
            message = (f"The disk is full, so the scan “{image_name}” could not be saved. "
                       "Free some space and try again; nothing already saved was lost.")
        else:
            message = (f"The scan “{image_name}” could not be saved on this computer; nothing already saved "
                       f"was lost. (Details for clinic staff: {cause.user_message})")
        super().__init__(message)
        self.disk_full = cause.disk_full


@contextmanager
def _saving_scan(image_name: str | None) -> Iterator[None]:
    """A store failure while a new scan's report is saved becomes ScanNotSaved, naming the scan.

    What was saved before stays; a scan file stored for this report is removed at the next start
    (local_store.orphans)."""
    try:
        yield
    except StoreError as exc:
        raise ScanNotSaved(image_name or "scan", exc) from exc


class Reports:
    def __init__(
        self,
        store,
        bus: events.EventBus,
        accounts: Accounts,
        notifications: Notifications,
        *,
        clock: Callable[[], float] = time.time,
    ):
        self._store = store
        self._docs = store.collection("reports")
        self._drafts = store.collection("drafts")
        self._bus = bus
        self._accounts = accounts
        self._notifications = notifications
        self._clock = clock
        self._lock = threading.Lock()

    # ---- creating ---------------------------------------------------------------------------

    def create(self, username: str, image_bytes: bytes, image_name: str, prediction: Any) -> dict[str, Any]:
        """Saves the scan and its prediction as a pending report and queues it for sync.

        `prediction` is an inference `Prediction` or its dict; the model is never run here.
        """
        username = normalize_username(username)
        user = self._accounts.require_user()
        if user.is_patient and user.username != username:
            raise AccessDenied("You can only save scans to your own account.")
        patient = self._accounts.get(username)
        if user.is_doctor and (patient is None or not patient.is_patient):
            raise ReportError(f"There is no patient “{username}” on this computer.")
        if not image_bytes:
            raise ReportError("The image file is empty, so no report was saved.")
        p = _prediction_fields(prediction)
        if p["is_brain_mri"] is False:
            raise ReportError("This image does not look like a brain MRI, so no report was saved.")
        with _saving_scan(image_name):
            doc = self._new_doc(uuid.uuid4().hex, username, patient.doctor if patient else None, image_bytes,
                                image_name, p, created_by=user.username)
        return self._save_new(doc)

    def create_received(self, report_id: str, username: str | None, image_bytes: bytes, image_name: str,
                        prediction: Any, extra: dict[str, Any], *, created_by: str) -> dict[str, Any]:
        """A pending report made by this computer itself (a series from the DICOM receiver), no sign-in needed.

        `username` is the local patient it belongs to, or None: such a report stays on this computer
        (there is no patient account to send it under) until it is reviewed here.
        """
        patient = self._accounts.get(username) if username else None
        with _saving_scan(image_name):
            doc = self._new_doc(report_id, username, patient.doctor if patient else None, image_bytes, image_name,
                                _prediction_fields(prediction), created_by=created_by)
        doc.update(extra)
        return self._save_new(doc, queue=username is not None)

    def keep_png(self, array: Any, *, heatmap: bool, fast: bool = False) -> str | None:
        """A grayscale array (scan or 0..1 heatmap) kept as a PNG blob; its hash, or None.

        `fast` trades a somewhat bigger file for a several times quicker encoding (a series' slices).
        """
        return self._put_png(array, heatmap=heatmap, compress_level=1 if fast else None)

    def _new_doc(self, report_id: str, username: str | None, doctor: str | None, image_bytes: bytes,
                 image_name: str, p: dict[str, Any], *, created_by: str) -> dict[str, Any]:
        now = self._now_ms()
        return {
            "id": report_id,
            "server_id": None,
            "username": username,
            "doctor": doctor,
            "timestamp": now,
            "status": "pending",
            "doctor_notes": "",
            **{k: p[k] for k in ("label", "label_key", "confidence", "probabilities", "is_brain_mri", "abstained", "model_version", "timings_ms")},
            "image_hash": self._store.blobs.put(image_bytes, f"the scan “{image_name or 'scan'}”"),
            "image_name": image_name or "scan",
            "heatmap_hash": self._put_png(p["heatmap"], heatmap=True),
            "model_image_hash": self._put_png(p["image"], heatmap=False),
            "reviewed_by": None,
            "reviewed_at": None,
            "confirmed_label": None,
            "reject_reason": "",
            "audit": [{"at": now, "by": created_by, "action": "created", "status": "pending", "notes": "", "label": p["label_key"]}],
            "conflict": None,
            "updated_at": now,
        }

    def _save_new(self, doc: dict[str, Any], *, queue: bool = True) -> dict[str, Any]:
        report_id = doc["id"]
        with _saving_scan(doc["image_name"]):
            self._docs.put(report_id, doc)
        if queue:
            try:
                # A fixed key: `requeue_unsent` can tell whether this report was ever queued.
                CreateReport.queue(self._store.outbox, report_id)
            except StoreError as exc:  # the report itself is saved; it is queued at the next start
                log.warning("report %s saved but not queued for sync yet: %s", report_id, exc.user_message)
        log.info("report %s saved for %s (%s)", report_id, doc["username"], doc["label_key"])
        self._bus.emit(events.REPORT_CREATED, id=report_id, username=doc["username"])
        return doc

    def _put_png(self, array: Any, *, heatmap: bool, compress_level: int | None = None) -> str | None:
        """Keeps the heatmap (or the model's view of the scan) as a small PNG blob for viewers and PDFs."""
        if array is None:
            return None
        try:
            import numpy as np
            from PIL import Image

            data = np.asarray(array)
            if data.ndim != 2 or data.size == 0:
                return None
            if heatmap or data.dtype != np.uint8:
                data = (np.clip(np.nan_to_num(data.astype(np.float32)), 0.0, 1.0) * 255).round().astype(np.uint8)
            picture = Image.fromarray(data, mode="L")
            # Viewers stretch the heatmap over the scan, so a smooth map loses nothing at a lower size.
            limit = _HEATMAP_MAX_SIDE if heatmap else _MODEL_IMAGE_MAX_SIDE
            if max(picture.size) > limit:
                picture.thumbnail((limit, limit), Image.Resampling.BILINEAR)
            buffer = io.BytesIO()
            picture.save(buffer, format="PNG", **({} if compress_level is None else {"compress_level": compress_level}))
            return self._store.blobs.put(buffer.getvalue())
        except (ValueError, TypeError) as exc:
            log.warning("could not keep the %s image of a report (%s)", "heatmap" if heatmap else "model", exc)
            return None

    # ---- reading ---------------------------------------------------------------------------------

    def get(self, report_id: str) -> dict[str, Any] | None:
        """The report, or None when it is not on this computer; AccessDenied for another patient's."""
        user = self._accounts.require_user()
        doc = self._docs.get(report_id)
        if doc is not None and user.is_patient and doc.get("username") != user.username:
            raise AccessDenied("This report belongs to another patient.")
        return doc

    def raw(self, report_id: str) -> dict[str, Any] | None:
        """The report as stored, for this computer's own services (the DICOM receiver); no access check."""
        return self._docs.get(report_id)

    def for_patient(self, username: str) -> list[dict[str, Any]]:
        """One patient's reports, newest first. A signed-in patient may ask only for their own."""
        username = normalize_username(username)
        user = self._accounts.require_user()
        if user.is_patient and user.username != username:
            raise AccessDenied("You can only see your own reports.")
        return _newest_first(self._docs.find(username=username))

    def queue(self, status: str | None = None) -> list[dict[str, Any]]:
        """Every report on this computer (or those with `status`), newest first; doctors only."""
        self._accounts.require_user("doctor")
        if status is not None and status not in STATUSES:
            raise ReportError(f"Unknown status “{status}”: use pending, approved or rejected.")
        return _newest_first(self._docs.all() if status is None else self._docs.find(status=status))

    def image(self, report_id: str) -> bytes:
        return self._blob(report_id, "image_hash", "scan image")

    def heatmap_png(self, report_id: str) -> bytes | None:
        """The heatmap as an 8-bit grayscale PNG aligned to `model_image_png`, or None if not kept."""
        doc = self._require(report_id)
        return self._blob(report_id, "heatmap_hash", "heatmap") if doc.get("heatmap_hash") else None

    def model_image_png(self, report_id: str) -> bytes | None:
        """The scan as the model saw it (grayscale PNG), or None if not kept."""
        doc = self._require(report_id)
        return self._blob(report_id, "model_image_hash", "scan") if doc.get("model_image_hash") else None

    def _blob(self, report_id: str, field: str, what: str) -> bytes:
        doc = self._require(report_id)
        digest = doc.get(field)
        if field == "image_hash" and not digest and doc.get(SCAN_DOWNLOADING):
            raise ReportError("The scan is still downloading from the server. It will appear after the next sync.")
        try:
            return self._store.blobs.get(digest)
        except (KeyError, OSError, TypeError) as exc:  # the store's BlobMissingError is a KeyError
            raise ReportError(f"The {what} of this report is missing on this computer.") from exc

    def _require(self, report_id: str) -> dict[str, Any]:
        doc = self.get(report_id)
        if doc is None:
            raise ReportError("This report is not on this computer.")
        return doc

    # ---- reviewing ---------------------------------------------------------------------------

    def review(
        self,
        report_id: str,
        doctor: str,
        action: str,
        notes: str = "",
        label: str | None = None,
        reason: str = "",
    ) -> dict[str, Any]:
        """Approve, reject (with a reason and the correct finding) or save notes; audited and queued for sync."""
        user = self._accounts.require_user("doctor")
        if normalize_username(doctor) != user.username:
            raise AccessDenied("Reviews are recorded under the signed-in doctor's name.")
        if action not in ACTIONS:
            raise ReportError("Choose approve, reject or save.")
        notes = (notes or "").strip()
        reason = (reason or "").strip()
        if len(notes) > MAX_NOTES_LENGTH:
            raise ReportError(f"Notes can be at most {MAX_NOTES_LENGTH} characters.")
        with self._lock:
            doc = self._require(report_id)
            confirmed = self._confirmed_finding(doc, action, label, reason)
            now = self._now_ms()
            status = ACTIONS[action] or doc.get("status", "pending")
            updated = {**doc, "doctor_notes": notes, "status": status, "updated_at": now}
            entry = {"at": now, "by": user.username, "action": action, "status": status, "notes": notes,
                     "label": confirmed, "reason": reason if action == "reject" else ""}
            if action != "save":
                updated.update(reviewed_by=user.username, reviewed_at=now, confirmed_label=confirmed,
                               reject_reason=reason if action == "reject" else "")
                # A decision settles a sync conflict; what the conflict was stays in the audit trail.
                if doc.get("conflict"):
                    entry["resolved_conflict"] = doc["conflict"]
                    updated["conflict"] = None
            updated["audit"] = [*doc.get("audit", []), entry]
            # Queued before the report is written: the entry carries the whole decision, so a crash
            # between the two writes still brings the decision back from the server, never loses it.
            if doc.get("username"):  # a report with no patient account never leaves this computer
                ReviewReport.queue(self._store.outbox, {"report_id": report_id, "action": action, "notes": notes,
                                                        "label": confirmed, "reason": entry["reason"],
                                                        "doctor": user.username})
            self._docs.put(report_id, updated)
            if self._drafts.get(report_id) is not None:
                self._drafts.delete(report_id)
        if action != "save" and updated.get("username"):
            self._notify_patient(updated, user.display_name)
        log.info("report %s: %s by %s", report_id, action, user.username)
        self._bus.emit(events.REPORT_REVIEWED, id=report_id, action=action, username=updated.get("username"))
        return updated

    @staticmethod
    def _confirmed_finding(doc: dict[str, Any], action: str, label: str | None, reason: str) -> str | None:
        """What the doctor confirms: the model's finding on approve, the given one (or not assessable) on reject."""
        predicted = doc.get("label_key") or key_of(doc.get("label"))
        if action == "approve":
            if label and key_of(label) != predicted:
                raise ReportError("Approving confirms the model's finding. To record a different finding, reject the report and choose the correct one.")
            return predicted
        if action == "reject":
            if not reason:
                raise ReportError("Please give a reason for rejecting this report.")
            if not label:
                return NOT_ASSESSABLE
            key = key_of(label)
            if key is None:
                raise ReportError(f"Unknown finding “{label}”: choose one of {', '.join(finding_texts().values())}.")
            if key == predicted:
                raise ReportError(f"Rejecting means the model's finding ({finding_texts()[key]}) is not right: "
                                  "choose a different finding, or “Not assessable — needs another "
                                  "scan”. To confirm the model's finding, approve the report.")
            return key
        return doc.get("confirmed_label")

    def _notify_patient(self, report: dict[str, Any], doctor_name: str) -> None:
        # No diagnosis in the notification itself: it may be shown in a system tray others can see.
        verdict = "confirmed the preliminary result" if report["status"] == "approved" else "did not confirm the preliminary result"
        self._notifications.add(
            report["username"],
            "report_reviewed",
            "Your scan has been reviewed",
            f"{doctor_name} reviewed your scan and {verdict}. {self._what_to_read(report)}",
            ref=report["id"],
        )

    @staticmethod
    def _what_to_read(report: dict[str, Any]) -> str:
        """Points to the notes only when there are some (a bare approval has none)."""
        if (report.get("doctor_notes") or "").strip() or report.get("reject_reason"):
            return "Open the report to read your doctor's notes."
        return "Open the report to see the review."

    def requeue_unsent(self) -> int:
        """Queues reports saved here but never queued (a crash between the two writes); returns how many."""
        outbox = self._store.outbox
        missing = [d["id"] for d in self._docs.find(server_id=None)
                   if d.get("id") and d.get("username") and outbox.get(CreateReport.key(d["id"])) is None]
        for report_id in missing:
            log.warning("report %s was saved but not queued for sync; queuing it now", report_id)
            CreateReport.queue(outbox, report_id)
        return len(missing)

    # ---- drafts ----------------------------------------------------------------------------------

    def save_draft(self, report_id: str, text: str) -> None:
        """Keeps the doctor's unsaved notes durably (they survive a crash or power cut)."""
        user = self._accounts.require_user("doctor")
        self._require(report_id)
        self._drafts.put(report_id, {"report_id": report_id, "doctor": user.username, "text": text or "",
                                     "updated_at": self._now_ms()})
        self._bus.emit(events.REPORT_DRAFT_SAVED, id=report_id)

    def load_draft(self, report_id: str) -> str | None:
        """The signed-in doctor's draft notes for the report, or None."""
        user = self._accounts.require_user("doctor")
        draft = self._drafts.get(report_id)
        if draft is None or draft.get("doctor") != user.username:
            return None
        return draft.get("text", "")

    def discard_draft(self, report_id: str) -> None:
        self._accounts.require_user("doctor")
        if self._drafts.get(report_id) is not None:
            self._drafts.delete(report_id)

    def _now_ms(self) -> int:
        return int(self._clock() * 1000)


def _newest_first(docs) -> list[dict[str, Any]]:
    return sorted(docs, key=lambda d: (d.get("timestamp") or 0, d.get("id") or ""), reverse=True)


def _prediction_fields(prediction: Any) -> dict[str, Any]:
    """The fields a report keeps, from a Prediction object or its dict."""
    if isinstance(prediction, dict):
        get = prediction.get
    else:
        def get(name: str, default: Any = None) -> Any:
            return getattr(prediction, name, default)
    label = get("label")
    if not label:
        raise ReportError("The prediction has no result, so no report was saved.")
    probabilities = {str(k): float(v) for k, v in (get("probabilities") or {}).items()}
    confidence = get("confidence")
    return {
        "label": str(label),
        "label_key": get("label_key") or key_of(label) or str(label).lower(),
        "confidence": float(confidence) if confidence is not None else max(probabilities.values(), default=None),
        "probabilities": probabilities,
        "is_brain_mri": None if get("is_brain_mri") is None else bool(get("is_brain_mri")),
        "abstained": bool(get("abstained", False)),
        "model_version": get("model_version"),
        "timings_ms": {str(k): float(v) for k, v in (get("timings_ms") or {}).items()},
        "heatmap": get("heatmap"),
        "image": get("image"),
    }
