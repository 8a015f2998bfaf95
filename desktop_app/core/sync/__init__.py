"""Sync with a TumorPredict server: outbox push, cursor pull, merge, id mapping and status (no Qt).

The names below are loaded on first use, so a producer importing `sync.outbox_kinds` (the core
services queue their changes through it) does not pull in the engine and everything it uses.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "RemoteAccounts": "desktop_app.core.sync.remote",
    "SyncEngine": "desktop_app.core.sync.engine",
    "SyncReport": "desktop_app.core.sync.status",
    "SyncStatus": "desktop_app.core.sync.status",
    "TokenVault": "desktop_app.core.sync.tokens",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
