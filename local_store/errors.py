"""Errors raised by the local store, each carrying a plain-words message for the user."""

from __future__ import annotations


class StoreError(Exception):
    """The store could not do what was asked; `user_message` says why in plain words."""

    def __init__(self, user_message: str, *, disk_full: bool = False) -> None:
        super().__init__(user_message)
        self.user_message = user_message
        self.disk_full = disk_full  # no space left: every further write will fail too until some is freed


class StoreLockedError(StoreError):
    """Another copy of the app (or another open Store) holds the data folder."""

    def __init__(self, user_message: str, *, pid: int | None = None, host: str | None = None) -> None:
        super().__init__(user_message)
        self.pid = pid
        self.host = host
