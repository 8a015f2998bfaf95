"""Low-level durable file operations: atomic replace, directory fsync, disk-full wording."""

from __future__ import annotations

import errno
import os
import re
import sys
import threading
from pathlib import Path

from .errors import StoreError

_DISK_FULL = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}


def sync_file(fd: int) -> None:
    """Forces a file's data to stable storage before a write is acknowledged."""
    if sys.platform == "darwin":
        import fcntl

        # macOS fsync only reaches the drive's cache; F_FULLFSYNC survives a power cut.
        fcntl.fcntl(fd, fcntl.F_FULLFSYNC)
    elif hasattr(os, "fdatasync"):
        os.fdatasync(fd)  # data and the size needed to read it back; skips timestamps
    else:
        os.fsync(fd)


def fsync_dir(path: Path) -> None:
    """Makes a rename or file creation inside `path` durable (a no-op where directories can't be opened)."""
    if os.name == "nt":  # Windows has no directory handles to fsync; NTFS journals the rename.
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_error(exc: OSError, what: str) -> StoreError:
    """A StoreError in plain words for a failed write (disk full gets its own message)."""
    if exc.errno in _DISK_FULL:
        return StoreError(f"The disk is full, so {what} could not be saved. "
                          "Free some space and try again; nothing already saved was lost.", disk_full=True)
    return StoreError(f"{what[:1].upper()}{what[1:]} could not be saved ({exc.strerror or exc}). "
                      "Nothing already saved was lost.")


_TEMP_NAME = re.compile(r"\..+\.\d+\.\d+\.tmp")


def temp_path(path: Path) -> Path:
    # Unique per process and thread: two threads may store the same blob at once (both renames are atomic).
    return path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")


def remove_stale_temps(folder: Path) -> int:
    """Deletes temp files a crash left behind in `folder` (only while holding the data-folder lock)."""
    removed = 0
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return 0
    for entry in entries:
        if _TEMP_NAME.fullmatch(entry.name) and entry.is_file(follow_symlinks=False):
            try:
                os.unlink(entry.path)
                removed += 1
            except OSError:
                pass
    return removed


def atomic_write(path: Path, data: bytes) -> None:
    """Writes `data` to `path` so a crash leaves either the old file or the new one, never a mix.

    Temp file in the same directory, fsync, os.replace, then fsync of the directory so the
    rename itself survives a power cut. Raises OSError; the temp file is removed on failure.
    """
    tmp = temp_path(path)
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0), 0o644)
        try:
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            sync_file(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        try:
            tmp.unlink()
        except OSError:
            pass
        raise
    fsync_dir(path.parent)
