"""The sync engine's view of server tokens: the app's credential store bound to one server URL."""

from __future__ import annotations

from desktop_app.core.credentials import CredentialStore


class TokenVault:
    """(user name) -> bearer token for one server; kept only in the OS keyring or in memory."""

    def __init__(self, server_url: str, credentials: CredentialStore | None = None):
        self.server_url = server_url.rstrip("/")
        self.credentials = credentials if credentials is not None else CredentialStore()

    def get(self, username: str) -> str | None:
        return self.credentials.get_token(self.server_url, username)

    def set(self, username: str, token: str) -> None:
        self.credentials.set_token(self.server_url, username, token)

    def clear(self, username: str) -> None:
        self.credentials.delete_token(self.server_url, username)
