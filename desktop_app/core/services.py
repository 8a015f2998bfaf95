"""The composition root: opens the store and wires every core service (and sync, when a server is set)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from desktop_app.core.accounts import AccountError, Accounts
from desktop_app.core.chat import Chat
from desktop_app.core.content import Content
from desktop_app.core.credentials import CredentialStore
from desktop_app.core.events import EventBus
from desktop_app.core.notifications import Notifications
from desktop_app.core.reports import Reports
from desktop_app.core.settings import Settings
from desktop_app.core.token_file import FILE_NAME as TOKEN_FILE_NAME
from desktop_app.core.token_file import TokenFile

if TYPE_CHECKING:
    from desktop_app.core.federated import FederatedClient

log = logging.getLogger(__name__)


def normalize_server_url(url: str) -> str:
    """`https://clinic.example/` → `https://clinic.example`; AccountError for anything not http(s)."""
    url = (url or "").strip().rstrip("/")
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise AccountError(f"“{url}” is not a server address. Use the form https://server.clinic.org")
    return url


def _load_engine() -> Any:
    from desktop_app.core.inference import InferenceEngine

    return InferenceEngine.load()


class AppServices:
    """Everything the UI, the CLI and tests use: `store`, `settings`, `accounts`, `reports`, `chat`,
    `notifications`, `content`, `events`, `credentials`, `engine` (lazy) and `sync` (None offline)."""

    def __init__(
        self,
        store,
        data_dir: Path,
        *,
        remote=None,
        credentials: CredentialStore | None = None,
        restore_session: bool = True,
        clock: Callable[[], float] = time.time,
        engine_loader: Callable[[], Any] | None = None,
    ):
        self.store = store
        self.data_dir = Path(data_dir)
        self.events = EventBus()
        self.settings = Settings(store, self.events)
        self.credentials = credentials or CredentialStore()
        if self.settings.get("sign_in_file"):  # IT's opt-in for computers without a keyring
            self.credentials.use_token_file(TokenFile(self.data_dir / TOKEN_FILE_NAME))
        self.accounts = Accounts(store, self.settings, self.events, self.credentials, remote,
                                 clock=clock, restore_session=restore_session)
        self.notifications = Notifications(store, self.events, self.accounts, clock=clock)
        self.reports = Reports(store, self.events, self.accounts, self.notifications, clock=clock)
        self.chat = Chat(store, self.events, self.accounts, clock=clock)
        self.content = Content(self.data_dir, self.settings)
        self.sync = None
        self._engine: Any = None
        self._engine_loader = engine_loader or _load_engine
        self._engine_lock = threading.Lock()
        self._closed = False

    @classmethod
    def open(
        cls,
        data_dir: str | Path,
        server_url: str | None = None,
        *,
        remote=None,
        credentials: CredentialStore | None = None,
        restore_session: bool = True,
        clock: Callable[[], float] = time.time,
        engine_loader: Callable[[], Any] | None = None,
    ) -> AppServices:
        """Opens the data dir (StoreLockedError when another copy of the app has it).

        `server_url` is remembered in the data dir; None uses the remembered one. With a server and
        no `remote` given, accounts talk to it through the API client and `sync` is set up.
        """
        from local_store import Store

        data_dir = Path(data_dir)
        store = Store.open(data_dir)
        try:
            app = cls(store, data_dir, remote=remote, credentials=credentials, restore_session=restore_session,
                      clock=clock, engine_loader=engine_loader)
            if server_url:
                server_url = normalize_server_url(server_url)
                if server_url != app.settings.server_url:
                    app.settings.set("server_url", server_url)
            if app.settings.server_url and remote is None:
                app._connect(app.settings.server_url)
            app.reports.requeue_unsent()
            app.chat.requeue_unsent()
        except BaseException:
            store.close()
            raise
        return app

    def _connect(self, server_url: str) -> None:
        """Wires the accounts' server seam and the sync engine for `server_url`."""
        from desktop_app.core.sync.wiring import build_engine, build_remote

        # Both keep tokens in the shared credential store (OS keyring; else memory or the opted-in file).
        self.accounts.remote = build_remote(server_url)
        self.sync = build_engine(self.store, server_url, self.credentials, notifications=self.notifications,
                                 current_user=self._current_username)

    def _current_username(self) -> str | None:
        user = self.accounts.current_user
        return user.username if user else None

    @property
    def engine(self) -> Any:
        """The inference engine, loaded on first use (once, even when several threads ask at once)."""
        if self._engine is None:
            with self._engine_lock:
                if self._engine is None:
                    from desktop_app.core.federated import restore_federated_head

                    engine = self._engine_loader()
                    restore_federated_head(self.store, engine)  # predictions name the weights in use
                    self._engine = engine
        return self._engine

    @property
    def engine_loaded(self) -> bool:
        return self._engine is not None

    def federated_client(self) -> FederatedClient:
        """A federated-learning client on this app's store and engine (the engine still loads lazily)."""
        from desktop_app.core.federated import FederatedClient

        return FederatedClient(self.store, lambda: self.engine, clinic=self.settings.clinic_name)

    def close(self) -> None:
        """Releases the server connection and the data-dir lock; safe to call twice."""
        if self._closed:
            return
        self._closed = True
        for client in (getattr(self.accounts.remote, "client", None), getattr(self.sync, "client", None)):
            if client is not None:
                client.close()
        self.store.close()
