"""`tumorpredict self-test` passes on this installation, in a real subprocess."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_self_test_passes_in_a_fresh_process(tmp_path):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", TUMORPREDICT_DATA_DIR=str(tmp_path))
    done = subprocess.run(
        [sys.executable, "-m", "desktop_app", "self-test"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=180,
    )
    assert done.returncode == 0, done.stderr
    assert "self-test passed" in done.stdout
    assert "12 samples right" in done.stdout
