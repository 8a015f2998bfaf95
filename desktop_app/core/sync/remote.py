"""The server side of accounts (register, sign in, sign out, forgot password): the accounts service's `remote`."""

from __future__ import annotations

from typing import Any

from desktop_app.core.api_client import ApiClient, LoginResult


class RemoteAccounts:
    """Implements `accounts.AccountsRemote` over the API client.

    It has its own client (and so its own session and token) so that a sign-in on the UI side
    never races a sync pass running on the worker thread. Errors are the client's
    (`ServerUnreachable`, `RequestRejected`, ...), each with a `user_message`.
    """

    def __init__(self, client: ApiClient):
        self.client = client

    def register(self, username: str, email: str, password: str, role: str, **extra: Any) -> dict[str, Any]:
        return self.client.register(
            username, email, password, role=role, full_name=extra.get("full_name"),
            doctor=extra.get("doctor"), enrollment_code=extra.get("enrollment_code"),
        )

    def login(self, username: str, password: str) -> LoginResult:
        return self.client.login(username, password)

    def logout(self, token: str) -> None:
        self.client.token = token
        self.client.logout()

    def request_password_reset(self, username: str) -> None:
        """Asks the server to send a one-time code (a legacy server puts it in its answer; the app never shows it)."""
        self.client.request_otp(username)

    def reset_password(self, username: str, code: str, new_password: str) -> None:
        self.client.verify_otp(username, code.strip(), new_password)
