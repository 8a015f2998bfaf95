"""A keyring backend for one test's subprocesses: a JSON file in the test's temp dir.

The app itself only ever talks to the OS keyring; headless test machines have none, and a
test that restarts the app in a new process needs the signed-in token to survive the restart.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError


class FileKeyring(KeyringBackend):
    priority = 1  # only ever chosen explicitly through PYTHON_KEYRING_BACKEND

    @property
    def _path(self) -> Path:
        return Path(os.environ["TUMORPREDICT_TEST_KEYRING"])

    def _load(self) -> dict[str, str]:
        return json.loads(self._path.read_text()) if self._path.exists() else {}

    def get_password(self, service: str, username: str) -> str | None:
        return self._load().get(f"{service}\n{username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        entries = self._load()
        entries[f"{service}\n{username}"] = password
        self._path.write_text(json.dumps(entries))

    def delete_password(self, service: str, username: str) -> None:
        entries = self._load()
        if entries.pop(f"{service}\n{username}", None) is None:
            raise PasswordDeleteError(username)
        self._path.write_text(json.dumps(entries))
