"""The server calls federated learning makes, routed through the sync engine's client and the user's token."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from desktop_app.core.api_client import ApiClient, RequestRejected
from desktop_app.core.federated.errors import FederatedError

T = TypeVar("T")

# The server's federated refusal codes, in the words a clinician reads.
PLAIN_REFUSALS = {
    "not_enough_updates": "No clinic has shared an update for this round yet, so there is nothing to combine.",
    "no_global_weights": "The server has no shared model weights to download yet.",
    "stale_base_version": "This update started from an old shared model. Get the latest shared weights and train again.",
    "already_submitted": "This account already shared an update for this round.",
    "shape_mismatch": "The server's model does not match this app's model; ask your administrator to update one of them.",
    "invalid_weights": "The server could not read the weights file.",
    "update_too_large": "The update is too large for the server.",
    "aggregation_conflict": "Another combination of this round finished first; the newest shared version is ready to get.",
    "cannot_aggregate": "The server could not combine this round's updates.",
    "invalid_strategy": "The server does not know that way of combining updates.",
    "forbidden": "Only an administrator doctor can do this on the server.",
}


class SyncRemote:
    """`get_global_meta`, `download_global_weights`, `trigger_aggregation` as `username`."""

    def __init__(self, sync_engine, username: str | None):
        self._sync = sync_engine
        self._username = username

    def _call(self, call: Callable[[ApiClient], T]) -> T:
        try:
            return self._sync.session.call_as(self._username, call)
        except RequestRejected as exc:
            plain = PLAIN_REFUSALS.get(exc.code or "") or (
                PLAIN_REFUSALS["forbidden"] if exc.status == 403 else None
            )
            if plain is None:
                raise
            raise FederatedError(plain) from exc

    def get_global_meta(self) -> dict[str, Any]:
        return self._call(lambda client: client.get_global_meta())

    def download_global_weights(self) -> bytes:
        return self._call(lambda client: client.download_global_weights())

    def trigger_aggregation(self) -> dict[str, Any]:
        return self._call(lambda client: client.trigger_aggregation())
