"""Legacy-shaped polling at a fixed offered rate: the project's server next to a minimal server, in one run.

Run: PYTHONPATH=. .venv/bin/python benchmarks/bench_server.py [--pg-url postgresql://…] [--compare-repo DIR]
     [--duration 15] [--clients 50] [--interval 0.25] [--high-interval 0.1] [--workers 4] [--threads 4]

Data: a legacy server's folder (benchmarks/legacy_dataset.py: 205 users with werkzeug hashes, 10,000
reports, 100,000 messages) imported with the real importer, timed; each patient then has 50 reports
and a 500-message conversation with their doctor, and a bearer token.

Servers, each under gunicorn with the production settings of docs/server.md (4 workers x 4 threads):
- the minimal server (benchmarks/minimal_server.py): Flask + indexed SQLite, rows stored as their
  finished JSON text, a token check and one indexed query per request: the floor;
- the project's server from this checkout, on SQLite (and on PostgreSQL with --pg-url);
- with --compare-repo, the project's server from another checkout (for example the code before a
  change) on the same database, so "before" and "after" come from the same run.

Load: `--clients` legacy apps, each asking every `--interval` seconds (open loop: requests go out on
schedule whether or not the last one was answered, and latency counts from the scheduled moment, so a
slow server cannot hide its queue) for the whole report list or the whole conversation, alternately,
with a token, legacy bodies, no cursor. 50 clients every 250 ms offer 200 requests/s. Then the same at
`--high-interval` (500 requests/s with 100 ms), reporting what was served. Then cursor polls (each app
passes the cursor of its previous answer: the desktop app's steady state) at 200 requests/s.
The machine's other work shows up in every figure: compare each server with the minimal one in the
same run.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import random
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import requests

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks import minimal_server  # noqa: E402
from benchmarks.legacy_dataset import doctor_of, import_into, make_dataset, write_legacy_folder  # noqa: E402
from server.routes.chat import message_wire  # noqa: E402
from server.routes.reports import report_wire  # noqa: E402
from server.storage import Storage, conversation_key  # noqa: E402

TARGET_P95_MS = 25.0
TARGET_RATIO = 1.5
TARGET_SERVED = 400.0
ENDPOINTS = ("list_reports", "get_messages")
PHASES = ("full", "full@high", "cursor")
MINIMAL = "minimal Flask + SQLite"


# ---- servers --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(app_spec: str, cwd: Path, env: dict[str, str], workers: int, threads: int,
                   log_dir: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    gunicorn = shutil.which("gunicorn", path=os.path.dirname(sys.executable)) or "gunicorn"
    log = open(log_dir / f"gunicorn-{port}.log", "w")  # a pipe nobody reads would block the server
    process = subprocess.Popen(
        [gunicorn, "--workers", str(workers), "--threads", str(threads), "--bind", f"127.0.0.1:{port}",
         "--timeout", "120", "--keep-alive", "5", "--log-level", "warning", app_spec],
        cwd=cwd, env={**os.environ, "PYTHONPATH": str(cwd), **env}, stdout=log, stderr=subprocess.STDOUT, text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{app_spec} exited while starting (log: {log.name})")
        try:
            requests.get(base + "/health", timeout=30)
            break
        except (requests.ConnectionError, requests.Timeout):
            time.sleep(0.3)
    for _ in range(8 * workers):  # every worker opens its database connections before the clock starts
        requests.get(base + "/health", timeout=60)
    return process, base


def build_minimal_db(path: Path, project_url: str, data: dict, tokens: dict[str, str]) -> None:
    """The minimal server's database: the project's own wire JSON of every imported row, as text."""
    storage = Storage.open(project_url)
    compact = {"separators": (",", ":"), "ensure_ascii": False}
    reports = [(r["username"], json.dumps(report_wire(r), **compact)) for r in storage.list_reports()]
    pairs = {conversation_key(patient, doctor_of(data, i)) for i, patient in enumerate(data["patients"])}
    messages = [m for pair in pairs for m in storage.list_messages(pair)]
    # Stored in arrival order like the project's rows: conversations interleave on disk in both.
    messages = [(m["pair"], json.dumps(message_wire(m), **compact)) for m in sorted(messages, key=lambda m: m["seq"])]
    storage.close()
    minimal_server.build_database(str(path), tokens, reports, messages)


# ---- clients --------------------------------------------------------------------------------


class KeepAliveClient:
    """One keep-alive HTTP/1.1 connection per app; much lighter than `requests` on a 2-core machine."""

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
                self.conn.request("POST", path, body=payload, headers={"Content-Type": "application/json", **headers})
                response = self.conn.getresponse()
                return response.status, response.getheader("Server-Timing") or "", response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.conn.close()
                self.conn = None  # the server closed an idle connection: open a new one, once
                if attempt:
                    raise
        raise AssertionError("unreachable")


def _one_app(job: dict, start_at: float, out: dict, lock: threading.Lock) -> None:
    """One legacy app: optional cursor set-up, then requests on its own fixed schedule until the end."""
    client = KeepAliveClient(job["base"])
    headers = {"Authorization": f"Bearer {job['token']}"}
    bodies = {"list_reports": {"username": job["patient"]}, "get_messages": {"user1": job["patient"], "user2": job["doctor"]}}
    cursors = {}
    if job["cursor"]:  # the first sync is not what is measured: the polls after it are
        for kind, body in bodies.items():
            cursors[kind] = json.loads(client.post(f"/{kind}", {**body, "since": "0"}, headers)[2])["cursor"]
    latencies = {k: [] for k in ENDPOINTS}
    in_app = {k: [] for k in ENDPOINTS}
    rng = random.Random(job["patient"])
    first = start_at + rng.uniform(0, job["interval"])
    kinds = ENDPOINTS if job["index"] % 2 == 0 else ENDPOINTS[::-1]
    count = int(job["duration"] / job["interval"])
    last_done = start_at
    for k in range(count):
        scheduled = first + k * job["interval"]
        delay = scheduled - time.time()
        if delay > 0:
            time.sleep(delay)
        kind = kinds[k % 2]
        body = {**bodies[kind], "since": cursors[kind]} if job["cursor"] else bodies[kind]
        status, timing, data = client.post(f"/{kind}", body, headers)
        last_done = time.time()
        if status != 200:
            raise RuntimeError(f"/{kind} answered {status}: {data[:200]!r}")
        if job["cursor"]:
            cursors[kind] = json.loads(data)["cursor"]
        latencies[kind].append((last_done - scheduled) * 1000)
        if timing:
            in_app[kind].append(float(timing.partition("dur=")[2]))
    with lock:
        for kind in ENDPOINTS:
            out["latency"][kind] += latencies[kind]
            out["in_app"][kind] += in_app[kind]
        out["last_done"] = max(out["last_done"], last_done)


def _client_process(jobs: list[dict], start_at: float) -> dict:
    out = {"latency": {k: [] for k in ENDPOINTS}, "in_app": {k: [] for k in ENDPOINTS}, "last_done": 0.0}
    lock = threading.Lock()
    threads = [threading.Thread(target=_one_app, args=(job, start_at, out, lock)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return out


def offer_load(base: str, data: dict, tokens: dict[str, str], args, interval: float, cursor: bool) -> dict:
    """Runs `args.clients` apps for `args.duration` s at one request per `interval` each; merged results."""
    jobs = [{"base": base, "patient": p, "doctor": doctor_of(data, i), "token": tokens[p], "index": i,
             "interval": interval, "duration": args.duration, "cursor": cursor}
            for i, p in enumerate(data["patients"][:args.clients])]
    chunks = [jobs[i::args.client_processes] for i in range(args.client_processes) if jobs[i::args.client_processes]]
    start_at = time.time() + 6.0  # every process is up and every cursor set before the first request
    with multiprocessing.get_context("spawn").Pool(len(chunks)) as pool:
        results = pool.starmap(_client_process, [(chunk, start_at) for chunk in chunks])
    merged = {"latency": {k: [] for k in ENDPOINTS}, "in_app": {k: [] for k in ENDPOINTS}}
    for result in results:
        for key in ("latency", "in_app"):
            for kind in ENDPOINTS:
                merged[key][kind] += result[key][kind]
    served = sum(len(v) for v in merged["latency"].values())
    merged["offered_per_s"] = args.clients / interval
    merged["served_per_s"] = served / (max(r["last_done"] for r in results) - start_at)
    return merged


# ---- figures --------------------------------------------------------------------------------


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 20 else max(values, default=0.0)


def print_row(label: str, phase: str, result: dict, floor: dict | None) -> None:
    cells = []
    for kind in ENDPOINTS:
        value = p95(result["latency"][kind])
        ratio = f" ({value / max(p95(floor['latency'][kind]), 1e-9):.2f}x)" if floor else ""
        app = f", in app p95 {p95(result['in_app'][kind]):.1f}" if result["in_app"][kind] else ""
        cells.append(f"{kind} p95 {value:8.1f} ms{ratio}{app}")
    print(f"  {label:<34} {phase:<12} served {result['served_per_s']:5.0f}/s of {result['offered_per_s']:.0f}   "
          + "   ".join(cells))


def measure_all(servers: dict[str, str], data: dict, tokens: dict[str, str], args) -> dict[str, dict[str, list]]:
    """Every phase on every running server, interleaved, `--rounds` times: the machine's other work
    falls on all of them alike. {label: {phase: [result per round]}}."""
    warm_up = argparse.Namespace(**{**vars(args), "duration": args.warm_up})
    for base in servers.values():
        offer_load(base, data, tokens, warm_up, args.interval, cursor=False)  # first queries, caches: not measured
    results: dict[str, dict[str, list]] = {label: {} for label in servers}
    for round_number in range(1, args.rounds + 1):
        for phase in PHASES:
            for label, base in servers.items():
                if phase == "cursor" and label == MINIMAL:
                    continue  # it has no cursors
                interval = args.high_interval if phase == "full@high" else args.interval
                result = offer_load(base, data, tokens, args, interval, cursor=phase == "cursor")
                results[label].setdefault(phase, []).append(result)
                print_row(label, f"{phase} #{round_number}", result, None)
    return results


def median_result(runs: list[dict]) -> dict:
    """The per-endpoint median of the rounds' p95s (and served rates), as one result."""
    merged = {"latency": {}, "in_app": {}}
    for kind in ENDPOINTS:
        merged["latency"][kind] = [statistics.median(p95(r["latency"][kind]) for r in runs)]
        merged["in_app"][kind] = [statistics.median(p95(r["in_app"][kind]) for r in runs)] if runs[0]["in_app"][kind] else []
    merged["served_per_s"] = statistics.median(r["served_per_s"] for r in runs)
    merged["offered_per_s"] = runs[0]["offered_per_s"]
    return merged


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reports", type=int, default=10_000)
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--patients", type=int, default=200)
    parser.add_argument("--doctors", type=int, default=5)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--interval", type=float, default=0.25, help="seconds between one app's requests")
    parser.add_argument("--high-interval", type=float, default=0.1, help="the same for the throughput phase")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds each phase offers load")
    parser.add_argument("--rounds", type=int, default=2, help="times every phase runs on every server")
    parser.add_argument("--warm-up", type=float, default=4.0, help="seconds of unmeasured load on each new server")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--client-processes", type=int, default=4)
    parser.add_argument("--pg-url", default=os.environ.get("TUMORPREDICT_TEST_PG_URL"))
    parser.add_argument("--compare-repo", type=Path, help="another checkout of the project to measure too")
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # progress shows up even when the output goes to a file

    print(f"{args.clients} legacy apps, one request each per {args.interval:g} s ({args.clients / args.interval:.0f}/s "
          f"offered; throughput phase {args.clients / args.high_interval:.0f}/s), {args.duration:g} s per phase; "
          f"gunicorn {args.workers} workers x {args.threads} threads; {os.cpu_count()} CPU cores")
    data = make_dataset(args.patients, args.doctors, args.reports, args.messages)
    print(f"data: {args.patients + args.doctors} users, {args.reports:,} reports, {args.messages:,} messages; each patient "
          f"{args.reports // args.patients} reports, {args.messages // args.patients} messages with their doctor")
    checkouts = [("this checkout", REPO)] + ([(f"{args.compare_repo.name}", args.compare_repo.resolve())]
                                            if args.compare_repo else [])
    tokens = {p: secrets.token_urlsafe(32) for p in data["patients"]}
    servers: dict[str, str] = {}
    processes: list[subprocess.Popen] = []
    with tempfile.TemporaryDirectory(prefix="bench-server-") as tmp:
        tmp_path = Path(tmp)
        write_legacy_folder(tmp_path / "legacy", data)
        databases = [("SQLite", f"sqlite:///{tmp_path / 'project.sqlite3'}")]
        if args.pg_url:
            databases.append(("PostgreSQL", args.pg_url))
        try:
            for db_label, url in databases:
                seconds, lines = import_into(url, tmp_path / "legacy", tmp_path / "blobs", data, tokens)
                print(f"[{db_label}] legacy folder imported in {seconds:.1f} s: "
                      + "; ".join(line for line in lines if line.startswith("imported") and " 0 " not in line))
                if not servers:
                    build_minimal_db(tmp_path / "minimal.sqlite3", url, data, tokens)
                    env = {"TUMORPREDICT_MINIMAL_DB": str(tmp_path / "minimal.sqlite3")}
                    process, servers[MINIMAL] = start_gunicorn(
                        "benchmarks.minimal_server:create_app()", REPO, env, args.workers, args.threads, tmp_path)
                    processes.append(process)
                for name, checkout in checkouts:
                    env = {"TUMORPREDICT_SERVER_DATA_DIR": str(tmp_path / f"data-{len(servers)}"),
                           "TUMORPREDICT_DATABASE_URL": url,
                           "TUMORPREDICT_SERVER_TIMING": "true"}  # the "in app" column reads it
                    process, servers[f"project ({name}), {db_label}"] = start_gunicorn(
                        "server.app:create_app()", checkout, env, args.workers, args.threads, tmp_path)
                    processes.append(process)
            results = measure_all(servers, data, tokens, args)
        finally:
            for process in processes:
                process.terminate()
                process.wait(timeout=30)

    print(f"\nload average (1, 5, 15 min): {', '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
    print(f"median over {args.rounds} rounds of each p95 (latency from the scheduled moment); "
          "(Nx) = against the minimal server:")
    table = []
    for label, phases in results.items():
        for phase, runs in phases.items():
            reference = median_result(results[MINIMAL][phase]) if label != MINIMAL and phase in results[MINIMAL] else None
            table.append((label, phase, median_result(runs), reference))
            print_row(label, phase, table[-1][2], reference)
    return _verdict(table)


def _verdict(table: list[tuple[str, str, dict, dict | None]]) -> int:
    failed = False
    cursor = {label: result for label, phase, result, _ in table if phase == "cursor"}
    for label, phase, result, reference in table:
        if not label.startswith("project (this checkout)"):
            continue
        if phase == "cursor":
            for other, before in cursor.items():
                if other != label and other.endswith(label.rsplit(",", 1)[1]):  # the other checkout, same database
                    print(f"{label}: cursor polls p95 " + ", ".join(
                        f"{kind} {p95(result['latency'][kind]):.1f} ms (in {other}: {p95(before['latency'][kind]):.1f} ms)"
                        for kind in ENDPOINTS))
            continue
        if phase == "full":
            for kind in ENDPOINTS:
                value, floor = p95(result["latency"][kind]), p95(reference["latency"][kind])
                ok = value <= TARGET_RATIO * floor and value <= TARGET_P95_MS
                failed |= not ok
                print(f"{label}: {kind} p95 {value:.1f} ms, target <= {TARGET_RATIO}x minimal ({floor:.1f} ms) and "
                      f"<= {TARGET_P95_MS:.0f} ms: {'met' if ok else 'NOT met'}")
        else:
            ok = result["served_per_s"] >= TARGET_SERVED
            failed |= not ok
            print(f"{label}: served {result['served_per_s']:.0f}/s at {result['offered_per_s']:.0f}/s offered, "
                  f"target >= {TARGET_SERVED:.0f}/s: {'met' if ok else 'NOT met'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
