"""Server tokens in the OS keyring through `keyring`; memory-only (never a file) where no keyring works."""

from __future__ import annotations

import logging
import threading

import keyring
from keyring.backend import KeyringBackend
from keyring.errors import KeyringError, PasswordDeleteError

log = logging.getLogger(__name__)

# Same service and key layout as the sync engine's token lookups, so both see one entry per user.
SERVICE = "TumorPredict server token"

NO_KEYRING_MESSAGE = (
    "This computer has no password keyring the app can use, so your sign-in to the clinic "
    "server is kept only while the app is open. You will be asked to sign in again next time."
)


def _usable(backend: KeyringBackend) -> bool:
    """False for keyring's stand-ins that store nothing (fail, null, an empty chainer)."""
    from keyring.backends import chainer, fail, null

    if isinstance(backend, fail.Keyring | null.Keyring):
        return False
    if isinstance(backend, chainer.ChainerBackend):
        return any(_usable(b) for b in backend.backends)
    return True


class CredentialStore:
    """Tokens keyed by (server URL, user name)."""

    def __init__(self, backend: KeyringBackend | None = None):
        self._backend = backend if backend is not None else keyring.get_keyring()
        self._persistent = _usable(self._backend)
        self._memory: dict[str, str] = {}
        self._lock = threading.Lock()
        if not self._persistent:
            log.info("no usable keyring backend (%s); server tokens stay in memory", type(self._backend).__name__)

    @property
    def persistent(self) -> bool:
        """True when tokens survive a restart (a real OS keyring is in use)."""
        return self._persistent

    @property
    def user_message(self) -> str | None:
        """What to tell the user about where their sign-in is kept; None when all is normal."""
        return None if self._persistent else NO_KEYRING_MESSAGE

    @staticmethod
    def key(server_url: str, username: str) -> str:
        return f"{server_url.rstrip('/')}|{username}"

    def get_token(self, server_url: str, username: str) -> str | None:
        key = self.key(server_url, username)
        with self._lock:
            if key in self._memory:
                return self._memory[key]
        if not self._persistent:
            return None
        try:
            return self._backend.get_password(SERVICE, key)
        except (KeyringError, RuntimeError, OSError) as exc:
            self._give_up_keyring(exc)
            return None

    def set_token(self, server_url: str, username: str, token: str) -> None:
        key = self.key(server_url, username)
        with self._lock:
            self._memory[key] = token
        if not self._persistent:
            return
        try:
            self._backend.set_password(SERVICE, key, token)
        except (KeyringError, RuntimeError, OSError) as exc:
            self._give_up_keyring(exc)

    def delete_token(self, server_url: str, username: str) -> None:
        key = self.key(server_url, username)
        with self._lock:
            self._memory.pop(key, None)
        if not self._persistent:
            return
        try:
            self._backend.delete_password(SERVICE, key)
        except PasswordDeleteError:
            pass  # nothing was stored: it is gone either way
        except (KeyringError, RuntimeError, OSError) as exc:
            self._give_up_keyring(exc)

    def _give_up_keyring(self, exc: Exception) -> None:
        # A locked or broken keyring: carry on in memory rather than fail the sign-in.
        log.warning("keyring failed (%s); server tokens stay in memory from now on", type(exc).__name__)
        self._persistent = False
