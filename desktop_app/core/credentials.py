"""Server tokens in the OS keyring through `keyring`. Where no keyring works they stay in memory,
or, when IT opted in (`tumorpredict config set sign-in-file on`), in an owner-only file."""

from __future__ import annotations

import logging
import threading

import keyring
from keyring.backend import KeyringBackend
from keyring.errors import KeyringError, PasswordDeleteError

from desktop_app.core.token_file import TokenFile, TokenFileError

log = logging.getLogger(__name__)

# Same service and key layout as the sync engine's token lookups, so both see one entry per user.
SERVICE = "TumorPredict server token"

NO_KEYRING_MESSAGE = (
    "This computer has no password keyring the app can use, so your sign-in to the clinic "
    "server is kept only while the app is open. You will be asked to sign in again next time. "
    "For scheduled or headless syncs, IT can keep it in a file only this computer account can "
    "read: tumorpredict config set sign-in-file on"
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

    def __init__(self, backend: KeyringBackend | None = None, token_file: TokenFile | None = None):
        self._backend = backend if backend is not None else keyring.get_keyring()
        self._persistent = _usable(self._backend)
        self._file = token_file  # used only while no keyring works
        self._memory: dict[str, str] = {}
        self._lock = threading.Lock()
        if not self._persistent:
            log.info("no usable keyring backend (%s); server tokens stay in %s", type(self._backend).__name__,
                     "the sign-in file" if token_file else "memory")

    @property
    def persistent(self) -> bool:
        """True when tokens survive a restart (an OS keyring, or the opted-in sign-in file)."""
        return self._persistent or self._file is not None

    @property
    def user_message(self) -> str | None:
        """What to tell the user about where their sign-in is kept; None when all is normal."""
        return None if self.persistent else NO_KEYRING_MESSAGE

    def use_token_file(self, token_file: TokenFile | None) -> None:
        """Turns the owner-only file fallback on (or off with None) for a computer with no keyring."""
        self._file = token_file

    @staticmethod
    def key(server_url: str, username: str) -> str:
        return f"{server_url.rstrip('/')}|{username}"

    def get_token(self, server_url: str, username: str) -> str | None:
        key = self.key(server_url, username)
        with self._lock:
            if key in self._memory:
                return self._memory[key]
        if not self._persistent:
            return self._file_call("get", key)
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
            self._file_call("set", key, token)
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
            self._file_call("delete", key)
            return
        try:
            self._backend.delete_password(SERVICE, key)
        except PasswordDeleteError:
            pass  # nothing was stored: it is gone either way
        except (KeyringError, RuntimeError, OSError) as exc:
            self._give_up_keyring(exc)

    def _file_call(self, action: str, *args: str) -> str | None:
        if self._file is None:
            return None
        try:
            return getattr(self._file, action)(*args)
        except TokenFileError as exc:
            log.warning("%s", exc.user_message)
        except OSError as exc:  # a full disk or a read-only folder: the sign-in stays in memory
            log.warning("the sign-in file could not be used (%s)", exc)
        return None

    def _give_up_keyring(self, exc: Exception) -> None:
        # A locked or broken keyring: carry on in memory rather than fail the sign-in.
        log.warning("keyring failed (%s); server tokens stay in memory from now on", type(exc).__name__)
        self._persistent = False
