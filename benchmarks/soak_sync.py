"""The long fault soak: devkit/soak.py with more rounds, more records and delays up to 3 s, at several seeds.

Run: PYTHONPATH=. QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/soak_sync.py [--seeds 1 2 3] [--rounds 8]

Each seed: this project's server (werkzeug, threaded, SQLite) behind the fault proxy, a patient
and a doctor device syncing at once with a quarter of all requests faulted, a `tumorpredict sync`
SIGKILLed at the end of every round, then the end state checked on both devices and the server
(see the module doc of devkit/soak.py). Prints one line per seed; exits 1 if any seed fails.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import traceback
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # the soak, the proxy and the servers live in devkit/
# The suite's own choice: no test run ever touches the real user's keyring.
os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")

from devkit.loopback import serve_wsgi  # noqa: E402
from devkit.soak import SoakPlan, run_soak  # noqa: E402
from devkit.sync_scenario import ENROLLMENT_CODE  # noqa: E402
from server.app import create_app  # noqa: E402
from server.config import ServerConfig  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--reports", type=int, default=5, help="patient scans per round")
    parser.add_argument("--messages", type=int, default=10, help="patient messages per round")
    parser.add_argument("--rate", type=float, default=0.25, help="share of requests that meet a fault")
    parser.add_argument("--max-delay", type=float, default=3.0, help="longest injected delay, seconds")
    args = parser.parse_args()
    failed = 0
    for seed in args.seeds:
        plan = SoakPlan(seed=seed, rounds=args.rounds, reports_per_round=args.reports,
                        messages_per_round=args.messages, fault_rate=args.rate, max_delay_s=args.max_delay)
        with tempfile.TemporaryDirectory(prefix="soak-") as tmp:
            workdir = Path(tmp)
            config = ServerConfig(data_dir=workdir / "server", enrollment_code=ENROLLMENT_CODE)
            try:
                with serve_wsgi(create_app(config)) as url:
                    result = run_soak(plan, url, workdir)
            except AssertionError:
                failed += 1
                print(f"seed {seed}: FAILED")
                traceback.print_exc()
                continue
        faults = ", ".join(f"{kind} {n}" for kind, n in sorted(result.faults.items()))
        print(f"seed {seed}: ok in {result.seconds:.0f} s — {result.requests} requests, faults: {faults}; "
              f"{result.kills} sync processes killed; {result.reports} reports, {result.messages} messages, "
              f"{result.reviews} reviews, each once on the server and both devices")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
