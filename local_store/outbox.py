"""The outbox: ordered changes waiting to sync, each with a stable idempotency key."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from dataclasses import asdict, dataclass
from typing import Any

from .collection import Collection
from .errors import StoreError

log = logging.getLogger(__name__)

# Finished entries are kept (newest first) so a repeated append with the same key stays a no-op.
KEEP_DONE = 1000


@dataclass
class OutboxEntry:
    """One change waiting to be sent; `key` is sent along so the server applies it at most once."""

    key: str
    seq: int
    kind: str
    payload: dict[str, Any]
    created_at: int  # Unix milliseconds
    attempts: int = 0
    last_error: str | None = None
    done: bool = False
    done_at: int | None = None

    def get(self, name: str, default: Any = None) -> Any:
        """Dict-style access for code that treats entries as mappings."""
        return getattr(self, name, default)

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> OutboxEntry:
        return cls(**{name: doc.get(name) for name in cls.__dataclass_fields__ if name in doc})


def _now_ms() -> int:
    return int(time.time() * 1000)


class Outbox:
    """Backed by an ordinary log-backed collection, so it has the same durability."""

    def __init__(self, docs: Collection, lock: threading.RLock) -> None:
        self._docs = docs
        self._lock = lock
        self._last_seq = max((doc.get("seq", 0) for doc in docs._docs.values()), default=0)
        # Pending keys kept apart so an idle sync pass does not scan every finished entry.
        self._pending = {key for key, doc in docs._docs.items() if not doc.get("done")}
        self._prune()

    def append(self, kind: str, payload: dict[str, Any], key: str | None = None) -> OutboxEntry:
        """Queues a change (durable on return). Appending an existing key returns that entry
        unchanged, so retrying the same logical change never queues it twice."""
        with self._lock:
            key = key or uuid.uuid4().hex
            existing = self._docs.get(key)
            if existing is not None:
                return OutboxEntry.from_doc(existing)
            entry = OutboxEntry(key=key, seq=self._last_seq + 1, kind=kind, payload=dict(payload),
                                created_at=_now_ms())
            self._docs.put(key, asdict(entry))
            self._last_seq = entry.seq
            self._pending.add(key)
            return entry

    def pending(self) -> list[OutboxEntry]:
        """Entries not yet done, oldest first."""
        with self._lock:
            docs = [doc for doc in map(self._docs.get, self._pending) if doc is not None and not doc.get("done")]
        return sorted((OutboxEntry.from_doc(doc) for doc in docs), key=lambda entry: entry.seq)

    def get(self, key: str) -> OutboxEntry | None:
        doc = self._docs.get(key)
        return OutboxEntry.from_doc(doc) if doc is not None else None

    def mark_done(self, key: str) -> None:
        """The server has the change; it leaves the pending list (no error for unknown keys)."""
        self.mark_done_many([key])

    def mark_done_many(self, keys: list[str]) -> None:
        """Several changes the server took at once, recorded with one durable write."""
        with self._lock:
            now = _now_ms()
            done = {key: {**doc, "done": True, "done_at": now}
                    for key in keys if (doc := self._docs.get(key)) is not None and not doc.get("done")}
            self._docs.put_many(done)  # one write and one fsync, however many
            self._pending.difference_update(done)

    def mark_failed(self, key: str, error: str) -> None:
        """Records a failed attempt; the entry stays pending in its place."""
        with self._lock:
            doc = self._docs.get(key)
            if doc is None:
                return
            doc.update(attempts=int(doc.get("attempts") or 0) + 1, last_error=str(error))
            self._docs.put(key, doc)

    def __len__(self) -> int:
        """Number of pending entries."""
        with self._lock:
            return len(self._pending)

    def _prune(self) -> None:
        done = [doc for doc in self._docs._docs.values() if doc.get("done")]
        if len(done) <= KEEP_DONE:
            return
        done.sort(key=lambda doc: doc.get("seq", 0))
        try:
            self._docs.delete_many([doc["key"] for doc in done[:-KEEP_DONE]])
        except StoreError as exc:  # tidying up is optional; never block opening the store on it
            log.warning("Could not prune finished outbox entries: %s", exc)
