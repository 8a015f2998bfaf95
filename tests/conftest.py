"""Suite-wide isolation: offscreen Qt, and no test ever touches the real user's data or keyring."""

from __future__ import annotations

import os
import tempfile

# Must be set before any Qt import anywhere in the suite.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("TUMORPREDICT_DATA_DIR", tempfile.mkdtemp(prefix="tumorpredict-test-data-"))
# The OS keyring of whoever runs the tests is theirs: tests choose their own backend explicitly.
os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
