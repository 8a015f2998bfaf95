"""Chat between patients and doctors: queued sending, conversations, unread counts, retry."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from desktop_app.core import events
from desktop_app.core.accounts import AccessDenied, Accounts, normalize_username
from desktop_app.core.errors import ServiceError
from desktop_app.core.sync.outbox_kinds import SendMessage

MAX_MESSAGE_LENGTH = 5000
STATES = ("sending", "sent", "failed")


class ChatError(ServiceError):
    """A message that cannot be sent or retried as asked."""


class Chat:
    def __init__(self, store, bus: events.EventBus, accounts: Accounts, *, clock: Callable[[], float] = time.time):
        self._store = store
        self._docs = store.collection("messages")
        self._bus = bus
        self._accounts = accounts
        self._clock = clock
        self._lock = threading.Lock()  # one writer at a time: sends, retries, read marks
        self._last_stamp_ms = 0

    def send(self, sender: str, receiver: str, text: str) -> dict[str, Any]:
        """Saves the message at once (state "sending") and queues it; the sync engine delivers it."""
        sender, receiver = normalize_username(sender), normalize_username(receiver)
        me = self._accounts.require_user()
        if sender != me.username:
            raise AccessDenied("Messages are sent under the signed-in user's name.")
        text = (text or "").strip()
        if not text:
            raise ChatError("Type a message first.")
        if len(text) > MAX_MESSAGE_LENGTH:
            raise ChatError(f"Messages can be at most {MAX_MESSAGE_LENGTH} characters. Please split it up.")
        if not receiver or receiver == sender:
            raise ChatError("Choose who the message is for.")
        peer = self._accounts.get(receiver)
        if peer is None and self._accounts.remote is None:
            raise ChatError(f"There is no one called “{receiver}” on this computer.")
        if me.is_patient and peer is not None and peer.is_patient:
            raise ChatError("Patients can send messages to doctors only.")
        # Stamping, saving and queueing happen as one step: a second send (another thread, or the
        # same millisecond) is stamped later and queued after, so the conversation and the outbox
        # (which the server stamps in arrival order) both keep the order the messages were sent in.
        with self._lock:
            doc = {"id": uuid.uuid4().hex, "server_id": None, "sender": sender, "receiver": receiver,
                   "message": text, "timestamp": self._next_stamp_ms(), "state": "sending",
                   "read_by": [sender]}
            self._docs.put(doc["id"], doc)
            # A fixed key: `requeue_unsent` can tell whether this message was ever queued.
            SendMessage.queue(self._store.outbox, doc["id"])
        self._bus.emit(events.MESSAGE_SENT, id=doc["id"], sender=sender, receiver=receiver)
        return doc

    def conversation(self, user1: str, user2: str) -> list[dict[str, Any]]:
        """Messages between the two, oldest first; the signed-in user must be one of them."""
        user1, user2 = normalize_username(user1), normalize_username(user2)
        self._check_participant(user1, user2)
        found = self._docs.find(sender=user1, receiver=user2)
        if user1 != user2:
            found += self._docs.find(sender=user2, receiver=user1)
        return sorted(found, key=_order)

    def conversations(self, user: str) -> list[dict[str, Any]]:
        """[{peer, last, unread}] for each person `user` has talked with, most recent first."""
        user = normalize_username(user)
        self._check_participant(user)
        latest: dict[str, dict[str, Any]] = {}
        unread: dict[str, int] = {}
        for doc in self._mine(user):
            if doc.get("sender") == doc.get("receiver"):
                continue
            peer = doc["receiver"] if doc.get("sender") == user else doc.get("sender")
            if peer not in latest or _order(doc) > _order(latest[peer]):
                latest[peer] = doc
            if _unread_by(doc, user):
                unread[peer] = unread.get(peer, 0) + 1
        rows = [{"peer": peer, "last": last, "unread": unread.get(peer, 0)} for peer, last in latest.items()]
        return sorted(rows, key=lambda row: _order(row["last"]), reverse=True)

    def unread_count(self, user: str) -> int:
        user = normalize_username(user)
        self._check_participant(user)
        return sum(1 for doc in self._docs.find(receiver=user) if _unread_by(doc, user))

    def mark_read(self, user: str, peer: str) -> int:
        """Marks every message from `peer` to `user` as read; returns how many changed."""
        user, peer = normalize_username(user), normalize_username(peer)
        self._check_participant(user)
        changed = []
        with self._lock:
            for doc in self._docs.find(sender=peer, receiver=user):
                if _unread_by(doc, user):
                    self._docs.put(doc["id"], {**doc, "read_by": [*doc.get("read_by", []), user]})
                    changed.append(doc["id"])
        if changed:
            self._bus.emit(events.MESSAGES_READ, ids=changed, user=user, peer=peer)
        return len(changed)

    def retry(self, message_id: str) -> dict[str, Any]:
        """Queues a failed message again (same id, so the server never shows it twice)."""
        me = self._accounts.require_user()
        with self._lock:
            doc = self._docs.get(message_id)
            if doc is None:
                raise ChatError("That message is no longer on this computer.")
            if doc.get("sender") != me.username:
                raise AccessDenied("Only the sender can resend a message.")
            if doc.get("state") != "failed":
                raise ChatError("Only a message that failed to send can be sent again.")
            doc = {**doc, "state": "sending"}
            self._docs.put(message_id, doc)
            SendMessage.queue(self._store.outbox, message_id,
                              key=f"{SendMessage.key(message_id)}:retry:{uuid.uuid4().hex}")
        self._bus.emit(events.MESSAGE_UPDATED, id=message_id, state="sending")
        return doc

    def requeue_unsent(self) -> int:
        """Queues messages saved here but never queued (a crash between the two writes); returns how many."""
        outbox = self._store.outbox
        missing = [d["id"] for d in self._docs.find(server_id=None)
                   if d.get("id") and d.get("state") == "sending" and outbox.get(SendMessage.key(d["id"])) is None]
        for message_id in missing:
            SendMessage.queue(outbox, message_id)
        return len(missing)

    def _mine(self, user: str) -> list[dict[str, Any]]:
        return self._docs.find(sender=user) + self._docs.find(receiver=user)

    def _check_participant(self, *users: str) -> None:
        me = self._accounts.require_user()
        if me.username not in users:
            raise AccessDenied("You can only read your own conversations.")

    def _next_stamp_ms(self) -> int:
        """Now, or just after the last message sent here when the clock has not moved on (a coarse
        clock, two sends in one millisecond, the clock set back): stamps only ever increase."""
        self._last_stamp_ms = max(int(self._clock() * 1000), self._last_stamp_ms + 1)
        return self._last_stamp_ms


def _order(doc: dict[str, Any]) -> tuple[int, str]:
    return (int(doc.get("timestamp") or 0), str(doc.get("id") or ""))


def _unread_by(doc: dict[str, Any], user: str) -> bool:
    return doc.get("receiver") == user and user not in (doc.get("read_by") or [])
