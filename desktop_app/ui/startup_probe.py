"""Start-up measurement: quit as soon as the first real window (not the splash) has painted.

`tumorpredict --exit-after-first-paint` starts the app exactly as usual, prints one marker line
once the sign-in window (or a signed-in user's main window) is on screen, and quits.
benchmarks/bench_startup.py times the process from launch to that line.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QSplashScreen, QWidget

FIRST_PAINT_MARKER = "tumorpredict: first window painted:"


class _FirstPaintWatcher(QObject):
    """Application-wide event filter that waits for a paint of a visible, non-splash window."""

    def __init__(self, app: QApplication) -> None:
        super().__init__(app)
        self.app = app
        self.seen = False

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 (Qt's name)
        if (not self.seen and event.type() == QEvent.Type.Paint and isinstance(watched, QWidget)
                and not isinstance(watched.window(), QSplashScreen)):
            self.seen = True
            # The marker goes out on the next loop turn: the whole window has painted by then.
            QTimer.singleShot(0, lambda: self._report(watched.window()))
        return False

    def _report(self, window: QWidget) -> None:
        self.app.removeEventFilter(self)
        print(f"{FIRST_PAINT_MARKER} {type(window).__name__}", flush=True)
        # exit(), not quit(): quit() first asks every window to close, and a kiosk window refuses.
        self.app.exit(0)


def exit_after_first_paint() -> None:
    """Creates the app's QApplication (as run_app would) and arms the one-shot watcher."""
    from desktop_app.ui.app import ensure_application

    app = ensure_application()
    app.installEventFilter(_FirstPaintWatcher(app))
