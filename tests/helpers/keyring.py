"""A dict-backed keyring backend, and installing one for a test (the tester's own keyring stays untouched)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import keyring
from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError


class DictKeyring(KeyringBackend):
    """A real keyring backend that keeps secrets in a dict."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()
        self.secrets: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.secrets.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.secrets[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.secrets.pop((service, username), None) is None:
            raise PasswordDeleteError("not found")


@contextmanager
def dict_keyring_in_use() -> Iterator[DictKeyring]:
    """A fresh DictKeyring is the keyring for the block; the previous one comes back after."""
    backend = DictKeyring()
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)
