"""Per-request CPU cost of legacy-shaped polls inside a server, and where it goes, for several servers in one run.

Run: PYTHONPATH=. .venv/bin/python benchmarks/profile_polls.py [--pg-url URL] [--compare-repo DIR]
     [--requests 300] [--top 12]

Imports the benchmark's legacy folder (10,000 reports, 100,000 messages) through the real importer,
then, in a fresh process per server (the minimal server of bench_server.py, the project's server
from this checkout, and from --compare-repo when given, all on the same database), calls
/list_reports (a patient's 50 reports) and /get_messages (a 500-message conversation) through Flask's
test client one at a time, with a token and no cursor, plus a cursor poll that finds nothing new.
It prints the mean CPU time per request and, with --top, the functions that take it (cProfile, own
time). No HTTP server, no concurrency: this is what each request costs the CPUs.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
KINDS = ("list_reports", "get_messages", "cursor_poll")


def calls(patients: list[str], doctors: list[str], tokens: dict[str, str]) -> dict[str, list[tuple[str, dict, dict]]]:
    """(path, body, headers) per kind, rotating over the patients."""
    out: dict[str, list] = {k: [] for k in KINDS}
    for i, patient in enumerate(patients):
        headers = {"Authorization": f"Bearer {tokens[patient]}"}
        out["list_reports"].append(("/list_reports", {"username": patient}, headers))
        out["get_messages"].append(("/get_messages", {"user1": patient, "user2": doctors[i % len(doctors)]}, headers))
        out["cursor_poll"].append(("/list_reports", {"username": patient, "since": "10000"}, headers))
    return out


def measure(client, requests: list[tuple[str, dict, dict]], count: int, profile: cProfile.Profile | None) -> float:
    """Mean CPU milliseconds per request over `count` requests."""
    for path, body, headers in requests[:20]:  # warm the caches and the connection pool
        answer = client.post(path, json=body, headers=headers)
        assert answer.status_code == 200, (path, answer.status_code)
    started = time.process_time()
    if profile:
        profile.enable()
    for i in range(count):
        path, body, headers = requests[i % len(requests)]
        client.post(path, json=body, headers=headers)
    if profile:
        profile.disable()
    return (time.process_time() - started) * 1000 / count


def top_functions(profile: cProfile.Profile, top: int) -> str:
    out = io.StringIO()
    pstats.Stats(profile, stream=out).strip_dirs().sort_stats("tottime").print_stats(top)
    text = out.getvalue()
    return text[text.index("   ncalls"):].rstrip()  # from the column titles on


def measure_one(setup: dict, which: str, count: int, top: int) -> None:
    """In this process: the server named by `which` (minimal, or the project's found on sys.path)."""
    if which == "minimal":
        sys.path.insert(0, str(REPO))
        from benchmarks.minimal_server import create_app

        app = create_app(setup["minimal_db"])
        kinds = KINDS[:2]  # no cursors there
    else:
        from server.app import create_app

        app = create_app({"data_dir": setup["data_dir"], "database_url": setup["url"]})
        kinds = KINDS
    client = app.test_client()
    for kind, requests in calls(setup["patients"], setup["doctors"], setup["tokens"]).items():
        if kind not in kinds:
            continue
        plain = measure(client, requests, count, None)
        line = f"  {kind:<13} {plain:6.2f} ms CPU per request (mean of {count})"
        print(line, flush=True)
        if top:
            profile = cProfile.Profile()
            measure(client, requests, count, profile)
            print(top_functions(profile, top) + "\n", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pg-url")
    parser.add_argument("--compare-repo", type=Path)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--top", type=int, default=0)
    parser.add_argument("--measure", help=argparse.SUPPRESS)  # internal: a JSON set-up file
    parser.add_argument("--which", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        measure_one(json.loads(Path(args.measure).read_text()), args.which, args.requests, args.top)
        return 0

    sys.path.insert(0, str(REPO))
    from benchmarks.bench_server import build_minimal_db
    from benchmarks.legacy_dataset import import_into, make_dataset, write_legacy_folder

    data = make_dataset(200, 5, 10_000, 100_000)
    with tempfile.TemporaryDirectory(prefix="profile-polls-") as tmp:
        tmp_path = Path(tmp)
        write_legacy_folder(tmp_path / "legacy", data)
        url = args.pg_url or f"sqlite:///{tmp_path / 'server.sqlite3'}"
        tokens = {p: secrets.token_urlsafe(32) for p in data["patients"]}
        seconds, _ = import_into(url, tmp_path / "legacy", tmp_path / "data" / "blobs", data, tokens)
        print(f"imported the legacy folder in {seconds:.1f} s ({'PostgreSQL' if args.pg_url else 'SQLite'})")
        build_minimal_db(tmp_path / "minimal.sqlite3", url, data, tokens)
        setup = tmp_path / "setup.json"
        setup.write_text(json.dumps({"url": url, "data_dir": str(tmp_path / "data"), "tokens": tokens,
                                     "minimal_db": str(tmp_path / "minimal.sqlite3"),
                                     "patients": data["patients"], "doctors": data["doctors"]}))
        servers = [("minimal Flask + SQLite", "minimal", REPO), ("project (this checkout)", "project", REPO)]
        if args.compare_repo:
            servers.append((f"project ({args.compare_repo.name})", "project", args.compare_repo.resolve()))
        for label, which, repo in servers:
            print(f"\n== {label}", flush=True)
            subprocess.run([sys.executable, __file__, "--measure", str(setup), "--which", which,
                            "--requests", str(args.requests), "--top", str(args.top)],
                           env={**os.environ, "PYTHONPATH": str(repo)}, cwd=repo, check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
