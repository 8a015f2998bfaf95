"""The engine's durable bookkeeping in `settings/sync`: server kind, cursors, send attempts, chat peers."""

from __future__ import annotations

import threading
from typing import Any

DOC_ID = "sync"


class SyncState:
    """A thin, write-through view of the `settings/sync` document."""

    def __init__(self, settings_collection, server_url: str):
        self._settings = settings_collection
        self._lock = threading.RLock()  # pushes for several conversations may run at once
        self._doc: dict[str, Any] = settings_collection.get(DOC_ID) or {}
        if self._doc.get("server_url") != server_url:
            # Cursors and attempts belong to one server; a new URL starts over (records stay mapped by id).
            self._doc = {"server_url": server_url, "cursors": {}, "attempts": {}, "peers": {},
                         "last_sync_at": self._doc.get("last_sync_at")}
            self._save()

    def _save(self) -> None:
        with self._lock:
            self._settings.put(DOC_ID, self._doc)

    @property
    def server_kind(self) -> str | None:
        return self._doc.get("server_kind")

    def set_server_kind(self, kind: str) -> None:
        with self._lock:
            if self._doc.get("server_kind") != kind:
                self._doc["server_kind"] = kind
                self._save()

    @property
    def last_sync_at(self) -> int | None:
        return self._doc.get("last_sync_at")

    def set_last_sync_at(self, ms: int, *, durable: bool = True) -> None:
        """`durable=False` keeps it in memory only: an idle pass should not cost a disk flush."""
        with self._lock:
            self._doc["last_sync_at"] = ms
            if durable:
                self._save()

    def cursor(self, key: str) -> Any:
        return self._doc.setdefault("cursors", {}).get(key)

    def set_cursor(self, key: str, cursor: Any) -> None:
        with self._lock:
            cursors = self._doc.setdefault("cursors", {})
            if cursors.get(key) != cursor:
                cursors[key] = cursor
                self._save()

    def attempt(self, entry_key: str) -> int | None:
        """When (server clock, ms) this outbox entry was last sent without a known answer."""
        return self._doc.setdefault("attempts", {}).get(entry_key)

    def record_attempt(self, entry_key: str, server_ms: int) -> None:
        with self._lock:
            self._doc.setdefault("attempts", {})[entry_key] = server_ms
            self._save()

    def clear_attempt(self, entry_key: str) -> None:
        with self._lock:
            if self._doc.setdefault("attempts", {}).pop(entry_key, None) is not None:
                self._save()

    def missing_scans(self) -> dict[str, dict[str, Any]]:
        """Reports whose scan did not download yet (see `scans.MissingScans`), by local id."""
        with self._lock:
            return dict(self._doc.get("missing_scans") or {})

    def set_missing_scan(self, report_id: str, entry: dict[str, Any] | None) -> None:
        with self._lock:
            scans = self._doc.setdefault("missing_scans", {})
            if entry is None and scans.pop(report_id, None) is None:
                return
            if entry is not None:
                scans[report_id] = entry
            self._save()

    def peers(self, username: str) -> set[str]:
        return set(self._doc.setdefault("peers", {}).get(username, []))

    def add_peer(self, username: str, peer: str) -> None:
        with self._lock:
            peers = self._doc.setdefault("peers", {}).setdefault(username, [])
            if peer not in peers:
                peers.append(peer)
                self._save()
