"""Content-addressed binary files (scans, weight files): `blobs/ab/abcdef…`, stored once."""

from __future__ import annotations

import hashlib
import logging
import re
import threading
from collections.abc import Callable
from pathlib import Path

from .errors import StoreError
from .fsio import atomic_write, fsync_dir, write_error
from .quarantine import Quarantine

log = logging.getLogger(__name__)

_DIGEST = re.compile(r"[0-9a-f]{64}")


class BlobMissingError(StoreError, KeyError):
    """No intact file with this digest is stored here."""

    def __str__(self) -> str:  # KeyError would otherwise print the repr
        return self.user_message


class BlobStore:
    """Files named by the SHA-256 of their bytes; writing the same bytes twice stores them once."""

    def __init__(self, root: Path, quarantine: Quarantine, lock: threading.RLock,
                 *, on_write_failure: Callable[[], None] = lambda: None) -> None:
        self.root = root
        self._on_write_failure = on_write_failure
        self._quarantine = quarantine
        self._lock = lock
        root.mkdir(parents=True, exist_ok=True)

    def path(self, digest: str) -> Path:
        """Where the blob lives (whether or not it exists)."""
        if not isinstance(digest, str) or not _DIGEST.fullmatch(digest):
            raise BlobMissingError(f"{digest!r} is not a stored file's fingerprint.")
        return self.root / digest[:2] / digest

    def exists(self, digest: str) -> bool:
        try:
            return self.path(digest).is_file()
        except BlobMissingError:
            return False

    def put(self, data: bytes, what: str = "the file") -> str:
        """Stores `data` (atomically, fsynced) and returns its sha256 hex digest; `what` names it in errors."""
        data = bytes(data)
        digest = hashlib.sha256(data).hexdigest()
        target = self.path(digest)
        if target.is_file() and target.stat().st_size == len(data):
            return digest
        # No store lock here: writing a large scan must not hold up readers of the documents.
        try:
            if not target.parent.is_dir():
                target.parent.mkdir(parents=True, exist_ok=True)
                fsync_dir(self.root)
            atomic_write(target, data)
        except OSError as exc:
            log.error("Storing a file of %d bytes failed: %s", len(data), exc)
            self._on_write_failure()
            raise write_error(exc, what) from exc
        return digest

    def get(self, digest: str) -> bytes:
        """The stored bytes; BlobMissingError (a KeyError) when absent or damaged (then set aside)."""
        path = self.path(digest)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise BlobMissingError("The file is missing on this computer.") from None
        if hashlib.sha256(data).hexdigest() != digest:
            with self._lock:
                try:
                    if path.exists():
                        self._quarantine.move(path, "blob", "its content no longer matches its fingerprint")
                except StoreError:
                    pass  # logged; the caller still learns the file is unusable
            raise BlobMissingError("The stored file is damaged and was set aside.")
        return data
