"""Brings core service events and sync status onto the UI thread as Qt signals."""

from __future__ import annotations

import logging
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING

import shiboken6
from PySide6.QtCore import QObject, QTimer, Signal

from desktop_app.ui.sync_view import NO_SERVER_TEXT
from desktop_app.ui.workers import run_in_background

if TYPE_CHECKING:
    from desktop_app.core.services import AppServices
    from desktop_app.core.sync.status import SyncStatus

log = logging.getLogger(__name__)


class EventBridge(QObject):
    """Re-emits every core event (`core/events.py`) as `event(topic, data)` on the UI thread.

    Core services call listeners on whatever thread changed the data; a Qt signal emitted from
    there is queued to receivers living on the UI thread, so slots may touch widgets.
    """

    event = Signal(str, dict)

    def __init__(self, services: AppServices, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._unsubscribe: Callable[[], None] | None = services.events.subscribe(self._forward)

    def _forward(self, event) -> None:
        try:
            self.event.emit(event.topic, dict(event.data))
        except RuntimeError:  # the bridge was deleted with its window
            pass

    def close(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None


class SyncStatusSource(QObject):
    """What the status bar shows about sync.

    `updated(status, pending)`: the engine's `SyncStatus` (None without a server) and the changes
    waiting in the outbox, counted off the UI thread. `changed(online, summary, pending,
    last_sync_ms)` says the same in four plain values for screens that show a short summary.
    """

    changed = Signal(bool, str, int, object)
    updated = Signal(object, int)
    _queue_refresh = Signal()

    def __init__(self, services: AppServices, refresh_ms: int = 5000,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.online = False
        self.summary = NO_SERVER_TEXT
        self.pending = 0
        self.last_sync_ms: int | None = None
        self.status: SyncStatus | None = None
        self._busy = False
        self._again = False  # a change arrived while reading: read once more afterwards
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.refresh)
        self._timer.start(refresh_ms)
        self._queue_refresh.connect(self.refresh)
        self._sync = services.sync
        self._listener = None
        if self._sync is not None:
            # The engine reports from its own thread; the queued signal brings it here. The
            # listener holds this object weakly, so the engine never keeps a closed window alive.
            source = weakref.ref(self)

            def listener(_status) -> None:
                alive = source()
                if alive is not None:
                    try:
                        alive._queue_refresh.emit()
                    except RuntimeError:  # deleted with its window
                        pass

            self._listener = listener
            self._sync.subscribe(listener)

    def _read(self) -> tuple[SyncStatus | None, int]:
        pending = len(self.services.store.outbox.pending())
        status = self._sync.status if self._sync is not None else None
        if status is None or not status.server_url:
            return None, pending
        return status, pending

    def refresh(self) -> None:
        if self._busy:
            self._again = True
            return
        self._busy = True
        run_in_background(self._read, on_result=self._apply, on_finished=self._done,
                          owner=self)

    def _done(self) -> None:
        self._busy = False
        if self._again:
            self._again = False
            self.refresh()

    def _apply(self, values: tuple) -> None:
        status, pending = values
        self.status, self.pending = status, pending
        if status is None:
            self.online, self.summary, self.last_sync_ms = False, NO_SERVER_TEXT, None
        else:
            self.online, self.summary = bool(status.online), status.summary()
            self.last_sync_ms = status.last_sync_at
        self.updated.emit(status, pending)
        self.changed.emit(self.online, self.summary, pending, self.last_sync_ms)

    def stop(self) -> None:
        # Qt may already have deleted the timer with its window; the engine's listener is plain
        # Python and is released either way.
        if shiboken6.isValid(self._timer):
            self._timer.stop()
        if self._listener is not None and self._sync is not None:
            self._sync.unsubscribe(self._listener)
        self._listener = None
