"""Files on disk named by the SHA-256 of their bytes: images and weight files, never named from user input."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path

_DIGEST = re.compile(r"^[0-9a-f]{64}$")


class BlobStore:
    """A folder of immutable files `ab/cdef…` (first two hex digits as a sub-folder)."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def path(self, digest: str) -> Path:
        if not _DIGEST.match(digest or ""):
            raise ValueError("not a SHA-256 digest")
        return self.root / digest[:2] / digest[2:]

    def put(self, data: bytes) -> str:
        """Stores `data` once and returns its digest; durable when it returns."""
        digest = hashlib.sha256(data).hexdigest()
        target = self.path(digest)
        if target.exists():
            return digest
        target.parent.mkdir(parents=True, exist_ok=True)
        # Write aside, fsync, then rename: a crash never leaves a half file under the digest name.
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return digest

    def get(self, digest: str) -> bytes:
        return self.path(digest).read_bytes()

    def exists(self, digest: str) -> bool:
        try:
            return self.path(digest).exists()
        except ValueError:
            return False
