"""What one sync session shares: the store, the client, the durable state and id maps, tokens and notifications.

The engine runs passes over it; pulling and pushing (`pull.py`, `push.py`) use it and never the
engine, so the modules depend one way: engine -> pull/push -> session.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from desktop_app.core.api_client import ApiClient
from desktop_app.core.events import EventBus
from desktop_app.core.settings import Settings
from desktop_app.core.sync.ids import ServerIdIndex
from desktop_app.core.sync.scans import MissingScans
from desktop_app.core.sync.state import SyncState
from desktop_app.core.sync.status import SyncReport
from desktop_app.core.sync.tokens import TokenVault

log = logging.getLogger(__name__)


@dataclass
class SyncPass:
    """What one pass knows about the outbox while it runs."""

    report: SyncReport
    now_ms: int
    unsent_reviews: dict[str, dict[str, Any]] = field(default_factory=dict)  # report id -> latest review payload
    unsent_creates: dict[str, str] = field(default_factory=dict)  # report id -> outbox key
    unsent_messages: dict[str, str] = field(default_factory=dict)  # message id -> outbox key
    blocked: set[str] = field(default_factory=set)  # users whose remaining entries wait
    stop: threading.Event = field(default_factory=threading.Event)  # set by the first lane that fails
    lock: threading.Lock = field(default_factory=threading.Lock)


def _remembered_user(store) -> Callable[[], str | None]:
    """Whom settings/app names signed in: for an engine built without the accounts service."""
    settings = Settings(store, EventBus())  # only read here: its change events would go nowhere
    return lambda: settings.current_user


class SyncSession:
    """One server, one store: the members pulling and pushing share, and the functions they call on them."""

    def __init__(self, store, client: ApiClient, *, copies, vault: TokenVault | None = None, notifications=None,
                 current_user: Callable[[], str | None] | None = None):
        """`copies`: the `copies.CopyFolder` of this store (made by the engine, which keeps this
        module free of the outbox kinds that the folder re-queues reviews through)."""
        self.store = store
        self.client = client
        self.vault = vault or TokenVault(client.base_url)
        self.notifications = notifications
        self._current_user = current_user or _remembered_user(store)
        self.state = SyncState(store.collection("settings"), client.base_url)
        self.report_ids = ServerIdIndex(store.collection("reports"))
        self.message_ids = ServerIdIndex(store.collection("messages"))
        self.copies = copies
        self.scans = MissingScans(store, self.state)

    def now_ms(self) -> int:
        return int(time.time() * 1000)

    def current_user(self) -> str | None:
        return self._current_user()

    def call_as(self, username: str | None, call: Callable[[ApiClient], Any]) -> Any:
        """Runs one client call with `username`'s token (none on a legacy server that needs none)."""
        return call(self.client.with_token(self.vault.get(username) if username else None))

    def learn_server_kind(self) -> None:
        caps = self.client.capabilities
        if caps.legacy:
            self.state.set_server_kind("legacy")
        elif caps.honours_idempotency_keys:
            self.state.set_server_kind("project")

    def assigned_doctor(self, username: str | None) -> str | None:
        return (self.store.collection("users").get(username) or {}).get("doctor") if username else None

    def map_report(self, local_id: str, server_id: str) -> None:
        self._map("reports", self.report_ids, [(local_id, server_id)], {"updated_at": self.now_ms()})

    def map_message(self, local_id: str, server_id: str) -> None:
        self.map_messages([(local_id, server_id)])

    def map_messages(self, pairs: list[tuple[str, str]]) -> None:
        for doc in self._map("messages", self.message_ids, pairs, {"state": "sent"}):
            self.state.add_peer(doc["sender"], doc["receiver"])

    def _map(self, name: str, index: ServerIdIndex, pairs: list[tuple[str, str]], changes: dict) -> list[dict]:
        """Records each (local id, server id) on its local document with one durable write;
        returns the documents that are still here."""
        docs = self.store.collection(name)
        # Pulled before our own answer arrived: the copy is folded into the local original.
        copies = [(local_id, copy) for local_id, server_id in pairs
                  if (copy := index.local_id(server_id)) and copy != local_id]
        folded = self.copies.fold(name, copies, self.now_ms())
        updated = {}
        for local_id, server_id in pairs:
            doc = folded.get(local_id) or docs.get(local_id)
            if doc is not None:
                updated[local_id] = {**doc, "server_id": server_id, **changes}
                index.remember(server_id, local_id)
        docs.put_many(updated)
        self.copies.finish(name, copies)
        return list(updated.values())

    def fold_leftover_copies(self) -> None:
        """Copies a crash left beside their originals (both written, the copy not yet removed)."""
        for name, index in (("reports", self.report_ids), ("messages", self.message_ids)):
            leftovers = index.take_leftover_copies()
            if leftovers:
                docs = self.store.collection(name)
                docs.put_many(self.copies.fold(name, leftovers, self.now_ms()))
                self.copies.finish(name, leftovers)

    def adopt_report(self, ctx: SyncPass, local_id: str, entry_key: str, server_id: str) -> None:
        """Our earlier send did reach the server: take its record instead of sending again."""
        self.map_report(local_id, server_id)
        self._adopted(ctx, entry_key, f"report {local_id} was already on the server as {server_id}")
        ctx.unsent_creates.pop(local_id, None)

    def adopt_message(self, ctx: SyncPass, local_id: str, entry_key: str, server_id: str) -> None:
        self.map_message(local_id, server_id)
        self._adopted(ctx, entry_key, f"message {local_id} was already on the server as {server_id}")
        ctx.unsent_messages.pop(local_id, None)

    def _adopted(self, ctx: SyncPass, entry_key: str, what: str) -> None:
        self.store.outbox.mark_done(entry_key)
        self.state.clear_attempt(entry_key)
        ctx.report.adopted += 1
        log.info("not sent twice: %s", what)

    # ---- notifications -------------------------------------------------------------------

    def notify(self, username: str | None, kind: str, title: str, body: str, ref: str | None) -> None:
        if self.notifications is None or not username:
            return
        if self.store.collection("users").get(username) is None:
            return  # only people who use this device hear about it
        self.notifications.add(username, kind, title, body, ref=ref)

    def notify_reviewed(self, report: dict[str, Any]) -> None:
        # No finding or notes in the text: a notification may show in a tray others can see.
        self.notify(report.get("username"), "report_reviewed", "Your scan has been reviewed",
                    "Your doctor has reviewed your scan. Open the report to read your doctor's notes.",
                    report.get("id"))

    def notify_conflict(self, report: dict[str, Any]) -> None:
        other = report.get("conflict") or {}
        text = (f"This report is now marked {report.get('status')}, but it was also marked "
                f"{other.get('status')} by {other.get('reviewed_by') or 'another device'}. Please check it.")
        # Both doctors hear it (whoever of them uses this device).
        for doctor in {report.get("reviewed_by"), other.get("reviewed_by")} - {None}:
            self.notify(doctor, "sync_problem", "Two reviews of a report disagree", text, report.get("id"))

    def notify_message(self, message: dict[str, Any]) -> None:
        if message.get("receiver") != message.get("sender"):
            self.notify(message.get("receiver"), "new_message", f"New message from {message.get('sender')}",
                        "Open the chat to read it.", message.get("id"))
