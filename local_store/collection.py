"""A named set of JSON documents kept in memory and made durable by its DocLog."""

from __future__ import annotations

import json
import logging
import marshal
import threading
from collections.abc import Callable, Iterator
from typing import Any

from . import records
from .doclog import DocLog
from .errors import StoreError
from .fsio import write_error
from .gcpause import gc_paused

log = logging.getLogger(__name__)

_MISSING = object()


def copy_json(value: Any) -> Any:
    """A deep copy of JSON-shaped data. marshal round-trips in C (only our own in-memory data,
    never a file): about twice as fast as deepcopy and a third faster than pickle."""
    with gc_paused():
        return marshal.loads(marshal.dumps(value))


def _doc_json(collection: str, doc_id: str, doc: Any) -> str:
    if not isinstance(doc_id, str) or not doc_id:
        raise TypeError(f"document ids are non-empty strings, got {doc_id!r}")
    if not isinstance(doc, dict):
        raise TypeError(f"documents are dicts, got {type(doc).__name__} for {collection}/{doc_id}")
    try:
        text = records.dumps(doc)
        text.encode("utf-8")  # lone surrogates would only fail later, halfway through a write
    except (TypeError, ValueError) as exc:
        raise TypeError(f"document {collection}/{doc_id} is not JSON-serialisable: {exc}") from exc
    return text


class Collection:
    """Documents by id, in insertion order. Reads are served from memory and return copies,
    so a caller changing a returned dict never changes the store behind its back."""

    def __init__(self, name: str, doclog: DocLog, lock: threading.RLock, check_open: Callable[[], None],
                 *, on_write_failure: Callable[[], None] = lambda: None) -> None:
        self.name = name
        self._on_write_failure = on_write_failure
        self._log = doclog
        self._lock = lock
        self._check_open = check_open
        self._docs: dict[str, dict] = doclog.load()
        self._compacting = threading.Lock()  # one compaction at a time, background or explicit
        self._compaction: threading.Thread | None = None

    # ---- writes --------------------------------------------------------------------------

    def put(self, doc_id: str, doc: dict[str, Any]) -> None:
        """Stores `doc` under `doc_id`; durable (fsynced) when this returns."""
        doc_json = _doc_json(self.name, doc_id, doc)
        with self._lock:
            self._check_open()
            seq = self._log.next_seq()
            self._write(records.put_record(seq, doc_id, doc_json), seq, f"the {self.name} entry")
            self._docs[doc_id] = json.loads(doc_json)  # exactly what a reload would give back
            self._maybe_compact()

    def put_many(self, items: dict[str, dict[str, Any]]) -> None:
        """Stores several documents with one write and one fsync: all of them or none survive."""
        if not items:
            return
        docs_json = {doc_id: _doc_json(self.name, doc_id, doc) for doc_id, doc in items.items()}
        with self._lock:
            self._check_open()
            seq = self._log.next_seq()
            self._write(records.batch_record(seq, docs_json), seq, f"{len(items)} {self.name} entries")
            for doc_id, doc_json in docs_json.items():
                self._docs[doc_id] = json.loads(doc_json)
            self._maybe_compact()

    def delete_many(self, doc_ids: list[str]) -> None:
        """Removes several documents with one write and one fsync."""
        with self._lock:
            self._check_open()
            gone = [doc_id for doc_id in dict.fromkeys(doc_ids) if doc_id in self._docs]
            if not gone:
                return
            seq = self._log.next_seq()
            self._write(records.batch_record(seq, {}, gone), seq, f"the removal of {len(gone)} {self.name} entries")
            for doc_id in gone:
                del self._docs[doc_id]
            self._maybe_compact()

    def delete(self, doc_id: str) -> None:
        """Removes `doc_id` (no error if absent); durable when this returns."""
        with self._lock:
            self._check_open()
            if doc_id not in self._docs:
                return
            seq = self._log.next_seq()
            self._write(records.delete_record(seq, doc_id), seq, f"the removal of a {self.name} entry")
            del self._docs[doc_id]
            self._maybe_compact()

    def _write(self, record_json: str, seq: int, what: str) -> None:
        try:
            self._log.append(record_json, seq)
        except OSError as exc:
            log.error("Write to collection '%s' failed: %s", self.name, exc)
            self._on_write_failure()
            raise write_error(exc, what) from exc

    def _maybe_compact(self) -> None:
        """Starts a background compaction when the log has grown enough. Under the lock."""
        if self._compaction is None and self._log.wants_compaction():
            self._compaction = threading.Thread(target=self._compact_in_background,
                                                name=f"compact-{self.name}", daemon=True)
            self._compaction.start()

    def _compact_in_background(self) -> None:
        try:
            self._compact()
        except OSError as exc:
            # Every write is already durable in the log; the next write will try again.
            log.warning("Could not compact collection '%s' (will retry later): %s", self.name, exc)
        finally:
            with self._lock:
                self._compaction = None

    def _compact(self) -> None:
        with self._compacting:
            with self._lock:
                seq = self._log.begin_compaction()
                view = dict(self._docs)  # documents are never changed in place: a shallow copy is a consistent view
            try:
                size = self._log.write_snapshot(view, seq)
            except BaseException:
                with self._lock:
                    self._log.abort_compaction()
                raise
            with self._lock:
                self._log.finish_compaction(size)

    def compact(self) -> None:
        """Rewrites the snapshot and empties the log now. Raises StoreError on failure."""
        self._check_open()
        try:
            self._compact()
        except OSError as exc:
            raise write_error(exc, f"the {self.name} collection") from exc

    def wait_for_compaction(self, timeout: float | None = None) -> None:
        """Returns once no background compaction is running (used by close and by tests)."""
        thread = self._compaction
        if thread is not None:
            thread.join(timeout)

    # ---- reads ---------------------------------------------------------------------------

    def get(self, doc_id: str) -> dict[str, Any] | None:
        with self._lock:
            doc = self._docs.get(doc_id)
            return None if doc is None else copy_json(doc)

    def all(self) -> list[dict[str, Any]]:
        """Every document, in insertion order."""
        with self._lock:
            return copy_json(list(self._docs.values()))

    def ids(self) -> list[str]:
        with self._lock:
            return list(self._docs)

    def items(self) -> list[tuple[str, dict[str, Any]]]:
        """(id, document) pairs in insertion order."""
        with self._lock:
            return copy_json(list(self._docs.items()))

    def find(self, **equals: Any) -> list[dict[str, Any]]:
        """Documents whose top-level fields equal every given value (a missing field never matches)."""
        if not equals:
            return self.all()
        (key, value), *others = equals.items()
        with self._lock:
            # The first field is tested inline (no generator per document): a scan of 50,000
            # messages stays a few milliseconds; the other fields only see the candidates.
            matches = [doc for doc in self._docs.values() if doc.get(key, _MISSING) == value]
            if others:
                matches = [doc for doc in matches
                           if all(doc.get(other, _MISSING) == wanted for other, wanted in others)]
            return copy_json(matches)

    def __len__(self) -> int:
        with self._lock:
            return len(self._docs)

    def __contains__(self, doc_id: object) -> bool:
        with self._lock:
            return doc_id in self._docs

    def __iter__(self) -> Iterator[str]:
        return iter(self.ids())

    def __repr__(self) -> str:
        return f"<Collection {self.name!r} ({len(self._docs)} documents)>"

    def _close(self) -> None:
        """Lets a running compaction finish, then closes the log. Called without the store's lock."""
        self.wait_for_compaction()
        with self._lock:
            self._log.close()


def invalid_name(name: str) -> StoreError:
    return StoreError(f"'{name}' is not a valid collection name (lower-case letters, digits and _).")
