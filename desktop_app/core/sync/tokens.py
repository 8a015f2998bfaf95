"""Server tokens per user, kept only in the OS keyring (memory-only when no keyring works), never in a file."""

from __future__ import annotations

import logging
import threading

import keyring
from keyring.errors import KeyringError

log = logging.getLogger(__name__)

SERVICE = "TumorPredict server token"


class TokenVault:
    """Maps (server URL, user name) to a bearer token."""

    def __init__(self, server_url: str, use_keyring: bool = True):
        self.server_url = server_url.rstrip("/")
        self._use_keyring = use_keyring
        self._memory: dict[str, str] = {}
        self._lock = threading.Lock()

    def _key(self, username: str) -> str:
        return f"{self.server_url}|{username}"

    def get(self, username: str) -> str | None:
        with self._lock:
            if username in self._memory:
                return self._memory[username]
        if not self._use_keyring:
            return None
        try:
            token = keyring.get_password(SERVICE, self._key(username))
        except (KeyringError, RuntimeError) as exc:
            log.debug("keyring unavailable (%s); tokens live in memory only", exc)
            return None
        if token:
            with self._lock:
                self._memory[username] = token
        return token

    def set(self, username: str, token: str) -> None:
        with self._lock:
            self._memory[username] = token
        if self._use_keyring:
            try:
                keyring.set_password(SERVICE, self._key(username), token)
            except (KeyringError, RuntimeError) as exc:
                log.info("keyring unavailable (%s); the token is kept in memory until the app closes", exc)

    def clear(self, username: str) -> None:
        with self._lock:
            self._memory.pop(username, None)
        if self._use_keyring:
            try:
                keyring.delete_password(SERVICE, self._key(username))
            except (KeyringError, RuntimeError):
                pass  # nothing stored, or no keyring: either way it is gone

    def users(self) -> list[str]:
        """Users with a token in this process (the keyring cannot be listed portably)."""
        with self._lock:
            return sorted(self._memory)
