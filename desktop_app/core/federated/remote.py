"""The server calls federated learning makes, routed through the sync engine's client and the user's token."""

from __future__ import annotations

from typing import Any


class SyncRemote:
    """`get_global_meta`, `download_global_weights`, `trigger_aggregation` as `username`."""

    def __init__(self, sync_engine, username: str | None):
        self._sync = sync_engine
        self._username = username

    def get_global_meta(self) -> dict[str, Any]:
        return self._sync.call_as(self._username, lambda client: client.get_global_meta())

    def download_global_weights(self) -> bytes:
        return self._sync.call_as(self._username, lambda client: client.download_global_weights())

    def trigger_aggregation(self) -> dict[str, Any]:
        return self._sync.call_as(self._username, lambda client: client.trigger_aggregation())
