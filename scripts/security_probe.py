"""Attacks a running TumorPredict server the way the security review did, and says what held.

    PYTHONPATH=. .venv/bin/python scripts/security_probe.py --data-dir /tmp/probe-server

Starts the server itself (gunicorn, 2 workers × 8 threads, production settings, SQLite in
--data-dir, a fresh folder) on a free loopback port, then:

1. a poisoned federated round: a float64 1e300 upload, the largest upload the checks allow, an
   honest one, aggregation, then /predict as a patient and one more upload;
2. 100 wrong doctor enrollment codes from one address;
3. a 7,000 × 7,000 RGBA PNG on /predict, with the peak resident memory of the worker that
   answered, above its idle size (Linux: /proc/<pid>/status, the peak reset via clear_refs).

Never point it at a clinic's real server: it registers accounts and uploads weights.
"""

from __future__ import annotations

import argparse
import base64
import io
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import requests

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.predict_memory import large_png  # noqa: E402
from desktop_app.core.federated.npz_format import dump_npz  # noqa: E402

CODE = "probe-enrolment-code-7f3k-q9xw"
PASSWORD = "a long probe password 7"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _workers(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return [int(pid) for pid in children]


def _start(data_dir: Path) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO), "TUMORPREDICT_SERVER_DATA_DIR": str(data_dir),
           "TUMORPREDICT_ENROLLMENT_CODE": CODE, "TUMORPREDICT_DATABASE_URL": ""}
    gunicorn = shutil.which("gunicorn", path=os.path.dirname(sys.executable)) or "gunicorn"
    log = open(data_dir.parent / f"{data_dir.name}-gunicorn.log", "w")
    process = subprocess.Popen([gunicorn, "--workers", "2", "--threads", "8", "--bind", f"127.0.0.1:{port}",
                                "--timeout", "120", "server.app:create_app()"], cwd=REPO, env=env,
                               stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if requests.get(url + "/health", timeout=30).ok:
                return process, url
        except (requests.ConnectionError, requests.Timeout):
            time.sleep(0.2)
    process.terminate()
    raise SystemExit("the server did not start (see the gunicorn log)")


def _account(url: str, name: str, role: str = "patient", **extra) -> dict:
    body = {"username": name, "email": f"{name}@probe.test", "password": PASSWORD, "role": role, **extra}
    if role == "doctor":
        body["enrollment_code"] = CODE
    assert requests.post(url + "/register", json=body, timeout=60).status_code == 200, name
    token = requests.post(url + "/login", json={"username": name, "password": PASSWORD}, timeout=60).json()["token"]
    return {"Authorization": f"Bearer {token}"}


def _upload(url: str, headers: dict, name: str, data: bytes) -> int:
    files = {"weights": ("update.npz", data)}
    return requests.post(url + "/upload_weights", headers=headers, timeout=60, files=files,
                         data={"username": name, "num_examples": "20"}).status_code


def _float64_npz(fill: float) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, W=np.full((128, 4), fill, np.float64), b=np.zeros(4), __meta__=np.array("{}"))
    return buffer.getvalue()


def poisoned_round(url: str, data_dir: Path) -> None:
    admin = _account(url, "dr_admin", "doctor")
    evil = _account(url, "dr_evil", "doctor")
    patient = _account(url, "pat", doctor="dr_admin")
    subprocess.run([sys.executable, "-m", "desktop_app", "serve", "promote", "dr_admin", "--data-dir",
                    str(data_dir)], cwd=REPO, check=True, capture_output=True,
                   env={**os.environ, "PYTHONPATH": str(REPO), "TUMORPREDICT_DATABASE_URL": ""})
    print("1. poisoned federated round")
    print(f"   float64 1e300 upload: {_upload(url, evil, 'dr_evil', _float64_npz(1e300))}")
    huge = dump_npz({"W": np.full((128, 4), 9999.0, np.float32), "b": np.zeros(4, np.float32)})
    print(f"   largest upload the value checks allow (9999 everywhere): {_upload(url, evil, 'dr_evil', huge)}")
    honest = dump_npz({"W": np.full((128, 4), 0.01, np.float32), "b": np.zeros(4, np.float32)})
    print(f"   honest upload: {_upload(url, admin, 'dr_admin', honest)}")
    aggregated = requests.post(url + "/trigger_aggregation", json={}, headers=admin, timeout=60)
    print(f"   aggregation: {aggregated.status_code} {aggregated.json().get('version')}")
    sample = (REPO / "resources" / "samples" / "glioma_1.jpg").read_bytes()
    answer = requests.post(url + "/predict", headers=patient, timeout=120, json={
        "username": "pat", "image_b64": base64.b64encode(sample).decode(), "image_name": "glioma_1.jpg"})
    print(f"   /predict afterwards: {answer.status_code} {answer.json().get('label')} "
          f"({answer.json().get('model_version')})")
    print(f"   next upload: {_upload(url, admin, 'dr_admin', honest)}")


def enrollment_guessing(url: str) -> None:
    codes = []
    for i in range(100):
        codes.append(requests.post(url + "/register", timeout=60, json={
            "username": f"dr_guess{i}", "email": "g@probe.test", "password": PASSWORD, "role": "doctor",
            "enrollment_code": f"guess-{i:04d}"}).status_code)
    last = requests.post(url + "/register", timeout=60, json={
        "username": "dr_guess", "email": "g@probe.test", "password": PASSWORD, "role": "doctor",
        "enrollment_code": "guess"})
    print("2. 100 wrong enrollment codes from one address")
    print(f"   403: {codes.count(403)}, 429: {codes.count(429)}, other: {len(codes) - codes.count(403) - codes.count(429)}; "
          f"Retry-After {last.headers.get('Retry-After')} s")


def big_png(url: str, master: int) -> None:
    patient = {"Authorization": requests.post(url + "/login", timeout=60, json={
        "username": "pat", "password": PASSWORD}).json()["token"]}
    headers = {"Authorization": f"Bearer {patient['Authorization']}"}
    sample = (REPO / "resources" / "samples" / "glioma_1.jpg").read_bytes()
    for _ in range(8):  # every worker has loaded the model and decoded a scan: "idle" is warm
        requests.post(url + "/predict", headers=headers, timeout=120, json={
            "username": "pat", "image_b64": base64.b64encode(sample).decode(), "image_name": "warm.jpg"})
    picture = large_png(7000, "RGBA")
    idle = {}
    for pid in _workers(master):
        idle[pid] = _status_kb(pid, "VmRSS")
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    answer = requests.post(url + "/predict", headers=headers, timeout=300, json={
        "username": "pat", "image_b64": base64.b64encode(picture).decode(), "image_name": "big.png"})
    above = max((_status_kb(pid, "VmHWM") - kb) / 1024 for pid, kb in idle.items())
    print(f"3. 7,000 × 7,000 RGBA PNG ({len(picture) // 1024} KB) on /predict")
    print(f"   answer: {answer.status_code} {answer.json().get('reason')}: {answer.json().get('message')}")
    print(f"   worker idle RSS: {', '.join(f'{kb / 1024:.0f} MB' for kb in idle.values())}; "
          f"peak above idle: {above:.1f} MB")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True, help="a new, empty folder for the probe's server")
    args = parser.parse_args(argv)
    if args.data_dir.exists() and any(args.data_dir.iterdir()):
        raise SystemExit(f"{args.data_dir} is not empty: the probe needs a fresh server")
    args.data_dir.mkdir(parents=True, exist_ok=True)
    process, url = _start(args.data_dir)
    try:
        poisoned_round(url, args.data_dir)
        enrollment_guessing(url)
        big_png(url, process.pid)
    finally:
        process.terminate()
        process.wait(timeout=30)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
