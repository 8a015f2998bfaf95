"""The data-folder lock: one copy of the app per data folder, released by the OS when it dies."""

from __future__ import annotations

import json
import logging
import os
import socket
import time
from pathlib import Path

from .errors import StoreLockedError

log = logging.getLogger(__name__)

LOCK_NAME = "store.lock"
OWNER_NAME = "store.lock.json"  # who holds it, for the message shown to the second copy

if os.name == "nt":
    import msvcrt

    def _try_lock(fd: int) -> bool:
        os.lseek(fd, 0, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


class DataDirLock:
    """An exclusive OS lock on `<data_dir>/store.lock`.

    flock / msvcrt locks belong to the open file and vanish when the process exits or is
    killed, so a lock left by a crashed app never blocks the next start. A second open in the
    same process also conflicts, because each open gets its own file handle.
    """

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self._fd: int | None = None

    def acquire(self) -> None:
        fd = os.open(self.data_dir / LOCK_NAME, os.O_RDWR | os.O_CREAT | getattr(os, "O_BINARY", 0), 0o644)
        if not _try_lock(fd):
            os.close(fd)
            raise self._locked_error()
        self._fd = fd
        self._write_owner()

    def _write_owner(self) -> None:
        owner = {"pid": os.getpid(), "host": socket.gethostname(), "since": int(time.time() * 1000)}
        try:
            (self.data_dir / OWNER_NAME).write_text(json.dumps(owner), encoding="utf-8")
        except OSError as exc:  # only used for the message; the lock itself is held
            log.warning("Could not record the lock owner: %s", exc)

    def _locked_error(self) -> StoreLockedError:
        pid = host = None
        try:
            owner = json.loads((self.data_dir / OWNER_NAME).read_text(encoding="utf-8"))
            pid, host = int(owner["pid"]), str(owner["host"])
        except (OSError, ValueError, KeyError, TypeError):
            pass
        if pid is None:
            holder = "TumorPredict is already open in another window or process"
        elif host == socket.gethostname():
            holder = f"TumorPredict is already open on this computer (process {pid})"
        else:
            holder = f"TumorPredict is already open on the computer '{host}' (process {pid})"
        message = (f"{holder}, using the data folder {self.data_dir}. "
                   "Close that copy first, or choose another data folder.")
        return StoreLockedError(message, pid=pid, host=host)

    def release(self) -> None:
        if self._fd is None:
            return
        try:
            _unlock(self._fd)
        finally:
            os.close(self._fd)
            self._fd = None
