"""A clinic moves off the legacy server: data written by the legacy server itself is imported, and everyone signs in."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import requests

from desktop_app.cli import main
from devkit.legacy_server import create_legacy_app
from devkit.loopback import serve_wsgi
from server.app import create_app, state_of
from tests.server.conftest import scan_png, server_config

PASSWORDS = {"alice": "alice-old-pass", "carl": "carl-old-pass", "dr_bob": "bob-old-pass"}
OLD_INSTALL_USER = ("olga", "olga-old-pass")  # from an install that kept only the unsalted SHA-256


def run_legacy_clinic(root: Path) -> None:
    """The legacy server on 127.0.0.1, used the way the clinic used it: accounts, a scan, a review, a chat."""
    with serve_wsgi(create_legacy_app(root)) as url:
        for name, password in PASSWORDS.items():
            answer = requests.post(f"{url}/register", json={"username": name, "email": f"{name}@clinic.example",
                                                             "password": password}, timeout=10)
            assert answer.status_code == 200
        scan = base64.b64encode(scan_png(3)).decode()
        for patient in ("alice", "alice", "carl"):
            assert requests.post(f"{url}/predict", json={"username": patient, "image_b64": scan}, timeout=10).ok
        alice_reports = requests.post(f"{url}/list_reports", json={"username": "alice"}, timeout=10).json()["reports"]
        reviewed = alice_reports[0]["id"]
        assert requests.post(f"{url}/doctor_update_report", json={
            "report_id": reviewed, "action": "approve", "doctor_notes": "Small lesion; follow-up MRI in 3 months."},
            timeout=10).ok
        for sender, receiver, text in (("alice", "dr_bob", "Is my scan fine?"),
                                       ("dr_bob", "alice", "Yes, see my notes."),
                                       ("carl", "dr_bob", "When is my appointment?")):
            assert requests.post(f"{url}/send_message", json={"sender": sender, "receiver": receiver,
                                                               "message": text}, timeout=10).ok
    users_file = root / "fl_server" / "storage" / "users.json"
    users = json.loads(users_file.read_text())
    assert users["alice"]["password_hash"].startswith("scrypt:")  # what today's werkzeug writes
    name, password = OLD_INSTALL_USER
    users[name] = {"email": f"{name}@clinic.example", "password": hashlib.sha256(password.encode()).hexdigest()}
    users_file.write_text(json.dumps(users))


def sign_in(url: str, name: str, password: str) -> dict[str, str]:
    answer = requests.post(f"{url}/login", json={"username": name, "password": password}, timeout=10)
    assert answer.status_code == 200, (name, answer.text)
    return {"Authorization": f"Bearer {answer.json()['token']}"}


def test_a_clinic_moves_its_legacy_server_and_everyone_signs_in(tmp_path, database_url, monkeypatch, capsys):
    legacy = tmp_path / "legacy"
    run_legacy_clinic(legacy)
    config = server_config(tmp_path, database_url)
    monkeypatch.setenv("TUMORPREDICT_DATABASE_URL", database_url)
    code = main(["serve", "import-legacy", str(legacy), "--data-dir", str(config["data_dir"]), "--doctors", "dr_bob"])
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert "imported 4 users" in printed and "imported 3 reports" in printed and "imported 3 messages" in printed
    assert "imported 1 doctor accounts" in printed
    assert "weak password hash (unsalted SHA-256): upgraded at next sign-in (1): olga" in printed

    app = create_app(config)
    with serve_wsgi(app) as url:
        logins = {name: sign_in(url, name, password) for name, password in {**PASSWORDS, "olga": OLD_INSTALL_USER[1]}.items()}
        storage = state_of(app).storage
        assert all(storage.get_user(n)["password_hash"].startswith("scrypt$") for n in logins)  # all upgraded
        me = requests.post(f"{url}/me", headers=logins["dr_bob"], timeout=10).json()["user"]
        assert me["role"] == "doctor"

        mine = requests.post(f"{url}/list_reports", json={"username": "alice"}, headers=logins["alice"],
                             timeout=10).json()["reports"]
        assert len(mine) == 2 and all(r["username"] == "alice" and r["source"] == "legacy" for r in mine)
        approved = [r for r in mine if r["status"] == "approved"]
        assert len(approved) == 1 and approved[0]["doctor_notes"] == "Small lesion; follow-up MRI in 3 months."
        image = requests.get(f"{url}/report_image/{approved[0]['id']}", headers=logins["alice"], timeout=10)
        assert image.status_code == 200 and image.content == scan_png(3)
        chat = requests.post(f"{url}/get_messages", json={"user1": "alice", "user2": "dr_bob"},
                             headers=logins["alice"], timeout=10).json()["messages"]
        assert [m["message"] for m in chat] == ["Is my scan fine?", "Yes, see my notes."]

        everything = requests.post(f"{url}/list_reports", json={"username": "all"}, headers=logins["dr_bob"],
                                   timeout=10).json()["reports"]
        assert sorted(r["username"] for r in everything) == ["alice", "alice", "carl"]
        for body in ({"username": "all"}, {"username": "carl"}):
            refused = requests.post(f"{url}/list_reports", json=body, headers=logins["alice"], timeout=10)
            assert refused.status_code == 403
        assert requests.post(f"{url}/get_messages", json={"user1": "carl", "user2": "dr_bob"},
                             headers=logins["alice"], timeout=10).status_code == 403
        wrong = requests.post(f"{url}/login", json={"username": "olga", "password": "not-her-password"}, timeout=10)
        assert wrong.status_code == 401
    state_of(app).storage.close()


def test_dry_run_writes_nothing_and_a_rerun_imports_nothing_twice(tmp_path, database_url, monkeypatch, capsys):
    legacy = tmp_path / "legacy"
    run_legacy_clinic(legacy)
    data_dir = tmp_path / "new-server"
    monkeypatch.setenv("TUMORPREDICT_DATABASE_URL", database_url)
    args = ["serve", "import-legacy", str(legacy), "--data-dir", str(data_dir), "--doctors", "dr_bob"]

    assert main([*args, "--dry-run"]) == 0
    dry = capsys.readouterr().out
    assert "Dry run: nothing was written" in dry
    assert "would import 4 users" in dry and "would import 3 reports" in dry and "would import 3 messages" in dry
    assert not data_dir.exists()  # not even the folder
    app = create_app(server_config(tmp_path, database_url))
    assert state_of(app).storage.counts() == {"users": 0, "reports": 0, "messages": 0, "fl_updates": 0}
    state_of(app).storage.close()

    assert main(args) == 0
    first = capsys.readouterr().out
    assert "imported 4 users" in first
    assert main(args) == 0
    again = capsys.readouterr().out
    assert "imported 0 users" in again and "imported 0 reports" in again and "imported 0 messages" in again
    assert "already present (skipped) 4 users" in again and "already present (skipped) 3 reports" in again
    assert "already present (skipped) 3 messages" in again and "weak password" not in again
    app = create_app(server_config(tmp_path, database_url, data_dir=data_dir))
    assert state_of(app).storage.counts()["reports"] == 3
    state_of(app).storage.close()

    # A rerun that names a doctor the first run forgot gives that account the doctor role, and nothing else.
    assert main(["serve", "import-legacy", str(legacy), "--data-dir", str(data_dir), "--doctors", "dr_bob,carl"]) == 0
    assert "imported 1 doctor roles given to already imported accounts" in capsys.readouterr().out



def write_seeded_folder(root: Path, patients: int, doctors: int, orphan_reports: int) -> None:
    """A bigger legacy folder in the legacy layout, users in the `{"users": [...]}` form some versions wrote."""
    from werkzeug.security import generate_password_hash

    storage = root / "fl_server" / "storage"
    storage.mkdir(parents=True)
    (root / "reports").mkdir()
    hashed = generate_password_hash("same-old-pass", method="pbkdf2:sha256:1000")  # cheap to check in a test
    users = [{"username": f"p{i:03d}", "email": f"p{i}@clinic.example", "password_hash": hashed,
              "created_at": "2025-03-01T09:30:00", "token": None} for i in range(patients)]
    users += [{"username": f"staff{i}", "email": f"s{i}@clinic.example", "password_hash": hashed,
               "created_at": "2025-03-01T09:30:00", "token": None} for i in range(doctors)]
    (storage / "users.json").write_text(json.dumps({"users": users}))
    owners = [f"p{i % patients:03d}" for i in range(patients)] + [f"gone{i}" for i in range(orphan_reports)]
    for index, owner in enumerate(owners):
        record = {"id": f"r{index}", "username": owner, "timestamp": 1_750_000_000_000 + index, "status": "pending",
                  "doctor_notes": "", "report": {"label": "Glioma", "confidence": 0.8, "model_version": "v1", "notes": ""}}
        (root / "reports" / f"r{index}.json").write_text(json.dumps(record))
    (root / "reports" / "torn.json").write_text('{"id": "torn", "username": ')
    messages = [{"id": f"m{i}", "sender": f"p{i % patients:03d}", "receiver": f"staff{i % doctors}",
                 "message": "hello", "timestamp": 1_750_000_000 + i} for i in range(patients * 2)]
    (root / "chat_messages.json").write_text(json.dumps(messages))


def test_the_summary_groups_problems_and_names_accounts_that_look_like_doctors(tmp_path, database_url, monkeypatch,
                                                                              capsys):
    legacy = tmp_path / "legacy"
    write_seeded_folder(legacy, patients=12, doctors=2, orphan_reports=40)
    monkeypatch.setenv("TUMORPREDICT_DATABASE_URL", database_url)
    data_dir = str(tmp_path / "new-server")
    code = main(["serve", "import-legacy", str(legacy), "--data-dir", data_dir, "--doctors", "staff0"])
    printed = capsys.readouterr().out
    assert code == 1  # the torn report file was not imported
    assert "imported 14 users" in printed and "imported 52 reports" in printed and "imported 24 messages" in printed
    orphans = [line for line in printed.splitlines() if "whose patient has no account" in line]
    assert len(orphans) == 1 and "(40)" in orphans[0] and "and 32 more" in orphans[0]
    assert "gone0" in orphans[0] and "gone39" not in orphans[0]
    assert len(printed.splitlines()) < 20  # one line per kind of problem, not per record
    assert "NOT IMPORTED: reports: the file cannot be read (JSONDecodeError) (1): torn.json" in printed
    lookalikes = next(line for line in printed.splitlines() if "look like doctors" in line)
    assert "staff1 (chats with 6 patients)" in lookalikes and "staff0" not in lookalikes

    # The summary's advice works: naming the other doctor too makes it one, and nothing else changes.
    doctors_file = tmp_path / "doctors.txt"
    doctors_file.write_text("# doctors of the clinic\nstaff0\nstaff1  # joined 2025\n")
    code = main(["serve", "import-legacy", str(legacy), "--data-dir", data_dir, "--doctors-file", str(doctors_file)])
    printed = capsys.readouterr().out
    assert "imported 1 doctor roles given to already imported accounts" in printed
    assert "look like doctors" not in printed and "imported 0 reports" in printed
    app = create_app(server_config(tmp_path, database_url, data_dir=Path(data_dir)))
    storage = state_of(app).storage
    assert [u["username"] for u in storage.list_users(role="doctor")] == ["staff0", "staff1"]
    assert storage.get_user("p003")["role"] == "patient"
    state_of(app).storage.close()


def test_a_misspelt_doctor_name_stops_the_import_before_anything_is_written(tmp_path, database_url, monkeypatch,
                                                                            capsys):
    legacy = tmp_path / "legacy"
    write_seeded_folder(legacy, patients=4, doctors=1, orphan_reports=0)
    monkeypatch.setenv("TUMORPREDICT_DATABASE_URL", database_url)
    code = main(["serve", "import-legacy", str(legacy), "--data-dir", str(tmp_path / "new"), "--doctors", "staf0"])
    error = capsys.readouterr().err
    assert code == 2
    assert "not users of the legacy server: staf0" in error and "staff0" in error and "nothing was imported" in error
    app = create_app(server_config(tmp_path, database_url, data_dir=tmp_path / "new"))
    assert state_of(app).storage.counts()["users"] == 0
    state_of(app).storage.close()


def test_a_name_already_registered_on_the_new_server_is_not_merged(tmp_path, database_url, monkeypatch, capsys):
    from tests.server.conftest import Api

    legacy = tmp_path / "legacy"
    run_legacy_clinic(legacy)
    config = server_config(tmp_path, database_url)
    app = create_app(config)
    assert Api(app.test_client()).register("carl").status_code == 200  # someone else took the name first
    monkeypatch.setenv("TUMORPREDICT_DATABASE_URL", database_url)
    code = main(["serve", "import-legacy", str(legacy), "--data-dir", str(config["data_dir"]), "--doctors", "dr_bob"])
    printed = capsys.readouterr().out
    assert code == 1
    assert "users whose name is taken by an account registered on the new server" in printed
    assert "reports of a legacy user whose name belongs to another account here (1)" in printed
    assert "messages of a legacy user whose name belongs to another account here (1)" in printed
    carl_reports = state_of(app).storage.list_reports(username="carl")
    assert carl_reports == []  # the legacy carl's scan is not shown to the new carl
    state_of(app).storage.close()
