"""The server side of accounts (register, sign in, sign out, forgot password) for the accounts service."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from desktop_app.core.api_client import ApiClient, RequestRejected
from desktop_app.core.sync.tokens import TokenVault

log = logging.getLogger(__name__)


@dataclass
class RemoteLogin:
    username: str
    role: str | None  # None: the server keeps no roles (legacy)
    user: dict[str, Any]


class RemoteAccounts:
    """The `remote` seam of the accounts service, backed by the API client and the token vault.

    Errors are the client's (`ServerUnreachable`, `RequestRejected`, ...), each with a
    `user_message`; the accounts service decides whether offline sign-in may go on.
    """

    def __init__(self, client: ApiClient, vault: TokenVault, on_signed_in=None):
        self.client = client
        self.vault = vault
        self._on_signed_in = on_signed_in  # e.g. SyncEngine.signed_in: queued changes flow again

    def register(self, username: str, email: str, password: str, **profile: Any) -> dict[str, Any]:
        fields = ("role", "full_name", "doctor", "enrollment_code")
        return self.client.register(username, email, password, **{k: profile.get(k) for k in fields})

    def login(self, username: str, password: str) -> RemoteLogin:
        result = self.client.login(username, password)
        if result.token:
            self.vault.set(username, result.token)
        if self._on_signed_in is not None:
            self._on_signed_in(username, result.token)
        return RemoteLogin(username=username, role=result.role, user=result.user)

    def ensure_registered_and_login(self, username: str, email: str, password: str, **profile: Any) -> RemoteLogin:
        """An account made offline reaches the server at its first online sign-in (the password is never kept)."""
        try:
            self.register(username, email, password, **profile)
        except RequestRejected as exc:
            if exc.code != "username_taken":
                raise
        return self.login(username, password)

    def logout(self, username: str) -> None:
        self.client.token = self.vault.get(username)
        try:
            self.client.logout()
        finally:
            self.vault.clear(username)

    def request_password_reset(self, username: str) -> None:
        """Asks the server to send a one-time code (a legacy server shows it in its answer; we never do)."""
        self.client.request_otp(username)

    def reset_password(self, username: str, code: str, new_password: str) -> None:
        self.client.verify_otp(username, code.strip(), new_password)
