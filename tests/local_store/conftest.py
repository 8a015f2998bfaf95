"""Fixtures for the local store tests: a fresh data folder and a way to run store code in a child process."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from local_store import Store

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def store(data_dir: Path) -> Iterator[Store]:
    opened = Store.open(data_dir)
    yield opened
    opened.close()


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    env["PYTHONUNBUFFERED"] = "1"
    return env


def spawn_python(code: str, *args: str, **popen: object) -> subprocess.Popen:
    """Starts `python -S -c code args…` (no site-packages: the store needs only the standard
    library, and skipping site halves start-up) with the repository importable; pipes for stdio."""
    return subprocess.Popen(
        [sys.executable, "-S", "-c", code, *args], env=child_env(), text=True,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **popen,
    )
