"""Which head weights are in use, every version applied before, and rollback — kept in the local store."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from desktop_app.core.federated.errors import FederatedError
from desktop_app.core.federated.npz_format import checksum, load_npz
from local_store import StoreError

STATE_COLLECTION = "fl_state"
HISTORY_DOC = "weights"


class RollbackError(FederatedError):
    """Nothing to roll back to, or the stored weights are damaged."""


class WeightsHistory:
    """Applied weight versions, newest last; the active one is the top of the stack (none: shipped head).

    Each version's `.npz` lives in the blob store, so rollback needs no network.
    """

    def __init__(self, store):
        self._store = store
        self._docs = store.collection(STATE_COLLECTION)

    def _state(self) -> dict[str, Any]:
        return self._docs.get(HISTORY_DOC) or {"stack": [], "entries": {}}

    def _save(self, state: dict[str, Any]) -> None:
        self._docs.put(HISTORY_DOC, state)

    def active_entry(self) -> dict[str, Any] | None:
        state = self._state()
        return state["entries"][state["stack"][-1]] if state["stack"] else None

    def active_version(self) -> str | None:
        entry = self.active_entry()
        return entry["version"] if entry else None

    def entries(self) -> list[dict[str, Any]]:
        """Every version ever applied, oldest first."""
        return sorted(self._state()["entries"].values(), key=lambda e: e["applied_at"])

    def entry(self, version: str) -> dict[str, Any] | None:
        return self._state()["entries"].get(version)

    def stack(self) -> list[str]:
        return list(self._state()["stack"])

    def weights_of(self, version: str) -> dict[str, np.ndarray]:
        entry = self._state()["entries"][version]
        try:
            data = self._store.blobs.get(entry["digest"])
        except (StoreError, KeyError, OSError) as exc:
            raise RollbackError(
                f"The stored weights of version {version} are missing or damaged."
            ) from exc
        if checksum(data) != entry["checksum"]:
            raise RollbackError(f"The stored weights of version {version} are damaged.")
        return load_npz(data)[0]

    def activate(
        self, version: str, npz_bytes: bytes, *, source: str, meta: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Stores the file, makes it the active version and returns its history entry."""
        state = self._state()
        digest = self._store.blobs.put(npz_bytes)
        now = int(time.time() * 1000)
        entry = dict(state["entries"].get(version) or {})
        entry.update(
            version=version,
            digest=digest,
            checksum=checksum(npz_bytes),
            source=source,
            meta=meta or {},
            applied_at=now,
            rolled_back_at=None,
        )
        state["entries"][version] = entry
        state["stack"] = [v for v in state["stack"] if v != version] + [version]
        self._save(state)
        return entry

    def note(self, version: str, **fields: Any) -> None:
        """Adds figures (e.g. local accuracy) to a version's entry."""
        state = self._state()
        if version in state["entries"]:
            state["entries"][version].update(fields)
            self._save(state)

    def rollback(self) -> dict[str, Any] | None:
        """Leaves the active version; returns the entry now active (None: the shipped head)."""
        state = self._state()
        if not state["stack"]:
            raise RollbackError(
                "There is nothing to roll back: the shipped model weights are in use."
            )
        left = state["stack"].pop()
        state["entries"][left]["rolled_back_at"] = int(time.time() * 1000)
        self._save(state)
        return state["entries"][state["stack"][-1]] if state["stack"] else None

    def was_rolled_back(self, version: str) -> bool:
        entry = self.entry(version)
        return bool(entry and entry.get("rolled_back_at"))
