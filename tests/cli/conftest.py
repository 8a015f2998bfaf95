"""Fixtures of the CLI suite: a private data dir and a way to run `tumorpredict` in or out of process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from desktop_app.cli import main

REPO = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery"


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def cli(data_dir, capsys, monkeypatch):
    """cli(*args) → (exit code, stdout, stderr) of `tumorpredict --data-dir DATA args…` in this process."""
    monkeypatch.setenv("TUMORPREDICT_PASSWORD", PASSWORD)
    monkeypatch.delenv("TUMORPREDICT_SERVER", raising=False)

    def run(*args: str) -> tuple[int, str, str]:
        code = main(["--data-dir", str(data_dir), *args])
        out, err = capsys.readouterr()
        return code, out, err

    return run


def run_process(data_dir: Path, *args: str, password: str = PASSWORD, timeout: float = 120) -> subprocess.CompletedProcess:
    """`python -m desktop_app --data-dir DATA args…` as a separate process, as a script would run it."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "TUMORPREDICT_PASSWORD": password}
    env.pop("TUMORPREDICT_SERVER", None)
    return subprocess.run(
        [sys.executable, "-m", "desktop_app", "--data-dir", str(data_dir), *args],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL,
    )
