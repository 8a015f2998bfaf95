"""One command to set up and start TumorPredict, or to set up and run its tests.

    python3 bootstrap.py start [APP ARGS…]   create .venv, install the app, start it
    python3 bootstrap.py test  [PYTEST ARGS…] create .venv, install app + server + dev tools, run every test

Works on Linux, macOS and Windows with Python >= 3.11 installed; on Linux the window also needs a
desktop session and Qt's X11 libraries (`start` prints the exact install line if one is missing).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("TUMORPREDICT_BOOTSTRAP_VENV") or ROOT / ".venv")  # tests use their own
EXTRAS = {"start": "", "test": "[server,dev]"}


def venv_python() -> Path:
    sub = "Scripts/python.exe" if os.name == "nt" else "bin/python"
    return VENV / sub


NO_VENV_MESSAGE = (
    "bootstrap: Python cannot create a virtual environment here (its ensurepip part is missing); "
    "on Debian/Ubuntu: sudo apt-get install python3-venv"
)


class SetupError(Exception):
    """A missing system piece, said in one line."""


def create_venv() -> None:
    print(f"Creating a virtual environment in {VENV} …", flush=True)
    try:
        venv.EnvBuilder(with_pip=True).create(VENV)
    except (subprocess.CalledProcessError, OSError) as exc:
        # A half-made .venv would make the next run skip this step, so it goes.
        shutil.rmtree(VENV, ignore_errors=True)
        if isinstance(exc, subprocess.CalledProcessError):
            # Debian/Ubuntu ship venv's pip bootstrap separately (python3-venv).
            raise SetupError(NO_VENV_MESSAGE) from exc
        raise SetupError(f"bootstrap: could not create {VENV} ({exc.strerror or exc})") from exc


def ensure_installed(extras: str) -> Path:
    python = venv_python()
    if not python.exists():
        create_venv()
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
    try:
        python = ensure_installed(EXTRAS[action])
    except SetupError as exc:
        print(exc, file=sys.stderr)
        return 3
    if action == "start":
        return subprocess.call([str(python), "-m", "desktop_app", *rest])
    env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
    return subprocess.call([str(python), "-m", "pytest", *rest], cwd=ROOT, env=env)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
