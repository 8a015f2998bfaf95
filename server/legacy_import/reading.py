"""Reads a legacy server's folder into plain records, noting every file or record that cannot be used."""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from server.legacy_import.summary import ImportReport
from server.legacy_passwords import from_legacy_record
from server.validation import MAX_NAME

_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
STATUSES = {"pending", "approved", "rejected"}
RESERVED_NAMES = {"all", "pending"}  # /list_reports gives these a meaning of their own
# Ids the legacy data does not provide (or that cannot be used) are derived from the record, so a
# second run finds the same id and imports nothing twice.
_ID_NAMESPACE = uuid.UUID("5f0c2b7e-4a51-4c8e-9a43-6d1f0e3b2a10")


@dataclass
class LegacyUser:
    username: str
    email: str
    verifier: str | None  # None: the legacy server could not sign this user in either
    weak: bool  # the unsalted SHA-256 form
    created_at: int | None
    says_doctor: bool  # some forks wrote a role into users.json; it is a hint, never trusted


@dataclass
class LegacyFolder:
    users: list[LegacyUser] = field(default_factory=list)
    reports: list[dict[str, Any]] = field(default_factory=list)  # with "_file", "_image" added
    messages: list[dict[str, Any]] = field(default_factory=list)
    weight_files: list[Path] = field(default_factory=list)
    images: list[Path] = field(default_factory=list)


def read_folder(root: Path, report: ImportReport) -> LegacyFolder:
    folder = LegacyFolder()
    folder.users = _read_users(root / "fl_server" / "storage" / "users.json", report)
    uploads = root / "uploads"
    folder.images = sorted(p for p in uploads.iterdir() if p.is_file()) if uploads.is_dir() else []
    folder.reports = _read_reports(root / "reports", folder.images, report)
    folder.messages = _read_messages(root / "chat_messages.json", report)
    storage = root / "fl_server" / "storage"
    folder.weight_files = sorted(storage.glob("*.npz")) if storage.is_dir() else []
    return folder


def _read_json(path: Path, report: ImportReport, what: str) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        report.problem(f"{what}: the file cannot be read ({type(exc).__name__})", path.name)
        return None


def _user_records(data: Any) -> list[tuple[str, Any]] | None:
    """(name, record) pairs from either layout: {"alice": {...}} or {"users": [{...}, ...]}."""
    if isinstance(data, dict) and isinstance(data.get("users"), list):
        data = data["users"]
    if isinstance(data, list):
        return [(str(r.get("username") or "") if isinstance(r, dict) else "", r) for r in data]
    if isinstance(data, dict):
        return [(str(r.get("username") or key) if isinstance(r, dict) else str(key), r) for key, r in data.items()]
    return None


def _read_users(path: Path, report: ImportReport) -> list[LegacyUser]:
    if not path.exists():
        report.notes.append(f"no {path.name} found (no users to import)")
        return []
    data = _read_json(path, report, "users.json")
    records = _user_records(data) if data is not None else []
    if records is None:
        report.problem("users.json: expected the users as an object or a list", path.name)
        return []
    users, seen = [], set()
    for index, (username, record) in enumerate(records):
        if not isinstance(record, dict):
            report.problem("users: the entry is not a user record", username or f"entry #{index}")
        elif not username or username != username.strip() or not username.isprintable() or len(username) > MAX_NAME:
            report.problem(f"users: the name is empty, too long (over {MAX_NAME}) or has odd characters",
                           repr(username))
        elif username.lower() in RESERVED_NAMES:
            report.problem("users: the name means something else on the new server", username)
        elif username in seen:
            report.problem("users: the name appears twice in users.json (the first was imported)", username)
        else:
            seen.add(username)
            verifier, weak = from_legacy_record(record)
            users.append(LegacyUser(
                username=username, email=str(record.get("email") or "")[:320], verifier=verifier, weak=weak,
                created_at=_time_ms(record.get("created_at")),
                says_doctor=str(record.get("role") or "").lower() == "doctor" or record.get("is_doctor") is True,
            ))
    return users


def _read_reports(folder: Path, images: list[Path], report: ImportReport) -> list[dict[str, Any]]:
    if not folder.is_dir():
        report.notes.append("no reports/ folder found")
        return []
    by_stem = {p.stem: p for p in images}
    records = []
    for path in sorted(folder.glob("*.json")):
        record = _read_json(path, report, "reports")
        if record is None:
            continue
        if not isinstance(record, dict) or not isinstance(record.get("username"), str) or not record["username"]:
            report.problem("reports: not a report record (no patient name)", path.name)
            continue
        legacy_id = str(record.get("id") or path.stem)
        record["_file"] = path
        record["_id"] = legacy_id if _ID.match(legacy_id) else str(uuid.uuid5(_ID_NAMESPACE, f"report:{legacy_id}"))
        record["_image"] = by_stem.get(legacy_id) or by_stem.get(path.stem)
        record["status"] = record.get("status") if record.get("status") in STATUSES else "pending"
        records.append(record)
    return records


def _read_messages(path: Path, report: ImportReport) -> list[dict[str, Any]]:
    if not path.exists():
        report.notes.append("no chat_messages.json found")
        return []
    data = _read_json(path, report, "chat_messages.json")
    if data is None:
        return []
    if not isinstance(data, list):
        report.problem("chat_messages.json: expected a list of messages", path.name)
        return []
    messages, occurrences = [], {}
    for index, message in enumerate(data):
        if not isinstance(message, dict) or not all(
            isinstance(message.get(k), str) and message[k] and len(message[k]) <= MAX_NAME for k in ("sender", "receiver")
        ) or not isinstance(message.get("message"), str):
            report.problem("messages: missing sender, receiver or text", f"#{index}")
            continue
        message_id = str(message.get("id") or "")
        if not _ID.match(message_id):
            content = json.dumps([message["sender"], message["receiver"], message["message"], message.get("timestamp")])
            occurrences[content] = occurrences.get(content, 0) + 1  # identical messages stay separate
            message_id = str(uuid.uuid5(_ID_NAMESPACE, f"message:{occurrences[content]}:{content}"))
        messages.append({**message, "id": message_id})
    return messages


def _time_ms(value: Any) -> int | None:
    """Unix ms from the legacy `created_at` (ISO text, as the legacy server writes it, or a number)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return int(value * 1000) if value < 1e11 else int(value)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return int(parsed.timestamp() * 1000)
    return None
