"""Writes a read legacy folder into the server's storage in batches; records already there are skipped."""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from desktop_app.core.labels import wire_label_key
from server.legacy_import.reading import LegacyFolder
from server.legacy_import.summary import ImportReport
from server.storage import BlobStore, DuplicateError, Storage, conversation_key

BATCH = 1000  # records per transaction: one commit (one fsync) per batch instead of per record
NO_PASSWORD = "!"  # matches no password: the user sets one with a reset code


@dataclass
class Target:
    storage: Storage
    blobs: BlobStore
    report: ImportReport
    dry_run: bool

    def put_blob(self, path: Path) -> str:
        data = path.read_bytes()
        return hashlib.sha256(data).hexdigest() if self.dry_run else self.blobs.put(data)


def import_users(folder: LegacyFolder, doctors: set[str], to: Target) -> set[str]:
    """Stores the legacy users (named doctors as doctors); returns the names taken by a different account."""
    existing = to.storage.existing_keys("users", [u.username for u in folder.users])
    rows, taken, now = [], set(), int(time.time() * 1000)
    for user in folder.users:
        role = "doctor" if user.username in doctors else "patient"
        if user.username in existing:
            if not _mark_existing(user.username, role, to):
                taken.add(user.username)
            continue
        if user.verifier is None:
            to.report.check("users without a password the legacy server could check (imported; they set one "
                            "with 'Forgot password', a code sent to their e-mail)", user.username)
        elif user.weak:
            to.report.check("weak password hash (unsalted SHA-256): upgraded at next sign-in", user.username)
        rows.append({
            "username": user.username, "email": user.email, "password_hash": user.verifier or NO_PASSWORD,
            "role": role, "is_admin": False, "doctor": None, "full_name": "",
            "created_at": user.created_at or now, "imported": True,
        })
        to.report.imported["doctor accounts"] += role == "doctor"
    if not to.dry_run:
        to.storage.import_users(rows)
    to.report.imported["users"] += len(rows)
    return taken


def _mark_existing(username: str, role: str, to: Target) -> bool:
    """False when the name belongs to an account registered on the new server (maybe another person)."""
    current = to.storage.get_user(username)
    if not current["imported"]:
        to.report.problem("users whose name is taken by an account registered on the new server (nothing "
                          "merged: rename one of them, then run the import again)", username)
        return False
    to.report.already_present["users"] += 1
    if role == "doctor" and current["role"] != "doctor":
        if not to.dry_run:
            to.storage.update_user(username, role="doctor")
        to.report.imported["doctor roles given to already imported accounts"] += 1
    return True


def known_accounts(folder: LegacyFolder, taken: set[str], storage: Storage) -> set[str]:
    """Every name the records mention that has (or, in a dry run, would have) an account of its own."""
    mentioned = {r["username"] for r in folder.reports}
    mentioned |= {m["sender"] for m in folder.messages} | {m["receiver"] for m in folder.messages}
    return ({u.username for u in folder.users} | storage.existing_keys("users", sorted(mentioned))) - taken


def import_reports(folder: LegacyFolder, accounts: set[str], taken: set[str], to: Target) -> set[Path]:
    """Stores the reports with their images; returns the image files that belong to a report."""
    existing = to.storage.existing_keys("reports", [r["_id"] for r in folder.reports])
    linked: set[Path] = set()
    records, audits, seen = [], [], set()
    now = int(time.time() * 1000)
    for record in folder.reports:
        if record["_image"] is not None:
            linked.add(record["_image"])
        if record["_id"] in existing or record["_id"] in seen:
            to.report.already_present["reports"] += 1
            continue
        if record["username"] in taken:
            to.report.problem("reports of a legacy user whose name belongs to another account here", record["_file"].name)
            continue
        seen.add(record["_id"])
        image_hash = to.put_blob(record["_image"]) if record["_image"] is not None else None
        to.report.imported["images"] += image_hash is not None
        if record["username"] not in accounts:
            to.report.check("reports kept whose patient has no account", record["username"])
        records.append(_report_row(record, image_hash, now))
        audits.append({"at": now, "by": "import", "action": "imported", "status": record["status"],
                       "notes": str(record.get("doctor_notes") or ""), "label": None, "report_id": record["_id"]})
        if len(records) >= BATCH:
            _flush_reports(records, audits, to)
    _flush_reports(records, audits, to)
    return linked


def _report_row(record: dict[str, Any], image_hash: str | None, now: int) -> dict[str, Any]:
    result = record.get("report") if isinstance(record.get("report"), dict) else {}
    label = result.get("label") if isinstance(result.get("label"), str) else None
    return {
        "id": record["_id"], "username": record["username"][:150], "doctor": None,
        "timestamp": _int(record.get("timestamp")) or int(record["_file"].stat().st_mtime * 1000),
        "status": record["status"], "doctor_notes": str(record.get("doctor_notes") or ""),
        "label": label, "label_key": wire_label_key(label),
        "confidence": _float(result.get("confidence")), "probabilities": None, "is_brain_mri": None,
        "model_version": str(result.get("model_version") or "")[:200] or None,
        "notes": str(result.get("notes") or ""), "source": "legacy", "image_hash": image_hash,
        "client_report_id": None, "created_by": None, "updated_at": now,
    }


def _flush_reports(records: list[dict], audits: list[dict], to: Target) -> None:
    if not to.dry_run:
        to.storage.import_reports(records, audits)
    to.report.imported["reports"] += len(records)
    records.clear()
    audits.clear()


def import_messages(folder: LegacyFolder, accounts: set[str], taken: set[str], to: Target) -> None:
    existing = to.storage.existing_keys("messages", [m["id"] for m in folder.messages])
    batch, seen = [], set()
    for message in folder.messages:
        if message["id"] in existing or message["id"] in seen:
            to.report.already_present["messages"] += 1
            continue
        if {message["sender"], message["receiver"]} & taken:
            to.report.problem("messages of a legacy user whose name belongs to another account here", message["id"])
            continue
        seen.add(message["id"])
        for person in (message["sender"], message["receiver"]):
            if person not in accounts:
                to.report.check("messages kept whose sender or receiver has no account", person)
        batch.append({
            "id": message["id"], "pair": conversation_key(message["sender"], message["receiver"]),
            "sender": message["sender"], "receiver": message["receiver"],
            "message": message["message"].replace("\x00", ""), "timestamp": _float(message.get("timestamp")) or 0.0,
            "client_message_id": None,
        })
        if len(batch) >= BATCH:
            _flush_messages(batch, to)
    _flush_messages(batch, to)


def _flush_messages(batch: list[dict], to: Target) -> None:
    if not to.dry_run:
        to.storage.add_messages(batch, rising_stamps=False)  # old history keeps its own times
    to.report.imported["messages"] += len(batch)
    batch.clear()


def import_weight_files(folder: LegacyFolder, to: Target) -> None:
    """Legacy uploads were never aggregated: they are kept, archived in round 0, and not used."""
    for path in folder.weight_files:
        username = path.stem.rsplit("_", 1)[0] or "unknown"
        digest = to.put_blob(path)
        client_update_id = f"legacy-import:{digest[:32]}"
        if to.storage.update_by_client_id(username[:150], client_update_id):
            to.report.already_present["weight_files"] += 1
            continue
        if not to.dry_run:
            try:
                to.storage.add_update({
                    "id": uuid.uuid4().hex, "round": 0, "username": username[:150],
                    "client_id": f"legacy-import:{path.name}"[:150], "client_update_id": client_update_id,
                    "num_examples": 0, "base_version": None, "blob_hash": digest,
                    "meta": json.dumps({"legacy_file": path.name}), "legacy": True,
                    "created_at": int(path.stat().st_mtime * 1000),
                })
            except DuplicateError:  # a file of that name with other contents was imported before
                to.report.problem("weight files whose name was imported before with other contents", path.name)
                continue
        to.report.imported["weight_files"] += 1


def import_unlinked_images(folder: LegacyFolder, linked: set[Path], to: Target) -> None:
    for path in folder.images:
        if path in linked:
            continue
        if to.blobs.exists(hashlib.sha256(path.read_bytes()).hexdigest()):
            to.report.already_present["unlinked_images"] += 1
            continue
        digest = to.put_blob(path)
        to.report.imported["unlinked_images"] += 1
        to.report.check("images no report refers to (kept, by their SHA-256)", f"uploads/{path.name} → {digest[:12]}…")


def _int(value: Any) -> int | None:
    try:
        return int(value) if value is not None and not isinstance(value, bool) else None
    except (TypeError, ValueError):
        return None


def _float(value: Any) -> float | None:
    try:
        return float(value) if value is not None and not isinstance(value, bool) else None
    except (TypeError, ValueError, OverflowError):
        return None
