"""The server on a real 127.0.0.1 socket, driven by the desktop app's own API client and by `tumorpredict serve`."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import requests

from desktop_app.core.api_client import ApiClient, AuthRequired, RequestRejected
from desktop_app.core.federated.npz_format import load_npz
from devkit.loopback import serve_wsgi
from server.app import create_app, state_of
from tests.server.conftest import (
    ENROLLMENT_CODE,
    PASSWORD,
    device_prediction,
    head_npz,
    scan_png,
    server_config,
)

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def live_url(tmp_path, database_url):
    app = create_app(server_config(tmp_path, database_url))
    with serve_wsgi(app) as url:
        yield url, app
    state_of(app).storage.close()


def test_desktop_client_full_round_trip(live_url):
    url, app = live_url
    doctor, patient = ApiClient(url), ApiClient(url)
    doctor.register("dr_live", "d@clinic.test", PASSWORD, role="doctor", enrollment_code=ENROLLMENT_CODE)
    patient.register("pat_live", "p@clinic.test", PASSWORD, doctor="dr_live")
    assert doctor.login("dr_live", PASSWORD).role == "doctor"
    assert patient.login("pat_live", PASSWORD).role == "patient"

    first = patient.predict("pat_live", scan_png(), client_report_id="local-1", prediction=device_prediction())
    retry = patient.predict("pat_live", scan_png(), client_report_id="local-1", prediction=device_prediction())
    assert first.report_id and first.report_id == retry.report_id and first.probabilities
    page = patient.list_reports("pat_live", since="0")
    assert [r["id"] for r in page.items] == [first.report_id] and page.cursor

    doctor.doctor_update_report(first.report_id, "approve", "All clear", label="glioma")
    changed = patient.list_reports("pat_live", since=page.cursor)
    assert changed.items[0]["status"] == "approved" and changed.items[0]["confirmed_label"] == "glioma"

    message_id = patient.send_message("pat_live", "dr_live", "Thank you", client_message_id="c-1")
    assert patient.send_message("pat_live", "dr_live", "Thank you", client_message_id="c-1") == message_id
    assert [m["message"] for m in doctor.get_messages("dr_live", "pat_live", since="0").items] == ["Thank you"]

    with pytest.raises(RequestRejected):
        patient.list_reports("all")
    patient.logout()
    with pytest.raises(AuthRequired):
        ApiClient(url, token="revoked-or-made-up").list_reports("pat_live")


def test_federated_round_through_the_client(live_url):
    url, app = live_url
    admin = ApiClient(url)
    admin.register("dr_root", "r@clinic.test", PASSWORD, role="doctor", enrollment_code=ENROLLMENT_CODE)
    state_of(app).storage.update_user("dr_root", is_admin=True)
    admin.login("dr_root", PASSWORD)
    answer = admin.upload_weights_npz("dr_root", head_npz(0.5), num_examples=20, base_version="base-test",
                                      update_id="upd-1")
    assert answer["status"] == "ok"
    result = admin.trigger_aggregation()
    assert result["version"] == "global-1"
    meta = admin.get_global_meta()
    arrays, _ = load_npz(admin.download_global_weights())
    assert meta["checksum"] and np.allclose(arrays["b"], 0.5)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_healthy(url: str, process: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server exited early:\n{process.stdout.read()}")
        try:
            if requests.get(url + "/health", timeout=5).status_code == 200:
                return
        except (requests.ConnectionError, requests.Timeout):
            time.sleep(0.2)
    raise AssertionError("server did not become healthy")


def test_tumorpredict_serve_command(tmp_path, database_url):
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO), "TUMORPREDICT_DATABASE_URL": database_url,
           "TUMORPREDICT_SCRYPT_N": "4096"}
    process = subprocess.Popen(
        [sys.executable, "-m", "desktop_app", "serve", "--host", "127.0.0.1", "--port", str(port),
         "--data-dir", str(tmp_path / "served")],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_healthy(url, process)
        client = ApiClient(url)
        client.register("served_user", "s@clinic.test", PASSWORD)
        assert client.login("served_user", PASSWORD).token
        assert (tmp_path / "served" / "secret_key").exists()
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_server_process_never_imports_qt(tmp_path):
    code = (
        "import sys, tempfile, base64\n"
        "from server.app import create_app, state_of\n"
        "app = create_app({'data_dir': tempfile.mkdtemp(), 'scrypt_n': 1024})\n"
        "client = app.test_client()\n"
        "client.post('/register', json={'username': 'q', 'email': 'q@x.test', 'password': 'password 1'})\n"
        "token = client.post('/login', json={'username': 'q', 'password': 'password 1'}).json['token']\n"
        "client.post('/predict', json={'username': 'q', 'image_b64': base64.b64encode(open(sys.argv[1], 'rb').read()).decode()},\n"
        "            headers={'Authorization': 'Bearer ' + token})\n"
        "qt = sorted(m for m in sys.modules if m.startswith(('PySide6', 'shiboken6')))\n"
        "print('QT', qt)\n"
        "sys.exit(1 if qt else 0)\n"
    )
    scan = tmp_path / "scan.png"
    scan.write_bytes(scan_png())
    result = subprocess.run([sys.executable, "-c", code, str(scan)], cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)},
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
