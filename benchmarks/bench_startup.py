"""Cold start to the sign-in window: the installer bundle next to the source install, same run.

    PYTHONPATH=. .venv/bin/python benchmarks/bench_startup.py [--runs 5] [--only bundle|source]

Each run launches a new process with a new, empty data folder and HOME and a bare environment
(PATH=/usr/bin:/bin, offscreen Qt unless --platform says otherwise), exactly like a first start
on a clinic computer, with `--exit-after-first-paint`. The time is from just before the launch
to the moment the app reports that the sign-in window has painted (start of the interpreter or
the bundle's loader, imports, opening the store, building and painting the window). The source
install is the baseline; the target for the bundle is 3 s. The first run of each is printed
separately: it is the one closest to a cold disk cache. On a busy machine the wall time grows with
the load; the CPU time (user + system, launch to exit, Unix only) does not, so both are printed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from desktop_app.ui.startup_probe import FIRST_PAINT_MARKER  # noqa: E402

BUNDLE = ROOT / "dist" / "tumorpredict" / ("tumorpredict.exe" if os.name == "nt" else "tumorpredict")
TARGET_S = 3.0
TIMEOUT_S = 120


def _clean_env(home: Path, platform: str, extra: dict[str, str]) -> dict[str, str]:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(home), "QT_QPA_PLATFORM": platform, **extra}
    if platform not in ("offscreen", "minimal"):  # a real screen: the session's display only
        env.update({k: os.environ[k] for k in ("DISPLAY", "WAYLAND_DISPLAY", "XAUTHORITY",
                                               "XDG_RUNTIME_DIR") if k in os.environ})
    if os.name == "nt":  # Windows needs these to start any program at all
        env.update({k: os.environ[k] for k in ("SYSTEMROOT", "PATH", "TEMP", "TMP") if k in os.environ})
    return env


def _children_cpu_s() -> float:
    try:
        import resource
    except ImportError:  # Windows: no CPU figure
        return float("nan")
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def time_to_first_paint(command: list[str], platform: str,
                        extra_env: dict[str, str]) -> tuple[float, str, float]:
    """(seconds from launch to the first-paint marker, the window that painted, CPU seconds used)."""
    with tempfile.TemporaryDirectory(prefix="tp-bench-start-") as folder:
        home, data = Path(folder) / "home", Path(folder) / "data"
        home.mkdir()
        argv = [*command, "--data-dir", str(data), "--exit-after-first-paint"]
        cpu_before = _children_cpu_s()
        started = time.perf_counter()
        process = subprocess.Popen(argv, cwd=folder, env=_clean_env(home, platform, extra_env),
                                   stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True)
        painted, window = None, ""
        for line in process.stdout:  # the marker is flushed the moment the window has painted
            if line.startswith(FIRST_PAINT_MARKER):
                painted = time.perf_counter() - started
                window = line[len(FIRST_PAINT_MARKER):].strip()
                break
        try:
            _, err = process.communicate(timeout=TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            _, err = process.communicate()
        if painted is None or process.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} did not reach its first window "
                               f"(exit {process.returncode}): {err.strip()[-800:]}")
        return painted, window, _children_cpu_s() - cpu_before


def measure(label: str, command: list[str], runs: int, platform: str, extra_env: dict[str, str]) -> dict:
    times, cpu, windows = [], [], set()
    for _ in range(runs):
        seconds, window, cpu_s = time_to_first_paint(command, platform, extra_env)
        times.append(seconds)
        cpu.append(cpu_s)
        windows.add(window)
    return {"label": label, "times": times, "median": statistics.median(times),
            "cpu_median": statistics.median(cpu), "windows": windows}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only", choices=("bundle", "source"))
    parser.add_argument("--bundle", type=Path, default=BUNDLE, help=f"the bundle's program (default {BUNDLE})")
    parser.add_argument("--platform", default="offscreen", help="QT_QPA_PLATFORM (default offscreen)")
    args = parser.parse_args(argv)

    candidates = []
    if args.only != "source":
        if args.bundle.exists():
            candidates.append(("bundle", [str(args.bundle.resolve())], {}))
        else:
            print(f"no bundle at {args.bundle}: build it with scripts/build_bundle.sh")
            if args.only == "bundle":
                return 1
    if args.only != "bundle":
        candidates.append(("source (python -m desktop_app)", [sys.executable, "-m", "desktop_app"],
                           {"PYTHONPATH": str(ROOT)}))

    results = [measure(label, command, args.runs, args.platform, env) for label, command, env in candidates]
    load = f", load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs" if hasattr(os, "getloadavg") else ""
    print(f"cold start to the sign-in window, {args.runs} runs each, QT_QPA_PLATFORM={args.platform}{load}")
    for result in results:
        runs = " ".join(f"{t:.2f}" for t in result["times"])
        print(f"  {result['label']:32s} median {result['median']:.2f} s  first {result['times'][0]:.2f} s  "
              f"cpu {result['cpu_median']:.2f} s  (runs: {runs}; window: {', '.join(sorted(result['windows']))})")
    bundle = next((r for r in results if r["label"] == "bundle"), None)
    if bundle is not None:
        verdict = "met" if bundle["median"] <= TARGET_S else "MISSED"
        print(f"  target: bundle median <= {TARGET_S:.1f} s: {verdict}")
    return 0 if bundle is None or bundle["median"] <= TARGET_S else 2


if __name__ == "__main__":
    raise SystemExit(main())
