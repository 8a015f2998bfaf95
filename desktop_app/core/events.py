"""A tiny thread-safe observer: services announce changes, the UI (or anything else) listens."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)

# Topics the core services emit. A listener may subscribe to a whole area with its prefix
# ("report." gets every report event).
ACCOUNT_REGISTERED = "account.registered"
ACCOUNT_SIGNED_IN = "account.signed_in"
ACCOUNT_SIGNED_OUT = "account.signed_out"
ACCOUNT_UPDATED = "account.updated"
REPORT_CREATED = "report.created"
REPORT_REVIEWED = "report.reviewed"
REPORT_DRAFT_SAVED = "report.draft_saved"
MESSAGE_SENT = "message.sent"
MESSAGE_UPDATED = "message.updated"
MESSAGES_READ = "message.read"
NOTIFICATION_ADDED = "notification.added"
NOTIFICATION_READ = "notification.read"
SETTINGS_CHANGED = "settings.changed"


@dataclass(frozen=True)
class Event:
    topic: str
    data: dict[str, Any] = field(default_factory=dict)


Listener = Callable[[Event], None]


class EventBus:
    """Calls listeners synchronously on the emitting thread; a Qt listener re-posts to its own thread."""

    def __init__(self) -> None:
        self._listeners: list[tuple[str, Listener]] = []
        self._lock = threading.Lock()

    def subscribe(self, callback: Listener, prefix: str = "") -> Callable[[], None]:
        """Registers `callback` for topics starting with `prefix`; returns a function that unsubscribes."""
        entry = (prefix, callback)
        with self._lock:
            self._listeners.append(entry)

        def unsubscribe() -> None:
            with self._lock:
                if entry in self._listeners:
                    self._listeners.remove(entry)

        return unsubscribe

    def emit(self, topic: str, **data: Any) -> None:
        event = Event(topic, data)
        with self._lock:
            listeners = [cb for prefix, cb in self._listeners if topic.startswith(prefix)]
        # Called outside the lock so a listener may subscribe, unsubscribe or emit in turn.
        for callback in listeners:
            try:
                callback(event)
            except Exception:  # a broken listener must not undo the change that was already saved
                log.exception("listener %r failed on %s", callback, topic)
