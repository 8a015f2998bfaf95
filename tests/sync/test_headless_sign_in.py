"""A computer with no OS keyring (kiosk, server room): login, sync and reports list as separate
processes, the way a scheduled job runs them. The sign-in survives between processes only in the
owner-only file IT opted into."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from desktop_app.core.token_file import FILE_NAME
from devkit.sync_scenario import PASSWORDS, register_on_server

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "resources" / "samples" / "glioma_1.jpg"


def _tumorpredict(data_dir: Path, *args: str, password: str = "") -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
           "TUMORPREDICT_PASSWORD": password}
    env.pop("TUMORPREDICT_SERVER", None)
    return subprocess.run([sys.executable, "-m", "desktop_app", "--data-dir", str(data_dir), *args],
                          env=env, cwd=REPO, capture_output=True, text=True, timeout=120,
                          stdin=subprocess.DEVNULL)


def _ok(done: subprocess.CompletedProcess) -> str:
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_login_sync_and_list_in_separate_processes_with_the_sign_in_file(project_server, tmp_path):
    register_on_server(project_server, "alice", "dr_bob")
    patient, doctor = tmp_path / "kiosk", tmp_path / "workstation"
    for data_dir, user, role in ((patient, "alice", "patient"), (doctor, "dr_bob", "doctor")):
        _ok(_tumorpredict(data_dir, "--server", project_server, "config", "set", "sign-in-file", "on"))
        login = _ok(_tumorpredict(data_dir, "account", "login", "--username", user, password=PASSWORDS[role]))
        assert f"Signed in as {user}" in login
        token_file = data_dir / FILE_NAME
        assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
        assert PASSWORDS[role] not in token_file.read_text()  # a token, never the password

    _ok(_tumorpredict(patient, "predict", "--save", str(SAMPLE)))
    sent = _ok(_tumorpredict(patient, "sync"))
    assert "sent 1 create report" in sent and "sign-in expired" not in sent

    received = _ok(_tumorpredict(doctor, "sync"))
    assert "sign-in expired" not in received
    listing = _ok(_tumorpredict(doctor, "reports", "list", "--status", "pending"))
    assert "alice" in listing and "glioma" in listing.lower()


def test_without_the_file_the_next_process_has_no_sign_in_and_says_how_to_keep_one(project_server, tmp_path):
    register_on_server(project_server, "alice", "dr_bob")
    data_dir = tmp_path / "kiosk"
    login = _tumorpredict(data_dir, "--server", project_server, "account", "login", "--username", "alice",
                          password=PASSWORDS["patient"])
    assert login.returncode == 0 and "config set sign-in-file on" in login.stderr
    later = _tumorpredict(data_dir, "sync")
    assert "sign-in expired for alice" in later.stdout
    assert not (data_dir / FILE_NAME).exists()


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX's")
def test_switching_the_file_off_deletes_it(project_server, tmp_path):
    register_on_server(project_server, "alice", "dr_bob")
    data_dir = tmp_path / "kiosk"
    _ok(_tumorpredict(data_dir, "--server", project_server, "config", "set", "sign-in-file", "on"))
    _ok(_tumorpredict(data_dir, "account", "login", "--username", "alice", password=PASSWORDS["patient"]))
    assert (data_dir / FILE_NAME).exists()
    off = _ok(_tumorpredict(data_dir, "config", "set", "sign-in-file", "off"))
    assert "was deleted" in off and not (data_dir / FILE_NAME).exists()
