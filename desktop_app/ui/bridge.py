"""Brings core service events and sync status onto the UI thread as Qt signals."""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, QTimer, Signal

from desktop_app.ui.workers import run_in_background

log = logging.getLogger(__name__)

NO_SERVER_TEXT = "Offline — no server configured"


class EventBridge(QObject):
    """Re-emits every core event (`core/events.py`) as `event(topic, data)` on the UI thread.

    Core services call listeners on whatever thread changed the data; a Qt signal emitted from
    there is queued to receivers living on the UI thread, so slots may touch widgets.
    """

    event = Signal(str, dict)

    def __init__(self, services, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._unsubscribe = None
        bus = getattr(services, "bus", None) or getattr(services, "events", None)
        if bus is not None and hasattr(bus, "subscribe"):
            self._unsubscribe = bus.subscribe(self._forward)

    def _forward(self, event) -> None:
        try:
            self.event.emit(event.topic, dict(event.data))
        except RuntimeError:  # the bridge was deleted with its window
            pass

    def close(self) -> None:
        if callable(self._unsubscribe):
            self._unsubscribe()
            self._unsubscribe = None


class SyncStatusSource(QObject):
    """What the status bar shows about sync: `changed(online, summary, pending, last_sync_ms)`.

    Reads the sync engine's status holder when one is configured; without a server it reports
    offline and still counts the changes waiting in the outbox (counted off the UI thread).
    """

    changed = Signal(bool, str, int, object)

    def __init__(self, services, refresh_ms: int = 5000, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.online = False
        self.summary = NO_SERVER_TEXT
        self.pending = 0
        self.last_sync_ms: int | None = None
        self._busy = False
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.refresh)
        self._timer.start(refresh_ms)
        self._queue_refresh.connect(self.refresh)
        sync = getattr(services, "sync", None)
        if sync is not None and hasattr(sync, "subscribe"):
            # The engine reports from its own thread; the queued signal brings it here.
            sync.subscribe(lambda _status: self._emit_queued())

    _queue_refresh = Signal()

    def _emit_queued(self) -> None:
        try:
            self._queue_refresh.emit()
        except RuntimeError:  # this source was deleted with its window
            pass

    def _read(self) -> tuple[bool, str, int, int | None]:
        pending = len(self.services.store.outbox.pending())
        sync = getattr(self.services, "sync", None)
        status = getattr(sync, "status", None)
        if callable(getattr(status, "get", None)):  # a StatusHolder rather than a snapshot
            status = status.get()
        if status is None or not getattr(status, "server_url", None):
            return False, NO_SERVER_TEXT, pending, None
        return bool(status.online), status.summary(), pending, status.last_sync_at

    def refresh(self) -> None:
        if self._busy:
            return
        self._busy = True
        run_in_background(self._read, on_result=self._apply, on_finished=self._done,
                          owner=self)

    def _done(self) -> None:
        self._busy = False

    def _apply(self, values: tuple) -> None:
        self.online, self.summary, self.pending, self.last_sync_ms = values
        self.changed.emit(*values)

    def stop(self) -> None:
        self._timer.stop()
