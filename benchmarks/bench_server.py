"""Server polling latency with 10,000 reports and 100,000 messages, next to the legacy file-per-record design.

Run: PYTHONPATH=. .venv/bin/python benchmarks/bench_server.py [--pg-url postgresql://…] [--reports 10000]
     [--messages 100000] [--clients 50] [--polls 20] [--workers 2] [--threads 8]

Both servers run as separate processes on 127.0.0.1 and are measured in the same run:
- the project's server under gunicorn (SQLite in WAL mode, and PostgreSQL when --pg-url is given),
  with the data inserted straight into its tables;
- the legacy server (tests/sync/legacy_server.py: one JSON file per report, one chat_messages.json,
  every list call reads every file) holding the same records.

Each of `--clients` patients polls (every `--interval` seconds on average, jittered) from its own thread (threads spread over several client
processes so the client side's interpreter lock does not inflate the figures): a first
sync (full /list_reports and the whole conversation), then, once every client has synced,
`--polls` rounds of /list_reports and /get_messages with the cursor from the
previous answer. Latency is measured per request at the client; the figure is the p95 over all.
The legacy server knows no cursor, so each of its polls is the whole list again (as legacy clients do);
it is measured with fewer polls (`--legacy-polls`) because each one costs a full scan.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import requests

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from server.auth import token_digest  # noqa: E402
from server.storage import Storage, conversation_key  # noqa: E402
from server.storage import schema as t  # noqa: E402

TARGET_P95_MS = 50.0
PATIENTS = 100
DOCTORS = 5
KINDS = ("full_list", "list_reports", "get_messages", "full_list_in_app", "list_reports_in_app",
         "get_messages_in_app")
LABELS = ("Glioma", "Meningioma", "Pituitary tumor", "No Tumor")


# ---- the data set ---------------------------------------------------------------------------


def make_dataset(reports: int, messages: int) -> dict:
    """The same records for both designs: patients, their reports, patient-doctor conversations."""
    now_ms = int(time.time() * 1000)
    patients = [f"patient{i:03d}" for i in range(PATIENTS)]
    doctors = [f"dr_{i}" for i in range(DOCTORS)]
    report_rows = [{
        "id": str(uuid.uuid4()), "username": patients[i % PATIENTS], "timestamp": now_ms - i * 1000,
        "status": ("pending", "approved", "rejected")[i % 3], "doctor_notes": "Reviewed." if i % 3 else "",
        "label": LABELS[i % 4], "confidence": 0.5 + (i % 50) / 100,
    } for i in range(reports)]
    now_s = time.time()
    message_rows = [{
        "id": str(uuid.uuid4()), "sender": patients[i % PATIENTS] if i % 2 else doctors[i % DOCTORS],
        "receiver": doctors[i % DOCTORS] if i % 2 else patients[i % PATIENTS],
        "message": f"Message number {i} about the scan and the next appointment.",
        "timestamp": round(now_s - (messages - i), 3),
    } for i in range(messages)]
    return {"patients": patients, "doctors": doctors, "reports": report_rows, "messages": message_rows}


def seed_project_db(url: str, data: dict) -> dict[str, str]:
    """Inserts the data set into the project's tables; returns a bearer token per patient."""
    storage = Storage.open(url)
    t.metadata.drop_all(storage.engine)
    storage.close()
    storage = Storage.open(url)
    now = int(time.time() * 1000)
    tokens = {p: uuid.uuid4().hex + uuid.uuid4().hex for p in data["patients"]}
    with storage.engine.begin() as conn:
        users = [{"username": name, "email": f"{name}@clinic.test", "password_hash": "scrypt$bench-unused",
                  "role": "patient", "is_admin": False, "doctor": data["doctors"][i % DOCTORS], "full_name": "",
                  "created_at": now, "imported": False} for i, name in enumerate(data["patients"])]
        users += [{"username": d, "email": f"{d}@clinic.test", "password_hash": "scrypt$bench-unused",
                   "role": "doctor", "is_admin": False, "doctor": None, "full_name": "", "created_at": now,
                   "imported": False} for d in data["doctors"]]
        conn.execute(t.users.insert(), users)
        conn.execute(t.tokens.insert(), [{"token_hash": token_digest(tok), "username": p, "created_at": now,
                                          "expires_at": now + 86_400_000, "revoked": False} for p, tok in tokens.items()])
        conn.execute(t.reports.insert(), [{
            "id": r["id"], "seq": seq, "username": r["username"], "doctor": None, "timestamp": r["timestamp"],
            "status": r["status"], "doctor_notes": r["doctor_notes"], "label": r["label"],
            "label_key": r["label"].lower().replace(" ", "_"), "confidence": r["confidence"],
            "probabilities": json.dumps({r["label"]: r["confidence"]}), "is_brain_mri": True,
            "model_version": "v1", "notes": "", "source": "server", "image_hash": None, "client_report_id": None,
            "reviewed_by": None, "reviewed_at": None, "confirmed_label": None, "reject_reason": None,
            "created_by": r["username"], "updated_at": now,
        } for seq, r in enumerate(data["reports"], start=1)])
        conn.execute(t.messages.insert(), [{
            "id": m["id"], "seq": seq, "pair": conversation_key(m["sender"], m["receiver"]), "sender": m["sender"],
            "receiver": m["receiver"], "message": m["message"], "timestamp": m["timestamp"], "client_message_id": None,
        } for seq, m in enumerate(data["messages"], start=1)])
        conn.execute(t.counters.update().where(t.counters.c.name == "reports").values(value=len(data["reports"])))
        conn.execute(t.counters.update().where(t.counters.c.name == "messages").values(value=len(data["messages"])))
    if storage.is_sqlite:
        with storage.engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
    else:
        with storage.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE")
    storage.close()
    return tokens


def seed_legacy_folder(root: Path, data: dict) -> None:
    """The same records as the legacy server keeps them: a JSON file per report, one chat file."""
    (root / "reports").mkdir(parents=True)
    (root / "fl_server" / "storage").mkdir(parents=True)
    (root / "uploads").mkdir()
    for r in data["reports"]:
        record = {"id": r["id"], "username": r["username"], "timestamp": r["timestamp"], "status": r["status"],
                  "doctor_notes": r["doctor_notes"],
                  "report": {"label": r["label"], "confidence": r["confidence"], "model_version": "v1", "notes": ""}}
        (root / "reports" / f"{r['id']}.json").write_text(json.dumps(record))
    messages = [{k: m[k] for k in ("id", "sender", "receiver", "message")} | {"timestamp": int(m["timestamp"])}
                for m in data["messages"]]
    (root / "chat_messages.json").write_text(json.dumps(messages))


# ---- servers --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_healthy(url: str, path: str, process: subprocess.Popen, method: str = "get") -> None:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("server exited while starting (see its log in the temporary folder)")
        try:
            requests.request(method, url + path, json={}, timeout=30)
            return
        except (requests.ConnectionError, requests.Timeout):
            time.sleep(0.3)
    raise RuntimeError("server did not start")


def start_project_server(data_dir: Path, url: str, workers: int, threads: int) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO), "TUMORPREDICT_SERVER_DATA_DIR": str(data_dir),
           "TUMORPREDICT_DATABASE_URL": url, "TUMORPREDICT_SERVER_TIMING": "true"}
    gunicorn = shutil.which("gunicorn", path=os.path.dirname(sys.executable)) or "gunicorn"
    log = open(data_dir.parent / f"gunicorn-{port}.log", "w")  # a pipe nobody reads would block the server
    process = subprocess.Popen(
        [gunicorn, "--workers", str(workers), "--threads", str(threads), "--bind", f"127.0.0.1:{port}",
         "--timeout", "120", "--keep-alive", "5", "--log-level", "warning", "server.app:create_app()"],
        cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, text=True,
    )
    base = f"http://127.0.0.1:{port}"
    wait_healthy(base, "/health", process)
    for _ in range(8 * workers):  # let every worker build its connection pool and query caches
        requests.get(base + "/health", timeout=60)
    return process, base


def start_legacy_server(root: Path) -> tuple[subprocess.Popen, str]:
    """The legacy app as it was deployed: one process answering one request at a time per thread."""
    port = free_port()
    code = (
        "import sys; from pathlib import Path; from werkzeug.serving import make_server; "
        "from tests.sync.legacy_server import create_legacy_app; "
        f"make_server('127.0.0.1', {port}, create_legacy_app(Path(sys.argv[1])), threaded=True).serve_forever()"
    )
    log = open(root.parent / f"legacy-{port}.log", "w")
    process = subprocess.Popen([sys.executable, "-c", code, str(root)], cwd=REPO,
                               env={**os.environ, "PYTHONPATH": str(REPO)}, stdout=log, stderr=subprocess.STDOUT,
                               text=True)
    base = f"http://127.0.0.1:{port}"
    wait_healthy(base, "/get_global_meta", process)
    return process, base


# ---- clients --------------------------------------------------------------------------------


class KeepAliveClient:
    """One keep-alive HTTP/1.1 connection per polling app; far lighter than `requests`, so the client
    side adds little to the measured latency on a machine with few cores."""

    def __init__(self, base: str):
        parsed = urlsplit(base)
        self.host, self.port = parsed.hostname, parsed.port
        self.conn: http.client.HTTPConnection | None = None

    def post(self, path: str, body: dict, headers: dict[str, str]) -> tuple[int, str, bytes]:
        payload = json.dumps(body).encode()
        for attempt in (0, 1):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=300)
            try:
                self.conn.request("POST", path, body=payload,
                                  headers={"Content-Type": "application/json", **headers})
                response = self.conn.getresponse()
                return response.status, response.getheader("Server-Timing") or "", response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.conn.close()
                self.conn = None  # the server closed an idle connection: open a new one, once
                if attempt:
                    raise
        raise AssertionError("unreachable")


def _poll_as_patient(base: str, patient: str, doctor: str, token: str | None, polls: int, interval: float,
                     use_cursor: bool, barrier, out: dict[str, list[float]], lock: threading.Lock) -> None:
    client = KeepAliveClient(base)
    rng = random.Random(patient)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    timings: dict[str, list[float]] = {k: [] for k in KINDS}

    def call(kind: str, path: str, body: dict) -> dict:
        started = time.perf_counter()
        status, server_timing, data = client.post(path, body, headers)
        timings[kind].append((time.perf_counter() - started) * 1000)
        if server_timing:
            timings[f"{kind}_in_app"].append(float(server_timing.partition("dur=")[2]))
        if status != 200:
            raise RuntimeError(f"{path} answered {status}: {data[:200]!r}")
        return json.loads(data)

    if interval:
        time.sleep(rng.uniform(0, interval))  # apps start at different moments, not all at once
    first = call("full_list", "/list_reports", {"username": patient})
    report_cursor = first.get("cursor")
    message_cursor = "0"
    if use_cursor:  # the first sync of the conversation (everything so far) is not a cursor poll
        message_cursor = call("full_list", "/get_messages",
                              {"user1": patient, "user2": doctor, "since": "0"}).get("cursor")
    barrier.wait(timeout=1800)  # polling is measured once every app has done its first sync
    for _ in range(polls):
        if interval:
            time.sleep(rng.uniform(0.5, 1.5) * interval)  # each app polls on its own timer, not in lockstep
        body = {"username": patient} | ({"since": report_cursor} if use_cursor else {})
        report_cursor = call("list_reports", "/list_reports", body).get("cursor", report_cursor)
        body = {"user1": patient, "user2": doctor} | ({"since": message_cursor} if use_cursor else {})
        message_cursor = call("get_messages", "/get_messages", body).get("cursor", message_cursor)
    with lock:
        for kind, values in timings.items():
            out[kind].extend(values)


def _client_process(args: tuple) -> dict[str, list[float]]:
    base, jobs, polls, interval, use_cursor, barrier = args
    out: dict[str, list[float]] = {k: [] for k in KINDS}
    lock = threading.Lock()
    threads = [threading.Thread(target=_poll_as_patient, args=(base, p, d, tok, polls, interval, use_cursor, barrier, out, lock))
               for p, d, tok in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return out


def run_clients(base: str, data: dict, tokens: dict[str, str] | None, clients: int, polls: int, interval: float,
                use_cursor: bool, processes: int) -> dict[str, list[float]]:
    jobs = [(p, data["doctors"][i % DOCTORS], tokens[p] if tokens else None)
            for i, p in enumerate(data["patients"][:clients])]
    chunks = [jobs[i::processes] for i in range(processes) if jobs[i::processes]]
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager, context.Pool(len(chunks)) as pool:
        barrier = manager.Barrier(len(jobs))
        results = pool.map(_client_process, [(base, chunk, polls, interval, use_cursor, barrier) for chunk in chunks])
    merged: dict[str, list[float]] = {k: [] for k in KINDS}
    for result in results:
        for kind, values in result.items():
            merged[kind].extend(values)
    return merged


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 20 else max(values)


def summary(values: list[float]) -> str:
    return f"p50 {statistics.median(values):8.1f} ms   p95 {p95(values):8.1f} ms   (n={len(values)})"


# ---- main -----------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reports", type=int, default=10_000)
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--polls", type=int, default=20)
    parser.add_argument("--legacy-clients", type=int, default=10)
    parser.add_argument("--legacy-polls", type=int, default=1)
    parser.add_argument("--interval", type=float, default=1.0,
                        help="mean seconds between one client's polls (0: back to back, a stress test)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--client-processes", type=int, default=5)
    parser.add_argument("--pg-url", default=os.environ.get("TUMORPREDICT_TEST_PG_URL"))
    parser.add_argument("--no-sqlite", action="store_true", help="measure PostgreSQL (and legacy) only")
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # progress shows up even when the output goes to a file

    print(f"data: {args.reports:,} reports, {args.messages:,} messages, {PATIENTS} patients, {DOCTORS} doctors; "
          f"{args.clients} concurrent clients x {args.polls} polls every ~{args.interval:g} s; gunicorn {args.workers} workers x "
          f"{args.threads} threads; {os.cpu_count()} CPU cores")
    data = make_dataset(args.reports, args.messages)
    per_patient = args.reports // PATIENTS
    per_pair = args.messages // PATIENTS
    print(f"each patient: {per_patient} reports, {per_pair} messages with their doctor\n")
    results: dict[str, dict[str, list[float]]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-server-") as tmp:
        tmp_path = Path(tmp)
        databases = [] if args.no_sqlite else [("SQLite (WAL)", f"sqlite:///{tmp_path / 'bench.sqlite3'}")]
        if args.pg_url:
            databases.append(("PostgreSQL", args.pg_url))
        for label, url in databases:
            started = time.perf_counter()
            tokens = seed_project_db(url, data)
            print(f"[{label}] seeded in {time.perf_counter() - started:.1f} s")
            process, base = start_project_server(tmp_path / f"data-{len(results)}", url, args.workers, args.threads)
            try:
                results[label] = run_clients(base, data, tokens, args.clients, args.polls, args.interval, True,
                                             args.client_processes)
            finally:
                process.terminate()
                process.wait(timeout=30)

        started = time.perf_counter()
        seed_legacy_folder(tmp_path / "legacy", data)
        print(f"[legacy] wrote {args.reports:,} report files and chat_messages.json in "
              f"{time.perf_counter() - started:.1f} s")
        process, base = start_legacy_server(tmp_path / "legacy")
        try:
            results["legacy (file per record)"] = run_clients(
                base, data, None, args.legacy_clients, args.legacy_polls, args.interval, False,
                min(args.client_processes, args.legacy_clients))
        finally:
            process.terminate()
            process.wait(timeout=30)

    print(f"\nload average during the run (1, 5, 15 min): {', '.join(f'{x:.1f}' for x in os.getloadavg())} "
          f"on {os.cpu_count()} cores (other work on the machine counts too)")
    legacy = results["legacy (file per record)"]
    failed = False
    for label, timing in results.items():
        print(f"{label}:")
        print(f"  first sync (full lists)                  {summary(timing['full_list'])}")
        cursor_note = "whole list (no cursor)" if label.startswith("legacy") else "with cursor"
        print(f"  /list_reports {cursor_note:<24}   {summary(timing['list_reports'])}")
        print(f"  /get_messages {cursor_note:<24}   {summary(timing['get_messages'])}")
        if timing["list_reports_in_app"]:
            print(f"    time inside the app (Server-Timing), /list_reports   {summary(timing['list_reports_in_app'])}")
            print(f"    time inside the app (Server-Timing), /get_messages   {summary(timing['get_messages_in_app'])}")
        if not label.startswith("legacy"):
            for kind in ("list_reports", "get_messages"):
                ok = p95(timing[kind]) <= TARGET_P95_MS
                failed |= not ok
                speedup = p95(legacy[kind]) / max(p95(timing[kind]), 1e-6)
                print(f"    {kind} p95 target <= {TARGET_P95_MS:.0f} ms: {'met' if ok else 'NOT met'}; "
                      f"{speedup:,.0f}x lower p95 than the legacy design")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
