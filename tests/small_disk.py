"""A real, tiny filesystem (tmpfs) for tests of what happens when the disk is full."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest


def mounted_tmpfs(tmp_path: Path, size: str) -> Iterator[Path]:
    """Yields a `size` tmpfs mounted under `tmp_path` (unmounted afterwards); skips the test,
    saying why, where mounting is not allowed."""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    if not sys.platform.startswith("linux") or shutil.which("mount") is None:
        pytest.skip("a full disk is simulated with a small tmpfs, which needs Linux mount")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mount_point)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {done.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", str(mount_point)], check=False)
