"""Sync figures: offline backlog flush, and the cost of an idle pass as history grows (cursor vs legacy full lists).

Run: PYTHONPATH=. .venv/bin/python benchmarks/bench_sync.py [--reports 1000] [--messages 5000]

Everything runs on 127.0.0.1: this project's server under gunicorn (4 workers × 4 threads,
SQLite WAL), as clinics deploy it, and the legacy server re-implementation from devkit/legacy_server.py
under werkzeug's threaded server. Each figure is printed next to its target and next to the legacy baseline
measured in the same run; the flush also next to a tenth of the backlog sent to the project server
without message batches (one request per message, as before /send_messages).
"""

from __future__ import annotations

import argparse
import logging
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from desktop_app.core.api_client import ApiClient, ApiError, AuthRequired, RequestRejected

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # the servers and scenario live in devkit/

from devkit import sync_scenario  # noqa: E402
from devkit.legacy_server import create_legacy_app  # noqa: E402
from devkit.loopback import serve_wsgi  # noqa: E402
from devkit.sync_scenario import (  # noqa: E402
    ENROLLMENT_CODE,
    PASSWORDS,
    add_offline_messages,
    add_offline_reports,
    open_signed_in_device,
    register_on_server,
    sample_images,
)

FLUSH_TARGET_S = 60.0
IDLE_TARGET_MS = 50.0


def _p50_p95(times: list[float]) -> tuple[float, float]:
    times = sorted(times)
    return statistics.median(times), times[int(0.95 * (len(times) - 1))]


def idle_cost_ms(engine, repeats: int) -> tuple[float, float]:
    """(median, p95) of a sync pass with nothing to do."""
    engine.run_once()  # warm the connection and the indexes
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        report = engine.run_once()
        times.append((time.perf_counter() - start) * 1000)
        assert report.error is None and report.waiting == 0, report.lines()
    return _p50_p95(times)


def http_cost_ms(engine, username: str, repeats: int) -> float:
    """Median of the bare network calls an idle pass makes, without any of the engine's own work."""
    client = engine.client.with_token(engine.vault.get(username))
    cursors = engine.state
    calls = [lambda: client.list_reports(username, since=cursors.cursor(f"reports:{username}"))]
    if client.capabilities.cursors:
        calls.append(lambda: client.get_inbox(since=cursors.cursor(f"inbox:{username}")))
    else:
        calls += [lambda peer=peer: client.get_messages(username, peer) for peer in cursors.peers(username) or ["bench_doctor"]]
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for call in calls:
            call()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def flush_s(device) -> float:
    """Seconds until the device's whole outbox is on the server."""
    start = time.perf_counter()
    report = device.sync.run_once()
    while report.waiting and report.error is None:
        report = device.sync.run_once()
    assert report.error is None and report.waiting == 0, report.lines()
    return time.perf_counter() - start


def serial_flush(work: Path, url: str, n_reports: int, n_messages: int) -> float:
    """The same flush with one message per request, as a server without /send_messages gets it."""
    register_on_server(url, "bench_patient_serial", "bench_doctor")
    device = open_signed_in_device(work / "device-serial", url, "bench_patient_serial", PASSWORDS["patient"])
    device.sync.client.capabilities.message_batches = False  # what a 404 to /send_messages would teach it
    add_offline_reports(device, "bench_patient_serial", n_reports)
    add_offline_messages(device, "bench_patient_serial", "bench_doctor", n_messages)
    try:
        return flush_s(device)
    finally:
        device.close()


def grow_history(url: str, doctor: str, images: list[bytes], reports: int, messages: int, patients: int = 8) -> None:
    """More history on the server from the rest of the clinic: other patients' scans and chats, sent in parallel."""
    names = [f"other_patient_{i}" for i in range(patients)]
    doctor_client = ApiClient(url)
    doctor_client.login(doctor, PASSWORDS["doctor"])
    clients = {}
    for name in names:
        register_on_server(url, name, doctor)
        clients[name] = ApiClient(url)
        clients[name].login(name, PASSWORDS["patient"])

    def one_patient(index: int) -> None:
        name = names[index]
        for i in range(index, reports, patients):
            try:
                clients[name].predict(name, images[i % len(images)], client_report_id=f"grow-{i}")
            except RequestRejected as exc:
                if exc.code != "not_brain_mri":  # the server's model refuses a few training images
                    raise
        for i in range(index, messages, patients):
            clients[name].send_message(name, doctor, f"history {i}", client_message_id=f"grow-{i}")

    with ThreadPoolExecutor(patients) as pool:
        list(pool.map(one_patient, range(patients)))


@contextmanager
def gunicorn_server(data_dir: Path, workers: int) -> Iterator[str]:
    """This project's server as clinics deploy it (gunicorn workers × threads, SQLite in WAL mode)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "PYTHONPATH": str(REPO), "TUMORPREDICT_SERVER_DATA_DIR": str(data_dir),
           "TUMORPREDICT_ENROLLMENT_CODE": ENROLLMENT_CODE, "TUMORPREDICT_SECRET_KEY": "bench-secret-key"}
    data_dir.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        # The production command of docs/server.md.
        [str(Path(sys.executable).parent / "gunicorn"), "--workers", str(workers), "--threads", "4",
         "--bind", f"127.0.0.1:{port}", "--timeout", "120", "--log-level", "warning", "server.app:create_app()"],
        env=env, cwd=REPO,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                ApiClient(url, max_retries=0).get_global_meta()
                break
            except AuthRequired:
                break  # it answers (and wants a token): up
            except ApiError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=1000)
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers of the project server")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    sync_scenario.USE_DATASET[0] = True  # a thousand distinct scans where the training set is present
    work = Path(tempfile.mkdtemp(prefix="bench-sync-"))
    images = sample_images(args.reports)  # the rest of the clinic's scans (server-side inference)
    print(f"bench_sync: {args.reports} reports, {args.messages} messages")
    with gunicorn_server(work / "server", args.workers) as url, \
            serve_wsgi(create_legacy_app(work / "legacy")) as legacy_url:
        rows = []
        for kind, server_url in (("project", url), ("legacy", legacy_url)):
            register_on_server(server_url, "bench_patient", "bench_doctor")
            device = open_signed_in_device(work / f"device-{kind}", server_url, "bench_patient", PASSWORDS["patient"])
            # Legacy baseline flushes a tenth of the backlog: it lists every report after each send.
            n_reports = args.reports if kind == "project" else max(1, args.reports // 10)
            n_messages = args.messages if kind == "project" else max(1, args.messages // 10)
            add_offline_reports(device, "bench_patient", n_reports)
            add_offline_messages(device, "bench_patient", "bench_doctor", n_messages)
            flushed = flush_s(device)
            idle_small = (*idle_cost_ms(device.sync, args.repeats), http_cost_ms(device.sync, "bench_patient", args.repeats))
            grow_history(server_url, "bench_doctor", images, n_reports, n_messages)
            device.sync.run_once()  # take the new history in once
            idle_large = (*idle_cost_ms(device.sync, args.repeats), http_cost_ms(device.sync, "bench_patient", args.repeats))
            rows.append((kind, n_reports, n_messages, flushed, idle_small, idle_large))
            device.close()
        # Baseline for the batches: a tenth of the backlog, one message per request.
        serial = (max(1, args.reports // 10), max(1, args.messages // 10))
        serial_s = serial_flush(work, url, *serial)

    print()
    print(f"{'server':8} {'backlog':>14} {'flush s':>8} {'rec/s':>6} | idle pass ms p50/p95 (HTTP only p50)"
          f" | same after the clinic's history grew")
    for kind, n_reports, n_messages, flushed, small, large in rows:
        rate = (n_reports + n_messages) / flushed
        print(f"{kind:8} {f'{n_reports}r+{n_messages}m':>14} {flushed:8.1f} {rate:6.0f} | "
              f"{small[0]:6.1f}/{small[1]:<6.1f} ({small[2]:5.1f})        | "
              f"{large[0]:6.1f}/{large[1]:<6.1f} ({large[2]:5.1f})")
    project, legacy = rows
    print()
    print(f"flush of {project[1]} reports + {project[2]} messages: {project[3]:.1f} s (target <= {FLUSH_TARGET_S:.0f} s)"
          f" -> {'OK' if project[3] <= FLUSH_TARGET_S else 'MISSED'}")
    print(f"baseline, project server without batches (one message per request), {serial[0]} reports +"
          f" {serial[1]} messages: {serial_s:.1f} s ({sum(serial) / serial_s:.0f} records/s, against"
          f" {(project[1] + project[2]) / project[3]:.0f} with batches)")
    print(f"idle pass, project server: {project[4][0]:.1f} ms, after history grew {project[5][0]:.1f} ms"
          f" (target <= {IDLE_TARGET_MS:.0f} ms and flat) -> {'OK' if project[5][0] <= IDLE_TARGET_MS else 'MISSED'}")
    print(f"idle pass, legacy server (full lists): {legacy[4][0]:.1f} ms, after history grew {legacy[5][0]:.1f} ms"
          f" (legacy run with a tenth of the data)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
