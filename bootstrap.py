"""One command to set up and start TumorPredict, or to set up and run its tests.

    python3 bootstrap.py start [APP ARGS…]   create .venv, install the app, start it
    python3 bootstrap.py test  [PYTEST ARGS…] create .venv, install app + server + dev tools, run every test

Works on Linux, macOS and Windows with Python >= 3.11 installed; on Linux the window also needs a
desktop session and Qt's X11 libraries (`start` prints the exact install line if one is missing).
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
EXTRAS = {"start": "", "test": "[server,dev]"}


def venv_python() -> Path:
    sub = "Scripts/python.exe" if os.name == "nt" else "bin/python"
    return VENV / sub


def ensure_installed(extras: str) -> Path:
    python = venv_python()
    if not python.exists():
        print(f"Creating a virtual environment in {VENV} …", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    stamp = VENV / f".installed{extras or '[app]'}"
    pyproject = ROOT / "pyproject.toml"
    if not stamp.exists() or stamp.stat().st_mtime < pyproject.stat().st_mtime:
        print("Installing TumorPredict and its dependencies …", flush=True)
        pip = [str(python), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
        subprocess.run([*pip, "--upgrade", "pip"], check=True)
        subprocess.run([*pip, "-e", f"{ROOT}{extras}"], check=True)
        stamp.touch()
    return python


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in EXTRAS:
        print(__doc__)
        return 2
    action, rest = argv[0], argv[1:]
    python = ensure_installed(EXTRAS[action])
    if action == "start":
        return subprocess.call([str(python), "-m", "desktop_app", *rest])
    env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
    return subprocess.call([str(python), "-m", "pytest", *rest], cwd=ROOT, env=env)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
