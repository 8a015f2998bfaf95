"""A legacy server's folder at clinic scale, written in the legacy layout, and its import into the project's database.

200 patients (50 reports each, 500 messages with their doctor), 5 doctors: 10,000 reports and
100,000 messages. Users carry real werkzeug password hashes (a cheap pbkdf2 cost, so writing 205 of
them takes no time); the import goes through `server.legacy_import`, exactly as a clinic runs it.
"""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

from werkzeug.security import generate_password_hash

from server.auth import token_digest
from server.legacy_import import import_legacy
from server.storage import BlobStore, Storage
from server.storage import schema as t

LABELS = ("Glioma", "Meningioma", "Pituitary tumor", "No Tumor")


def make_dataset(patients: int, doctors: int, reports: int, messages: int) -> dict:
    """The records: each patient has reports // patients reports and messages // patients messages with one doctor."""
    now_ms = int(time.time() * 1000)
    patient_names = [f"patient{i:03d}" for i in range(patients)]
    doctor_names = [f"dr_{i}" for i in range(doctors)]
    report_rows = [{
        "id": str(uuid.uuid4()), "username": patient_names[i % patients], "timestamp": now_ms - i * 1000,
        "status": ("pending", "approved", "rejected")[i % 3], "doctor_notes": "Reviewed." if i % 3 else "",
        "report": {"label": LABELS[i % 4], "confidence": 0.5 + (i % 50) / 100, "model_version": "v1", "notes": ""},
    } for i in range(reports)]
    now_s = int(time.time())
    message_rows = []
    for i in range(messages):
        patient, doctor = patient_names[i % patients], doctor_names[(i % patients) % doctors]
        sender, receiver = (patient, doctor) if (i // patients) % 2 == 0 else (doctor, patient)
        message_rows.append({"id": str(uuid.uuid4()), "sender": sender, "receiver": receiver,
                             "message": f"Message number {i} about the scan and the next appointment.",
                             "timestamp": now_s - (messages - i)})
    return {"patients": patient_names, "doctors": doctor_names, "reports": report_rows, "messages": message_rows}


def doctor_of(data: dict, patient_index: int) -> str:
    return data["doctors"][patient_index % len(data["doctors"])]


def write_legacy_folder(root: Path, data: dict) -> None:
    """The records as the legacy server keeps them: users.json, a JSON file per report, one chat file."""
    storage = root / "fl_server" / "storage"
    storage.mkdir(parents=True)
    (root / "reports").mkdir()
    (root / "uploads").mkdir()
    hashed = generate_password_hash("bench-password", method="pbkdf2:sha256:1000")
    users = {name: {"username": name, "email": f"{name}@clinic.example", "password_hash": hashed,
                    "created_at": "2025-06-01T08:00:00", "token": None}
             for name in data["patients"] + data["doctors"]}
    (storage / "users.json").write_text(json.dumps(users))
    for record in data["reports"]:
        (root / "reports" / f"{record['id']}.json").write_text(json.dumps(record))
    (root / "chat_messages.json").write_text(json.dumps(data["messages"]))


def import_into(url: str, folder: Path, blobs_dir: Path, data: dict, tokens: dict[str, str]) -> tuple[float, list[str]]:
    """Empties the database at `url`, imports `folder` with the doctors named and stores each patient's
    bearer token from `tokens`; (seconds the import took, its summary lines)."""
    storage = Storage.open(url)
    t.metadata.drop_all(storage.engine)
    storage.close()
    storage = Storage.open(url)
    started = time.perf_counter()
    result = import_legacy(folder, storage, BlobStore(blobs_dir), doctors=data["doctors"])
    seconds = time.perf_counter() - started
    now = int(time.time() * 1000)
    with storage.engine.begin() as conn:
        conn.execute(t.tokens.insert(), [{"token_hash": token_digest(tok), "username": p, "created_at": now,
                                          "expires_at": now + 86_400_000, "revoked": False} for p, tok in tokens.items()])
    with storage.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("ANALYZE")
    storage.close()
    return seconds, result.lines()
