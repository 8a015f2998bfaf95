"""Patient UI figures: drop-to-result time, history on a long record, window build; each next to a baseline.

Run: PYTHONPATH=. .venv/bin/python benchmarks/bench_patient_ui.py [--reports 1000] [--repeat 10]

Baselines, measured in the same run: the model's own prediction on the same bytes (so the scan
figure shows what reading, saving and drawing add), the store read behind the history screen (so
the history figure shows the Qt model and table), and an empty shell window (so the build figure
shows the eight patient screens). The UI figures are wall times with the Qt event loop running,
as a patient experiences them.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from desktop_app.core.services import AppServices  # noqa: E402
from desktop_app.ui.app import build_main_window, ensure_application  # noqa: E402
from desktop_app.ui.shell import MainWindow  # noqa: E402
from desktop_app.ui.workers import wait_for_background  # noqa: E402

PASSWORD = "benchmark password"


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples)


def timed(func) -> float:
    start = time.perf_counter()
    func()
    return (time.perf_counter() - start) * 1000


def wait_until(app, condition, timeout_s: float = 60.0) -> None:
    deadline = time.perf_counter() + timeout_s
    while not condition():
        app.processEvents()
        if time.perf_counter() > deadline:
            raise TimeoutError("the screen did not finish in time")
        time.sleep(0.001)


def time_window(app, build) -> float:
    """Milliseconds to build one window; the window is thrown away afterwards."""
    start = time.perf_counter()
    window = build()
    elapsed = (time.perf_counter() - start) * 1000
    window.shutdown()
    window.deleteLater()
    app.processEvents()
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    app = ensure_application()
    scan = sorted((ROOT / "resources" / "samples").glob("*.jpg"))[0]
    data = scan.read_bytes()

    with tempfile.TemporaryDirectory(prefix="tumorpredict-bench-ui-") as folder:
        services = AppServices.open(Path(folder))
        services.accounts.register("dr.bench", "dr@bench.example", PASSWORD, "doctor")
        services.accounts.logout()
        user = services.accounts.register("pat.bench", "p@bench.example", PASSWORD, "patient",
                                          full_name="Pat Bench", doctor="dr.bench")
        engine = services.engine
        engine.predict_bytes(data, name=scan.name)  # warm the interpreter once

        window = build_main_window(services, user)
        window.resize(1280, 800)
        window.show()
        screen = window.navigate("new_scan")
        done: list = []
        screen.result_ready.connect(done.append)

        base_predict, ui_scan = [], []
        for _ in range(args.repeat):
            base_predict.append(timed(lambda: engine.predict_bytes(data, name=scan.name)))
            before = len(done)
            start = time.perf_counter()
            screen.analyse_file(scan)
            wait_until(app, lambda b=before: len(done) > b)
            ui_scan.append((time.perf_counter() - start) * 1000)
        wait_for_background()

        prediction = engine.predict_bytes(data, name=scan.name)
        for _ in range(max(0, args.reports - args.repeat)):
            services.reports.create(user.username, data, scan.name, prediction)
        total = len(services.reports.for_patient(user.username))

        base_history = [timed(lambda: services.reports.for_patient(user.username))
                        for _ in range(args.repeat)]
        history = window.navigate("history")
        ui_history = []
        for _ in range(args.repeat):
            history.model.set_reports([])
            start = time.perf_counter()
            history.refresh()
            wait_until(app, lambda: history.model.rowCount() == total)
            app.processEvents()  # the table lays out and paints the first page
            ui_history.append((time.perf_counter() - start) * 1000)

        base_build = [time_window(app, lambda: MainWindow(services, user, role_title="Patient"))
                      for _ in range(args.repeat)]
        ui_build = [time_window(app, lambda: build_main_window(services, user))
                    for _ in range(args.repeat)]
        window.shutdown()
        wait_for_background()
        services.close()

    print(f"patient UI benchmark ({args.repeat} runs each, medians)")
    print(f"  scan drop → result on screen, saved:   {median_ms(ui_scan):8.1f} ms   "
          f"baseline model prediction alone: {median_ms(base_predict):8.1f} ms")
    print(f"  history with {total} reports shown:     {median_ms(ui_history):8.1f} ms   "
          f"baseline store read (for_patient): {median_ms(base_history):8.1f} ms")
    print(f"  patient window with 8 screens built:  {median_ms(ui_build):8.1f} ms   "
          f"baseline empty shell window:      {median_ms(base_build):8.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
