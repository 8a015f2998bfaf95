"""Server sign-in tokens in a file only this computer account can read: the opt-in fallback for
computers with no OS keyring (kiosk and server-room PCs), so that `account login` in one process
and a scheduled `sync` in the next share one sign-in.

The file holds bearer tokens, never passwords. It is created with mode 0600 (owner only) and
replaced atomically; a file that others can read is refused rather than used.
"""

from __future__ import annotations

import json
import logging
import os
import stat
import threading
from pathlib import Path

from desktop_app.core.errors import UserFacingError

log = logging.getLogger(__name__)

FILE_NAME = "server-sign-in.json"


class TokenFileError(UserFacingError, OSError):
    """The token file exists but is not private; `user_message` says how to fix it."""

    def __init__(self, path: Path) -> None:
        super().__init__(f"The sign-in file {path} can be read by other users of this computer, "
                         "so it is not used. Delete it and sign in again.")


class TokenFile:
    """key → token in one JSON file, readable and writable by the owner only."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()

    def _load(self) -> dict[str, str]:
        try:
            info = self.path.stat()
        except FileNotFoundError:
            return {}
        if os.name == "posix" and info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise TokenFileError(self.path)
        try:
            entries = json.loads(self.path.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError):
            log.warning("the sign-in file %s is unreadable; starting a new one", self.path)
            return {}
        return {k: v for k, v in entries.items() if isinstance(k, str) and isinstance(v, str)} \
            if isinstance(entries, dict) else {}

    def _save(self, entries: dict[str, str]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_name(self.path.name + ".partial")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(entries, out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, self.path)

    def get(self, key: str) -> str | None:
        with self._lock:
            return self._load().get(key)

    def set(self, key: str, token: str) -> None:
        with self._lock:
            entries = self._load()
            entries[key] = token
            self._save(entries)

    def delete(self, key: str) -> None:
        with self._lock:
            entries = self._load()
            if entries.pop(key, None) is not None:
                self._save(entries)
