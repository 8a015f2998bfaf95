"""Imports a legacy server's folder (users, reports, chat, weight uploads, images) without losing a record."""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from server.storage import BlobStore, DuplicateError, Storage
from server.storage import conversation_key as pair_key

log = logging.getLogger(__name__)

_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_STATUSES = {"pending", "approved", "rejected"}


@dataclass
class ImportReport:
    """What was imported, what was already there, and what could not be imported (with why)."""

    imported: Counter = field(default_factory=Counter)
    already_present: Counter = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        kinds = ("users", "reports", "images", "messages", "weight_files", "unlinked_images")
        out = [f"imported {self.imported[k]} {k.replace('_', ' ')}" for k in kinds]
        out += [f"already present (skipped) {n} {k}" for k, n in sorted(self.already_present.items())]
        out += [f"note: {n}" for n in self.notes]
        out += [f"NOT IMPORTED: {p}" for p in self.problems]
        return out


def import_legacy(root: Path, storage: Storage, blobs: BlobStore) -> ImportReport:
    root = Path(root)
    report = ImportReport()
    if not root.is_dir():
        report.problems.append(f"{root} is not a folder")
        return report
    linked_images: set[Path] = set()
    _import_users(root / "fl_server" / "storage" / "users.json", storage, report)
    _import_reports(root / "reports", root / "uploads", storage, blobs, report, linked_images)
    _import_messages(root / "chat_messages.json", storage, report)
    _import_weights(root / "fl_server" / "storage", storage, blobs, report)
    _import_unlinked_images(root / "uploads", blobs, report, linked_images)
    return report


def _read_json(path: Path, report: ImportReport) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        report.problems.append(f"{path}: unreadable ({type(exc).__name__}: {exc})")
        return None


def _import_users(path: Path, storage: Storage, report: ImportReport) -> None:
    if not path.exists():
        report.notes.append(f"no {path.name} found (no users to import)")
        return
    users = _read_json(path, report)
    if users is None:
        return
    if not isinstance(users, dict):
        report.problems.append(f"{path}: expected an object of users, found {type(users).__name__}")
        return
    for username, record in users.items():
        if not isinstance(record, dict) or not isinstance(record.get("password"), str) or not username:
            report.problems.append(f"user {username!r}: no usable password hash")
            continue
        role = record.get("role") if record.get("role") in ("patient", "doctor") else "patient"
        try:
            storage.create_user({
                "username": str(username)[:150], "email": str(record.get("email") or "")[:320],
                # The werkzeug hash is kept as it is: it still signs in, and is upgraded at that moment.
                "password_hash": record["password"], "role": role, "is_admin": False,
                "doctor": record.get("doctor") if isinstance(record.get("doctor"), str) else None,
                "full_name": str(record.get("full_name") or "")[:300],
                "created_at": int(time.time() * 1000), "imported": True,
            })
            report.imported["users"] += 1
        except DuplicateError:
            report.already_present["users"] += 1


def _import_reports(folder: Path, uploads: Path, storage: Storage, blobs: BlobStore,
                    report: ImportReport, linked: set[Path]) -> None:
    if not folder.is_dir():
        report.notes.append("no reports/ folder found")
        return
    images = {p.stem: p for p in uploads.iterdir() if p.is_file()} if uploads.is_dir() else {}
    for path in sorted(folder.glob("*.json")):
        record = _read_json(path, report)
        if record is None:
            continue
        if not isinstance(record, dict) or not isinstance(record.get("username"), str):
            report.problems.append(f"{path.name}: not a report record (no username)")
            continue
        legacy_id = str(record.get("id") or path.stem)
        report_id = legacy_id if _ID.match(legacy_id) else str(uuid.uuid4())
        if storage.get_report(report_id):
            report.already_present["reports"] += 1
            continue
        image_hash = None
        image_path = images.get(legacy_id) or images.get(path.stem)
        if image_path is not None:
            image_hash = blobs.put(image_path.read_bytes())
            linked.add(image_path)
            report.imported["images"] += 1
        result = record.get("report") if isinstance(record.get("report"), dict) else {}
        status = record.get("status") if record.get("status") in _STATUSES else "pending"
        timestamp = _int(record.get("timestamp")) or int(path.stat().st_mtime * 1000)
        label = result.get("label") if isinstance(result.get("label"), str) else None
        storage.create_report(
            {
                "id": report_id, "username": record["username"][:150], "doctor": None, "timestamp": timestamp,
                "status": status, "doctor_notes": str(record.get("doctor_notes") or ""),
                "label": label, "label_key": label.strip().lower().replace(" ", "_") if label else None,
                "confidence": _float(result.get("confidence")), "probabilities": None, "is_brain_mri": None,
                "model_version": str(result.get("model_version") or "")[:200] or None,
                "notes": str(result.get("notes") or ""), "source": "legacy", "image_hash": image_hash,
                "client_report_id": None, "created_by": None, "updated_at": int(time.time() * 1000),
            },
            {"at": int(time.time() * 1000), "by": "import", "action": "imported", "status": status,
             "notes": str(record.get("doctor_notes") or ""), "label": None},
        )
        report.imported["reports"] += 1
        if report_id != legacy_id:
            report.notes.append(f"{path.name}: id {legacy_id!r} was not usable; imported as {report_id}")
        if storage.get_user(record["username"]) is None:
            report.notes.append(f"{path.name}: patient {record['username']!r} has no account (report kept)")


def _import_messages(path: Path, storage: Storage, report: ImportReport) -> None:
    if not path.exists():
        report.notes.append("no chat_messages.json found")
        return
    messages = _read_json(path, report)
    if messages is None:
        return
    if not isinstance(messages, list):
        report.problems.append(f"{path.name}: expected a list of messages")
        return
    for index, message in enumerate(messages):
        if not isinstance(message, dict) or not all(
            isinstance(message.get(k), str) and message.get(k) for k in ("sender", "receiver")
        ) or not isinstance(message.get("message"), str):
            report.problems.append(f"message #{index}: missing sender, receiver or text")
            continue
        message_id = str(message.get("id") or "")
        if not _ID.match(message_id):
            message_id = str(uuid.uuid4())
        if storage.get_message(message_id):
            report.already_present["messages"] += 1
            continue
        storage.add_message({
            "id": message_id, "pair": pair_key(message["sender"][:150], message["receiver"][:150]),
            "sender": message["sender"][:150], "receiver": message["receiver"][:150],
            "message": message["message"].replace("\x00", ""), "timestamp": _float(message.get("timestamp")) or 0.0,
            "client_message_id": None,
        }, rising_stamps=False)  # old history keeps its own times
        report.imported["messages"] += 1


def _import_weights(folder: Path, storage: Storage, blobs: BlobStore, report: ImportReport) -> None:
    """Legacy uploads were never aggregated: they are kept, archived in round 0, and not used."""
    if not folder.is_dir():
        return
    for path in sorted(folder.glob("*.npz")):
        data = path.read_bytes()
        username = path.stem.rsplit("_", 1)[0] or "unknown"
        digest = blobs.put(data)
        try:
            _, created = storage.add_update({
                "id": uuid.uuid4().hex, "round": 0, "username": username[:150],
                "client_id": f"legacy-import:{path.name}"[:150], "client_update_id": f"legacy-import:{digest[:32]}",
                "num_examples": 0, "base_version": None, "blob_hash": digest,
                "meta": json.dumps({"legacy_file": path.name}), "legacy": True,
                "created_at": int(path.stat().st_mtime * 1000),
            })
        except DuplicateError:
            created = False
        if created:
            report.imported["weight_files"] += 1
        else:
            report.already_present["weight_files"] += 1


def _import_unlinked_images(folder: Path, blobs: BlobStore, report: ImportReport, linked: set[Path]) -> None:
    if not folder.is_dir():
        return
    for path in sorted(folder.iterdir()):
        if path.is_file() and path not in linked:
            digest = blobs.put(path.read_bytes())
            report.imported["unlinked_images"] += 1
            report.notes.append(f"uploads/{path.name}: no report refers to it; kept as blob {digest[:16]}…")


def _int(value: Any) -> int | None:
    try:
        return int(value) if value is not None and not isinstance(value, bool) else None
    except (TypeError, ValueError):
        return None


def _float(value: Any) -> float | None:
    try:
        return float(value) if value is not None and not isinstance(value, bool) else None
    except (TypeError, ValueError):
        return None
