"""The Store: opens a data folder under its lock and hands out collections, blobs and the outbox."""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

from . import orphans
from .blobs import BlobStore
from .collection import Collection, invalid_name
from .doclog import DocLog
from .errors import StoreError, StoreLockedError
from .fsio import fsync_dir, remove_stale_temps
from .gcpause import gc_paused
from .lock import DataDirLock
from .meta import Meta, run_migrations, target_version
from .outbox import Outbox
from .quarantine import Quarantine

log = logging.getLogger(__name__)

COLLECTIONS_DIR = "collections"
BLOBS_DIR = "blobs"
QUARANTINE_DIR = "quarantine"
OUTBOX_COLLECTION = "_outbox"
_NAME = re.compile(r"[a-z_][a-z0-9_]*")


class Store:
    """A data folder: JSON document collections, content-addressed blobs and the outbox.

    Every method is thread-safe (one re-entrant lock per store), and every write is durable
    when it returns.
    """

    def __init__(self, data_dir: Path, lock: DataDirLock) -> None:
        self.data_dir = data_dir
        self._dir_lock = lock
        self._lock = threading.RLock()
        self._closed = False
        self._quarantine = Quarantine(data_dir / QUARANTINE_DIR)
        self._collections: dict[str, Collection] = {}
        self._collections_root = data_dir / COLLECTIONS_DIR
        self._meta = Meta(data_dir, self._quarantine)
        self.blobs = BlobStore(data_dir / BLOBS_DIR, self._quarantine, self._lock, on_write_failure=self._write_failed)
        self.outbox: Outbox

    @classmethod
    def open(cls, data_dir: str | Path, *, migrations: dict[int, Callable[[Store], Any]] | None = None) -> Store:
        """Opens (creating if needed) the store in `data_dir`.

        Raises StoreLockedError when another copy of the app holds the folder, and StoreError
        when the folder cannot be used (not writable, or saved by a newer version).
        """
        data_dir = Path(data_dir).expanduser().absolute()
        try:
            data_dir.mkdir(parents=True, exist_ok=True)
            if not data_dir.is_dir():
                raise NotADirectoryError(20, "not a folder")
        except OSError as exc:
            raise StoreError(f"The data folder {data_dir} cannot be created ({exc.strerror or exc}).") from exc
        lock = DataDirLock(data_dir)
        try:
            lock.acquire()
        except StoreLockedError:
            raise
        except OSError as exc:
            raise StoreError(f"The data folder {data_dir} is not writable ({exc.strerror or exc}).") from exc
        store = cls(data_dir, lock)
        try:
            store._load(migrations)
        except OSError as exc:
            store.close()
            raise StoreError(f"The data folder {data_dir} could not be read ({exc.strerror or exc}).") from exc
        except BaseException:
            store.close()
            raise
        return store

    def _load(self, migrations: dict[int, Callable[[Store], Any]] | None) -> None:
        self._collections_root.mkdir(exist_ok=True)
        fsync_dir(self.data_dir)
        folders = [folder for folder in sorted(self._collections_root.iterdir())
                   if folder.is_dir() and _NAME.fullmatch(folder.name)]
        self._remove_stale_temps(folders)
        with gc_paused():
            for folder in folders:
                self._collection(folder.name)
        self.outbox = Outbox(self._collection(OUTBOX_COLLECTION), self._lock)
        # Alone with the folder, before anyone writes: files a failed save left behind go.
        orphans.sweep_if_noted(self.blobs.root, (doc for c in self._collections.values() for doc in c._docs.values()))
        self._meta.load(fresh_version=target_version(migrations))
        run_migrations(self, self._meta, migrations)

    def _write_failed(self) -> None:
        orphans.note_failed_write(self.blobs.root)

    def _remove_stale_temps(self, collection_folders: list[Path]) -> None:
        """Temp files of writes a crash interrupted were never acknowledged; we hold the lock, so
        nobody else is writing them."""
        folders = [self.data_dir, *collection_folders]
        with os.scandir(self.blobs.root) as entries:
            folders += [Path(entry.path) for entry in entries if entry.is_dir(follow_symlinks=False)]
        removed = sum(remove_stale_temps(folder) for folder in folders)
        if removed:
            log.info("Removed %d temporary files left by an interrupted write", removed)

    @property
    def schema_version(self) -> int:
        return self._meta.version

    @property
    def quarantine_dir(self) -> Path:
        return self._quarantine.root

    def collection(self, name: str) -> Collection:
        """The collection `name` (created on first use); names are lower-case letters, digits and _."""
        if not isinstance(name, str) or not _NAME.fullmatch(name) or name.startswith("_"):
            raise invalid_name(str(name))
        return self._collection(name)

    def collection_names(self) -> list[str]:
        with self._lock:
            return [name for name in self._collections if not name.startswith("_")]

    def _collection(self, name: str) -> Collection:
        with self._lock:
            self._check_open()
            found = self._collections.get(name)
            if found is None:
                doclog = DocLog(self._collections_root / name, name, self._quarantine)
                found = Collection(name, doclog, self._lock, self._check_open, on_write_failure=self._write_failed)
                self._collections[name] = found
            return found

    def _check_open(self) -> None:
        if self._closed:
            raise StoreError("The store is closed.")

    def close(self) -> None:
        """Closes every file and releases the data-folder lock (safe to call twice)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            collections = list(self._collections.values())
        for collection in collections:  # outside the lock: a compaction may need it to finish
            collection._close()
        with self._lock:
            self._dir_lock.release()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return f"<Store {self.data_dir} ({state})>"
