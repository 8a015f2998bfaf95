"""One collection on disk: a snapshot plus an append-only, checksummed JSON-lines log."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from . import records, snapshot
from .fsio import atomic_write, fsync_dir, sync_file
from .quarantine import Quarantine

log = logging.getLogger(__name__)

SNAPSHOT_NAME = "snapshot.json"
LOG_NAME = "log.jsonl"
# Compact once the log outgrows this floor and an eighth of the snapshot: writes stay
# amortised O(1), and opening never parses much more than the live data.
MIN_COMPACT_BYTES = 256 * 1024
LOG_TO_SNAPSHOT = 8


class BrokenLogError(OSError):
    """A failed write could not be rolled back; the log refuses writes until reopened."""


class DocLog:
    """Loads, appends to and compacts the files of one collection. Not thread-safe on its own:
    the Store's lock serialises every call."""

    def __init__(self, folder: Path, name: str, quarantine: Quarantine) -> None:
        self.folder = folder
        self.name = name
        self.quarantine = quarantine
        self.snapshot_path = folder / SNAPSHOT_NAME
        self.log_path = folder / LOG_NAME
        self.seq = 0
        self._fd: int | None = None
        self._size = 0
        self._snapshot_size = 0
        self._broken = False
        self._since: list[bytes] | None = None  # records appended while a compaction runs

    # ---- loading -------------------------------------------------------------------------

    def load(self) -> dict[str, dict]:
        """Reads the snapshot and replays the log; damaged parts are set aside, never fatal."""
        created = not self.folder.exists()
        self.folder.mkdir(parents=True, exist_ok=True)
        if created:
            fsync_dir(self.folder.parent)
        docs, snap_seq, needs_rewrite = self._load_snapshot()
        self.seq = max(snap_seq, 0)
        needs_rewrite |= self._replay_log(docs, snap_seq)
        self._open_for_append()
        if needs_rewrite:
            # Settle the recovered state in a clean snapshot so the damage is not met again.
            try:
                self.compact(docs)
            except OSError as exc:
                # Still safe: the same recovery simply runs again on the next start.
                log.warning("Could not rewrite the repaired collection '%s' yet: %s", self.name, exc)
        return docs

    def _load_snapshot(self) -> tuple[dict[str, dict], int, bool]:
        if not self.snapshot_path.exists():
            return {}, 0, False
        try:
            read = snapshot.read(self.snapshot_path)
        except OSError as exc:
            self.quarantine.move(self.snapshot_path, self.name, f"it could not be read ({exc})")
            return {}, -1, True
        if read.damaged is None:
            self._snapshot_size = self.snapshot_path.stat().st_size
            return read.docs, read.seq, False
        # A copy, not a move: the damaged file stays the collection's snapshot until the
        # recovered one replaces it atomically, so a crash meanwhile loses nothing.
        self.quarantine.copy(
            self.snapshot_path, self.name,
            f"{read.damaged}; {len(read.docs)} documents of collection '{self.name}' were recovered from it",
        )
        return read.docs, read.seq, True

    def _replay_log(self, docs: dict[str, dict], snap_seq: int) -> bool:
        """Applies the log's records newer than the snapshot; returns True when the log needs rewriting."""
        try:
            raw = self.log_path.read_bytes()
        except FileNotFoundError:
            return False
        except OSError as exc:
            self.quarantine.move(self.log_path, self.name, f"it could not be read ({exc})")
            return True
        lines = raw.split(b"\n")
        tail = lines.pop()  # bytes after the last newline: empty unless the last write was cut short
        good_end = 0  # offset just past the last intact record
        offset = 0
        bad_total = 1 if tail else 0
        bad_trailing = bad_total  # bad lines after the last intact record
        for line in lines:
            offset += len(line) + 1
            record = records.parse(line)
            if record is None:
                bad_total += 1
                bad_trailing += 1
                continue
            bad_trailing = 1 if tail else 0
            good_end = offset
            if record["seq"] > snap_seq:
                records.apply(docs, record)
                self.seq = max(self.seq, record["seq"])
        if bad_total > bad_trailing or bad_trailing > 1:
            # Damage before intact records, or several bad lines at the end: not a torn write
            # but a damaged or hand-edited file. Keep the original aside and the intact records
            # here; the caller rewrites the collection from them (snapshot first, log after).
            self.quarantine.copy(
                self.log_path, self.name,
                f"{bad_total} damaged lines of collection '{self.name}' were skipped; "
                "every intact record was kept",
            )
            return True
        if good_end < len(raw):
            log.warning(
                "Dropped an unfinished last record (%d bytes) of collection '%s': a write cut short "
                "by a crash or power cut, never confirmed to the app.", len(raw) - good_end, self.name,
            )
            with open(self.log_path, "r+b") as handle:
                handle.truncate(good_end)
                handle.flush()
                sync_file(handle.fileno())
        return False

    # ---- writing -------------------------------------------------------------------------

    def next_seq(self) -> int:
        return self.seq + 1

    def append(self, record_json: str, seq: int) -> None:
        """Appends one record and fsyncs; on return it survives a crash. Raises OSError after
        rolling the file back to its last intact length."""
        if self._broken or self._fd is None:
            raise BrokenLogError(f"the log of collection '{self.name}' is not writable until the app restarts")
        line = records.frame(record_json)
        try:
            os.lseek(self._fd, self._size, os.SEEK_SET)
            view = memoryview(line)
            while view:
                view = view[os.write(self._fd, view):]
            sync_file(self._fd)
        except OSError:
            self._roll_back()
            raise
        self._size += len(line)
        self.seq = seq
        if self._since is not None:  # a compaction is running: this record goes into the next log
            self._since.append(line)

    def _roll_back(self) -> None:
        """Cuts a partly written record off so the next append does not glue onto it."""
        try:
            os.ftruncate(self._fd, self._size)
            sync_file(self._fd)
        except OSError:
            # A leftover partial line is dropped as a torn tail on the next open; until then
            # refuse writes so nothing acknowledged can land behind it.
            self._broken = True
            log.error("Could not roll back a failed write to the log of collection '%s'", self.name)

    def wants_compaction(self) -> bool:
        return self._since is None and self._size > max(MIN_COMPACT_BYTES, self._snapshot_size // LOG_TO_SNAPSHOT)

    # Compaction runs in three steps so the slow middle one needs no lock: writers keep
    # appending to the old log while the snapshot is written, and only the records they
    # added meanwhile are carried over into the new log.

    def begin_compaction(self) -> int:
        """Starts remembering new records; returns the sequence number the snapshot covers. Under the lock."""
        self._since = []
        return self.seq

    def write_snapshot(self, docs: dict[str, dict], seq: int) -> int:
        """Atomically replaces the snapshot with `docs` (as of `seq`); returns its size. Raises OSError."""
        return snapshot.write(self.snapshot_path, self.name, seq, docs)

    def finish_compaction(self, snapshot_size: int) -> None:
        """Atomically replaces the log by the records written since `begin_compaction`. Under the lock.

        A crash before the replace leaves the old log, whose records up to the snapshot's
        sequence number are skipped on load; after it, the short new log. Raises OSError (and
        then the old, complete log stays in use).
        """
        carried, self._since = self._since or [], None
        self._snapshot_size = snapshot_size
        data = b"".join(carried)
        if os.name == "nt" and self._fd is not None:
            os.close(self._fd)  # Windows cannot replace a file that is still open
            self._fd = None
        try:
            atomic_write(self.log_path, data)
        except BaseException:
            if self._fd is None:
                broken = self._broken
                self._open_for_append()  # the old, complete log stays in use
                self._broken = broken
            raise
        previous = self._fd
        self._open_for_append()
        if previous is not None:
            os.close(previous)

    def _open_for_append(self) -> None:
        self._fd = os.open(self.log_path, os.O_WRONLY | os.O_CREAT | getattr(os, "O_BINARY", 0), 0o644)
        self._size = os.lseek(self._fd, 0, os.SEEK_END)
        self._broken = False

    def abort_compaction(self) -> None:
        self._since = None

    def compact(self, docs: dict[str, dict]) -> None:
        """All three steps at once, for callers that own `docs` exclusively (loading, tests)."""
        seq = self.begin_compaction()
        try:
            size = self.write_snapshot(docs, seq)
        except BaseException:
            self.abort_compaction()
            raise
        self.finish_compaction(size)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
