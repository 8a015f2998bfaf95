"""`python3 bootstrap.py start` where the virtual environment cannot be made: one line saying why,
exit 3, and no half-made environment left for the next run to trip over. (Debian/Ubuntu without
python3-venv fails inside venv's own `python -Im ensurepip`, which a test cannot swap out; that
case prints the `apt-get install python3-venv` line through the same path.)"""

from __future__ import annotations

import os
import subprocess
import sys

from tests.cli.conftest import REPO


def test_a_venv_that_cannot_be_made_gets_the_install_line_and_nothing_half_made(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the environment's parent folder should be")
    target = blocker / "venv"  # creating it fails in the file system, as ensurepip's refusal does
    env = {**os.environ, "TUMORPREDICT_BOOTSTRAP_VENV": str(target)}
    done = subprocess.run([sys.executable, str(REPO / "bootstrap.py"), "start"], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 3
    line = done.stderr.strip()
    assert line.startswith(f"bootstrap: could not create {target} (") and "\n" not in line
    assert "Traceback" not in done.stderr
    assert not target.exists()
