"""Builds the sync side of the app for one server URL: the engine and the accounts service's remote."""

from __future__ import annotations

from desktop_app.core.api_client import ApiClient
from desktop_app.core.credentials import CredentialStore
from desktop_app.core.sync.engine import SyncEngine
from desktop_app.core.sync.remote import RemoteAccounts
from desktop_app.core.sync.tokens import TokenVault


def build_remote(server_url: str) -> RemoteAccounts:
    """The `remote` for `Accounts` (its own client: sign-in never races a running sync pass)."""
    return RemoteAccounts(ApiClient(server_url))


def build_engine(store, server_url: str, credentials: CredentialStore, notifications=None, current_user=None) -> SyncEngine:
    """`AppServices.sync`: reads tokens the accounts service saved in the same credential store."""
    client = ApiClient(server_url)
    return SyncEngine(
        store, client, vault=TokenVault(server_url, credentials),
        notifications=notifications, current_user=current_user,
    )
