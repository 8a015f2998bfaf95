"""Concurrent writers: real gunicorn with several worker processes and many client threads lose no record."""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from server.storage import Storage
from tests.server.conftest import ENROLLMENT_CODE, PASSWORD, device_prediction, scan_png
from tests.server.test_live_server import REPO, _free_port, _wait_healthy

CLIENTS = 24
MESSAGES_EACH = 12
REPORTS_EACH = 3


@pytest.fixture
def gunicorn_url(tmp_path, database_url):
    gunicorn = shutil.which("gunicorn", path=os.path.dirname(sys.executable)) or shutil.which("gunicorn")
    if gunicorn is None:
        pytest.skip("gunicorn is not installed")
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO), "TUMORPREDICT_SERVER_DATA_DIR": str(tmp_path / "data"),
           "TUMORPREDICT_DATABASE_URL": database_url, "TUMORPREDICT_ENROLLMENT_CODE": ENROLLMENT_CODE,
           "TUMORPREDICT_SCRYPT_N": "4096", "TUMORPREDICT_LOGIN_MAX_FAILURES_ADDRESS": "1000"}
    process = subprocess.Popen(
        [gunicorn, "--workers", "4", "--threads", "4", "--bind", f"127.0.0.1:{port}", "--timeout", "120",
         "server.app:create_app()"],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, process, seconds=120)
        yield url
    finally:
        process.terminate()
        output = process.communicate(timeout=30)[0]
        assert "Traceback" not in output, output[-4000:]


def _client_run(url: str, index: int) -> None:
    session = requests.Session()
    name = f"patient{index:02d}"
    assert session.post(f"{url}/register", json={"username": name, "email": f"{name}@x.test", "password": PASSWORD,
                                                 "doctor": "dr_many"}, timeout=60).status_code == 200
    token = session.post(f"{url}/login", json={"username": name, "password": PASSWORD}, timeout=60).json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    image = base64.b64encode(scan_png(index)).decode()
    for n in range(REPORTS_EACH):
        body = {"username": name, "image_b64": image, "prediction": device_prediction(),
                "client_report_id": f"{name}-r{n}"}
        for _ in range(2):  # every write is retried once, as a flaky network would
            assert session.post(f"{url}/predict", json=body, headers=headers, timeout=60).status_code == 200
    for n in range(MESSAGES_EACH):
        body = {"sender": name, "receiver": "dr_many", "message": f"{name} says {n}", "client_message_id": f"{name}-m{n}"}
        for _ in range(2):
            assert session.post(f"{url}/send_message", json=body, headers=headers, timeout=60).status_code == 200


@pytest.mark.slow
def test_many_clients_on_several_workers_lose_nothing(gunicorn_url, database_url, tmp_path):
    requests.post(f"{gunicorn_url}/register", json={"username": "dr_many", "email": "d@x.test", "password": PASSWORD,
                                                    "role": "doctor", "enrollment_code": ENROLLMENT_CODE}, timeout=60)
    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        for future in [pool.submit(_client_run, gunicorn_url, i) for i in range(CLIENTS)]:
            future.result()
    storage = Storage.open(database_url if database_url.startswith("postgres") else database_url)
    try:
        counts = storage.counts()
        assert counts["reports"] == CLIENTS * REPORTS_EACH
        assert counts["messages"] == CLIENTS * MESSAGES_EACH
        assert counts["users"] == CLIENTS + 1
        # Cursors saw every write exactly once, in order.
        seqs = [r["seq"] for r in storage.list_reports()]
        assert len(seqs) == len(set(seqs)) == CLIENTS * REPORTS_EACH
        inbox = storage.messages_of("dr_many")
        assert len({m["id"] for m in inbox}) == CLIENTS * MESSAGES_EACH
    finally:
        storage.close()
