"""Sync with a TumorPredict server: outbox push, cursor pull, merge, id mapping and status (no Qt)."""

from desktop_app.core.sync.engine import SyncEngine
from desktop_app.core.sync.remote import RemoteAccounts
from desktop_app.core.sync.status import SyncReport, SyncStatus
from desktop_app.core.sync.tokens import TokenVault

__all__ = ["RemoteAccounts", "SyncEngine", "SyncReport", "SyncStatus", "TokenVault"]
