"""Local id ↔ server id mapping, and finding our own records on a legacy server that returns no ids."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from desktop_app.core.sync.wire import chat_seconds_to_ms

# How far a legacy record's server time may sit from the moment we sent it (clock skew,
# one-second Date headers, seconds on chat records).
LEGACY_MATCH_WINDOW_MS = 10_000


class ServerIdIndex:
    """server id -> local id for one collection, built once from the store and kept current by the engine."""

    def __init__(self, collection):
        self._collection = collection
        self._map: dict[str, str] | None = None
        self._leftovers: list[tuple[str, str]] = []  # (original id, pulled copy id) sharing a server id

    def _ensure(self) -> dict[str, str]:
        if self._map is None:
            self._map = {}
            for doc in self._collection.all():
                server_id, local_id = str(doc.get("server_id") or ""), str(doc.get("id") or "")
                if not server_id or not local_id:
                    continue
                other = self._map.get(server_id)
                if other is not None:
                    # A pulled copy carries the server id as its id; the original is the one to keep.
                    original, copy_id = (other, local_id) if local_id == server_id else (local_id, other)
                    self._leftovers.append((original, copy_id))
                    local_id = original
                self._map[server_id] = local_id
        return self._map

    def take_leftover_copies(self) -> list[tuple[str, str]]:
        """(original id, copy id) pairs found sharing a server id; each is handed out once."""
        self._ensure()
        leftovers, self._leftovers = self._leftovers, []
        return leftovers

    def local_id(self, server_id: str) -> str | None:
        return self._ensure().get(str(server_id))

    def known(self, server_id: str) -> bool:
        return str(server_id) in self._ensure()

    def remember(self, server_id: str, local_id: str) -> None:
        self._ensure()[str(server_id)] = str(local_id)


def closest_unmapped(
    records: Iterable[dict[str, Any]],
    index: ServerIdIndex,
    attempt_ms: int,
    *,
    time_of,
    matches,
    window_ms: int = LEGACY_MATCH_WINDOW_MS,
) -> dict[str, Any] | None:
    """The record nobody here has claimed, that `matches`, created closest to `attempt_ms` within the window."""
    best: tuple[int, dict[str, Any]] | None = None
    for record in records:
        if not record.get("id") or index.known(record["id"]) or not matches(record):
            continue
        distance = abs(time_of(record) - attempt_ms)
        if distance <= window_ms and (best is None or distance < best[0]):
            best = (distance, record)
    return best[1] if best else None


def legacy_report_match(records, index: ServerIdIndex, report: dict[str, Any], attempt_ms: int):
    """Our report on a legacy server: same patient, created when we sent it."""
    return closest_unmapped(
        records, index, attempt_ms,
        time_of=lambda r: int(r.get("timestamp") or 0),
        matches=lambda r: r.get("username") == report.get("username"),
    )


def legacy_message_match(records, index: ServerIdIndex, message: dict[str, Any], attempt_ms: int):
    """Our message on a legacy server: same people, same words, stored when we sent it."""
    return closest_unmapped(
        records, index, attempt_ms,
        time_of=lambda r: chat_seconds_to_ms(r.get("timestamp")),
        matches=lambda r: (r.get("sender"), r.get("receiver"), r.get("message"))
        == (message.get("sender"), message.get("receiver"), message.get("message")),
        window_ms=LEGACY_MATCH_WINDOW_MS + 1000,  # chat times are whole seconds
    )
