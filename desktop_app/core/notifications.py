"""The in-app notification centre: report reviewed, new message, sync problems, per user."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from desktop_app.core import events
from desktop_app.core.accounts import AccessDenied

KINDS = ("report_reviewed", "new_message", "sync_problem", "info")


class Notifications:
    """Notifications are written for any user (a doctor's review notifies the patient) but read only by their owner."""

    def __init__(self, store, bus: events.EventBus, accounts, *, clock: Callable[[], float] = time.time):
        self._docs = store.collection("notifications")
        self._bus = bus
        self._accounts = accounts
        self._clock = clock
        self._lock = threading.Lock()

    def add(self, username: str, kind: str, title: str, body: str, ref: str | None = None) -> dict[str, Any]:
        if kind not in KINDS:
            raise ValueError(f"unknown notification kind {kind!r}")
        doc = {
            "id": uuid.uuid4().hex,
            "username": username,
            "kind": kind,
            "title": title,
            "body": body,
            "ref": ref,
            "created_at": int(self._clock() * 1000),
            "read": False,
        }
        self._docs.put(doc["id"], doc)
        self._bus.emit(events.NOTIFICATION_ADDED, id=doc["id"], username=username, kind=kind)
        return doc

    def repoint(self, old_ref: str, new_ref: str) -> None:
        """Notifications about a record that was folded into another now open that one (sync only)."""
        with self._lock:
            moved = {doc["id"]: {**doc, "ref": new_ref} for doc in self._docs.find(ref=old_ref) if doc.get("id")}
            if moved:
                self._docs.put_many(moved)

    def for_user(self, username: str) -> list[dict[str, Any]]:
        """The user's notifications, newest first (only the signed-in user's own)."""
        self._check_owner(username)
        found = self._docs.find(username=username)
        return sorted(found, key=lambda d: (d.get("created_at", 0), d.get("id", "")), reverse=True)

    def unread_count(self, username: str) -> int:
        return sum(1 for d in self.for_user(username) if not d.get("read"))

    def mark_read(self, notification_id: str) -> None:
        with self._lock:
            doc = self._docs.get(notification_id)
            if doc is None or doc.get("read"):
                return
            self._check_owner(doc.get("username"))
            self._docs.put(notification_id, {**doc, "read": True})
        self._bus.emit(events.NOTIFICATION_READ, ids=[notification_id], username=doc.get("username"))

    def mark_all_read(self, username: str) -> None:
        changed = []
        with self._lock:
            for doc in self.for_user(username):
                if not doc.get("read"):
                    self._docs.put(doc["id"], {**doc, "read": True})
                    changed.append(doc["id"])
        if changed:
            self._bus.emit(events.NOTIFICATION_READ, ids=changed, username=username)

    def subscribe(self, callback: Callable[[events.Event], None]) -> Callable[[], None]:
        """Calls `callback(event)` for every notification event; returns the unsubscribe function."""
        return self._bus.subscribe(callback, prefix="notification.")

    def _check_owner(self, username: str | None) -> None:
        user = self._accounts.require_user()
        if user.username != username:
            raise AccessDenied("These notifications belong to another account.")
