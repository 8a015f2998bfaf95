"""`tumorpredict serve import-legacy`: a legacy server's folder comes over without losing a record."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

import numpy as np
from werkzeug.security import generate_password_hash

from desktop_app.cli import main
from server.app import create_app, state_of
from tests.server.conftest import Api, scan_png, server_config


def write_legacy_folder(root: Path) -> dict:
    """A legacy server's folder in exactly the layout and shapes the legacy server writes (API.md)."""
    storage = root / "fl_server" / "storage"
    (root / "reports").mkdir(parents=True)
    (root / "uploads").mkdir()
    storage.mkdir(parents=True)
    users = {
        "alice": {"email": "alice@clinic.test", "password": generate_password_hash("alice-legacy-pw")},
        "dr_bob": {"email": "bob@clinic.test", "password": generate_password_hash("bob-legacy-pw", method="scrypt")},
        "carl": {"email": "carl@clinic.test", "password": generate_password_hash("carl-legacy-pw", method="pbkdf2:sha256")},
        "broken": {"email": "x@y.z"},  # no password hash at all: imported, signs in after a reset
    }
    (storage / "users.json").write_text(json.dumps(users))
    now_ms = int(time.time() * 1000)
    report_ids = []
    for index in range(12):
        report_id = str(uuid.uuid4())
        report_ids.append(report_id)
        record = {"id": report_id, "username": "alice" if index % 2 else "carl", "timestamp": now_ms - index * 60_000,
                  "status": ("pending", "approved", "rejected")[index % 3], "doctor_notes": f"note {index}",
                  "report": {"label": "No Tumor", "confidence": 0.93, "model_version": "v1", "notes": "demo model"}}
        (root / "reports" / f"{report_id}.json").write_text(json.dumps(record))
        (root / "uploads" / f"{report_id}.jpg").write_bytes(scan_png(index))
    (root / "reports" / "damaged.json").write_text('{"id": "damaged", "username": ')  # a torn write
    (root / "uploads" / "orphan.jpg").write_bytes(scan_png(99))
    messages = [{"id": str(uuid.uuid4()), "sender": "alice", "receiver": "dr_bob", "message": f"msg {i}",
                 "timestamp": int(time.time()) - 100 + i} for i in range(7)]
    messages.append({"id": str(uuid.uuid4()), "sender": "alice", "message": "no receiver"})
    (root / "chat_messages.json").write_text(json.dumps(messages))
    np.savez(storage / "dr_bob_1764355200.npz", weights=np.ones((3, 2), dtype=np.float32))
    return {"reports": report_ids, "messages": messages[:7]}


def test_import_legacy_folder_keeps_every_record(tmp_path, capsys, database_url, monkeypatch):
    legacy = write_legacy_folder(tmp_path / "legacy")
    config = server_config(tmp_path, database_url)
    env_dir = str(config["data_dir"])
    monkeypatch.setenv("TUMORPREDICT_DATABASE_URL", database_url)
    code = main(["serve", "import-legacy", str(tmp_path / "legacy"), "--data-dir", env_dir])
    printed = capsys.readouterr().out
    assert code == 1  # some records could not be imported, and it says which
    assert "imported 4 users" in printed and "imported 12 reports" in printed
    assert "imported 12 images" in printed and "imported 7 messages" in printed
    assert "imported 1 weight files" in printed and "imported 1 unlinked images" in printed
    assert "damaged.json" in printed and "NOT IMPORTED: messages: missing sender, receiver or text (1): #7" in printed
    # Kept, so the account's records have an owner; it needs a password reset before anyone signs in.
    assert "users without a password the legacy server could check" in printed and "(1): broken" in printed

    app = create_app(config)
    api = Api(app.test_client())
    storage = state_of(app).storage
    for name, password in (("alice", "alice-legacy-pw"), ("dr_bob", "bob-legacy-pw"), ("carl", "carl-legacy-pw")):
        api.login(name, password)  # the werkzeug hashes still work…
        assert storage.get_user(name)["password_hash"].startswith("scrypt$")  # …and were upgraded
    alice = api.post("/list_reports", {"username": "alice"}, as_="alice").json["reports"]
    assert len(alice) == 6 and {r["id"] for r in alice} <= set(legacy["reports"])
    assert {r["status"] for r in alice} <= {"pending", "approved", "rejected"}
    assert {r["report"]["label_key"] for r in alice} == {"notumor"}  # "No Tumor", keyed as the app keys it
    image = api.get(f"/report_image/{alice[0]['id']}", as_="alice")
    assert image.status_code == 200 and image.get_data()[:4] == b"\x89PNG"
    chat = api.post("/get_messages", {"user1": "alice", "user2": "dr_bob"}, as_="alice").json["messages"]
    assert [m["message"] for m in chat] == [m["message"] for m in legacy["messages"]]
    state_of(app).storage.close()

    # Running it again imports nothing twice.
    main(["serve", "import-legacy", str(tmp_path / "legacy"), "--data-dir", env_dir])
    again = capsys.readouterr().out
    assert "imported 0 reports" in again and "already present (skipped) 12 reports" in again
    assert "imported 0 unlinked images" in again and "already present (skipped) 1 unlinked images" in again
    assert "already present (skipped) 1 weight files" in again and "already present (skipped) 7 messages" in again


def test_serve_promote_grants_and_revokes_admin(tmp_path, database_url, monkeypatch, capsys):
    config = server_config(tmp_path, database_url)
    app = create_app(config)
    api = Api(app.test_client())
    api.register("dr_lead", role="doctor")
    api.register("pat_one")
    monkeypatch.setenv("TUMORPREDICT_DATABASE_URL", database_url)
    data_dir = str(config["data_dir"])
    assert main(["serve", "promote", "dr_lead", "--data-dir", data_dir]) == 0
    assert state_of(app).storage.get_user("dr_lead")["is_admin"] is True
    assert main(["serve", "promote", "pat_one", "--data-dir", data_dir]) != 0  # patients cannot be admins
    assert "is not a doctor account" in capsys.readouterr().err
    assert main(["serve", "promote", "dr_lead", "--revoke", "--data-dir", data_dir]) == 0
    assert state_of(app).storage.get_user("dr_lead")["is_admin"] is False
    state_of(app).storage.close()
