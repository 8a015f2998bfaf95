"""Errors raised by the local store, each carrying a plain-words message for the user.

`UserFacingError`, the base of every error in the app that carries such a message, lives here in
the lowest layer so the store's errors can derive from it too; `desktop_app.core.errors` exports it.
"""

from __future__ import annotations


class UserFacingError(Exception):
    """A failure with `user_message`: plain words a clinician or patient can act on (no traceback).

    `str(exc)` is the same message. Subclasses may mix in a built-in type (ValueError, OSError…)
    for callers that catch by kind.
    """

    def __init__(self, user_message: str) -> None:
        super().__init__(user_message)
        self.user_message = user_message


class StoreError(UserFacingError):
    """The store could not do what was asked; `user_message` says why in plain words."""

    def __init__(self, user_message: str, *, disk_full: bool = False) -> None:
        super().__init__(user_message)
        self.disk_full = disk_full  # no space left: every further write will fail too until some is freed


class StoreLockedError(StoreError):
    """Another copy of the app (or another open Store) holds the data folder."""

    def __init__(self, user_message: str, *, pid: int | None = None, host: str | None = None) -> None:
        super().__init__(user_message)
        self.pid = pid
        self.host = host
