"""Per-request CPU cost of legacy-shaped polls inside the project's server, with a profile of where it goes.

Run: PYTHONPATH=. .venv/bin/python benchmarks/profile_polls.py [--pg-url URL] [--requests 200] [--top 12]

Imports the benchmark's legacy folder (10,000 reports, 100,000 messages) through the real importer,
then calls /list_reports (a patient's 50 reports) and /get_messages (a conversation of 500 messages)
through Flask's test client, one at a time, with a token and no cursor, and prints the mean CPU time
per request and the functions that take it (cProfile, own time). A cursor poll that finds nothing new
is timed too. No HTTP server, no concurrency: this is the cost the CPUs pay per request.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.legacy_dataset import doctor_of, import_into, make_dataset, write_legacy_folder  # noqa: E402
from server.app import create_app, state_of  # noqa: E402


def calls(data: dict, tokens: dict[str, str]) -> dict[str, list[tuple[str, dict, dict]]]:
    """(path, body, headers) per kind, rotating over the patients."""
    out = {"list_reports": [], "get_messages": [], "cursor_poll": []}
    for i, patient in enumerate(data["patients"]):
        headers = {"Authorization": f"Bearer {tokens[patient]}"}
        out["list_reports"].append(("/list_reports", {"username": patient}, headers))
        out["get_messages"].append(("/get_messages", {"user1": patient, "user2": doctor_of(data, i)}, headers))
        out["cursor_poll"].append(("/list_reports", {"username": patient, "since": "10000"}, headers))
    return out


def measure(client, requests: list[tuple[str, dict, dict]], count: int, profile: cProfile.Profile | None) -> float:
    """Mean CPU milliseconds per request over `count` requests."""
    for path, body, headers in requests[:20]:  # warm the caches and the connection pool
        assert client.post(path, json=body, headers=headers).status_code == 200
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
    return text[text.index("   ncalls"):]  # from the column titles on


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pg-url")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--top", type=int, default=12)
    args = parser.parse_args()
    data = make_dataset(200, 5, 10_000, 100_000)
    with tempfile.TemporaryDirectory(prefix="profile-polls-") as tmp:
        tmp_path = Path(tmp)
        write_legacy_folder(tmp_path / "legacy", data)
        url = args.pg_url or f"sqlite:///{tmp_path / 'server.sqlite3'}"
        seconds, _, tokens = import_into(url, tmp_path / "legacy", tmp_path / "data" / "blobs", data)
        print(f"imported the legacy folder in {seconds:.1f} s ({'PostgreSQL' if args.pg_url else 'SQLite'})")
        app = create_app({"data_dir": tmp_path / "data", "database_url": url})
        client = app.test_client()
        for kind, requests in calls(data, tokens).items():
            plain = measure(client, requests, args.requests, None)
            profile = cProfile.Profile()
            measure(client, requests, args.requests, profile)
            print(f"\n== {kind}: {plain:.2f} ms CPU per request (mean of {args.requests}, no profiler)")
            if args.top:
                print(top_functions(profile, args.top))
        state_of(app).storage.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
