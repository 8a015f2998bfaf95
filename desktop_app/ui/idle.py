"""Notices when nobody has touched the app for a while (for automatic sign-out)."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QTimer, Signal
from PySide6.QtWidgets import QApplication

_ACTIVITY = {
    QEvent.Type.KeyPress,
    QEvent.Type.MouseButtonPress,
    QEvent.Type.MouseMove,
    QEvent.Type.Wheel,
    QEvent.Type.TouchBegin,
    QEvent.Type.TabletPress,
}


WARNING_LEAD_MS = 30_000  # how long before signing out the countdown appears


def warning_lead_ms(timeout_ms: int) -> int:
    """30 s, or half the idle time when that is shorter (a 40 s idle time warns after 20 s)."""
    return min(WARNING_LEAD_MS, max(1, int(timeout_ms)) // 2)


class IdleWatcher(QObject):
    """Emits `idle` once after `timeout_ms` without keyboard, mouse or touch input anywhere, and
    `warning(ms_left)` shortly before, so the user can stay; `resumed` when input comes after a
    warning (the countdown is then dismissed)."""

    idle = Signal()
    warning = Signal(int)
    resumed = Signal()

    def __init__(self, timeout_ms: int, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._on_idle)
        self._warn_timer = QTimer(self)
        self._warn_timer.setSingleShot(True)
        self._warn_timer.timeout.connect(self._on_warn)
        self._warned = False
        self.set_timeout_ms(timeout_ms)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)

    def set_timeout_ms(self, timeout_ms: int) -> None:
        self._timer.setInterval(max(1, int(timeout_ms)))
        self._warn_timer.setInterval(max(1, self._timer.interval() - warning_lead_ms(timeout_ms)))
        if self._timer.isActive():
            self.start()

    def timeout_ms(self) -> int:
        return self._timer.interval()

    def ms_left(self) -> int:
        return max(0, self._timer.remainingTime()) if self._timer.isActive() else 0

    def start(self) -> None:
        self._timer.start()
        self._warn_timer.start()
        if self._warned:
            self._warned = False
            self.resumed.emit()

    def stop(self) -> None:
        self._timer.stop()
        self._warn_timer.stop()
        self._warned = False

    def _on_warn(self) -> None:
        self._warned = True
        self.warning.emit(self.ms_left())

    def _on_idle(self) -> None:
        self._warn_timer.stop()
        self._warned = False
        self.idle.emit()

    def is_running(self) -> bool:
        return self._timer.isActive()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() in _ACTIVITY and self._timer.isActive():
            self.start()  # restart the countdown (and dismiss a warning)
        return False

    def detach(self) -> None:
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)
        self.stop()
