"""What the UI reads about sync: online or not, last sync, pending changes, last problem in plain words."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace

from desktop_app.core.counting import count_text


@dataclass(frozen=True)
class SyncStatus:
    """A snapshot; the engine replaces it after every step so readers never see half an update."""

    server_url: str | None = None
    online: bool = False
    syncing: bool = False
    last_sync_at: int | None = None  # Unix ms of the last pass that reached the server
    pending: int = 0  # outbox entries not yet on the server
    last_error: str | None = None  # plain words, None when the last pass went fine
    legacy_server: bool = False
    needs_login: frozenset[str] = frozenset()  # users whose sign-in expired; their changes wait
    scans_downloading: int = 0  # pulled reports whose scan has not arrived yet (retried each pass)

    def summary(self) -> str:
        """One line for a status bar."""
        if not self.server_url:
            return "Working offline (no server configured)"
        if self.syncing:
            return "Syncing…"
        state = "Online" if self.online else "Offline"
        parts = [state]
        if self.pending:
            parts.append(f"{self.pending} change{'s' if self.pending != 1 else ''} waiting")
        if self.scans_downloading:
            parts.append(f"{count_text(self.scans_downloading, 'scan')} still downloading")
        if self.needs_login:
            parts.append("sign in again to sync")
        if self.last_error:
            parts.append(self.last_error)
        return " · ".join(parts)


@dataclass
class SyncReport:
    """What one pass moved, for the log, the CLI and the UI's refresh."""

    sent: dict[str, int] = field(default_factory=dict)  # outbox kind -> entries sent
    adopted: int = 0  # records found already on the server (a lost answer) instead of sent again
    reports_pulled: int = 0  # reports created or changed locally from the server
    messages_pulled: int = 0
    scans_fetched: int = 0  # scans that arrived on a retry
    scans_downloading: int = 0  # scans still missing after this pass
    conflicts: list[str] = field(default_factory=list)  # local report ids
    failed: list[str] = field(default_factory=list)  # plain-words problems with single records
    waiting: int = 0  # entries left in the outbox
    error: str | None = None  # why the pass stopped early, in plain words
    needs_login: list[str] = field(default_factory=list)
    changed_reports: set[str] = field(default_factory=set)
    changed_messages: set[str] = field(default_factory=set)

    @property
    def ok(self) -> bool:
        return self.error is None and not self.needs_login

    def count_sent(self, kind: str) -> None:
        self.sent[kind] = self.sent.get(kind, 0) + 1

    def lines(self) -> list[str]:
        """Human-readable summary, one fact per line."""
        out = [f"sent {n} {kind.replace('_', ' ')}" for kind, n in sorted(self.sent.items())]
        if self.adopted:
            out.append(f"found {count_text(self.adopted, 'record')} already on the server (not sent twice)")
        out.append(f"received {count_text(self.reports_pulled, 'report update')}, "
                   f"{count_text(self.messages_pulled, 'message')}")
        if self.scans_fetched:
            out.append(f"received {count_text(self.scans_fetched, 'scan')} that had not arrived before")
        if self.scans_downloading:
            out.append(f"{count_text(self.scans_downloading, 'scan')} still downloading: tried again at the next sync")
        out += [f"conflict kept on report {rid}" for rid in self.conflicts]
        out += [f"problem: {why}" for why in self.failed]
        out += [f"sign-in expired for {user}: their changes wait" for user in self.needs_login]
        if self.error:
            out.append(f"stopped: {self.error}")
        out.append(f"{count_text(self.waiting, 'change')} still waiting")
        return out


class StatusHolder:
    """Thread-safe home of the current `SyncStatus` with change listeners (plain callables)."""

    def __init__(self, initial: SyncStatus):
        self._status = initial
        self._lock = threading.Lock()
        self._listeners: list = []

    def get(self) -> SyncStatus:
        with self._lock:
            return self._status

    def update(self, **changes) -> SyncStatus:
        with self._lock:
            self._status = replace(self._status, **changes)
            status = self._status
        for listener in list(self._listeners):
            listener(status)
        return status

    def subscribe(self, listener) -> None:
        self._listeners.append(listener)

    def unsubscribe(self, listener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)
