"""The countdown before an idle sign-out: says when and why, and lets the user stay signed in."""

from __future__ import annotations

import math

from PySide6.QtCore import QElapsedTimer, Qt, QTimer
from PySide6.QtWidgets import QDialog, QHBoxLayout, QVBoxLayout, QWidget

from desktop_app.ui.widgets.common import button, label


def countdown_text(seconds: int) -> str:
    unit = "second" if seconds == 1 else "seconds"
    return (f"You will be signed out in {seconds} {unit} to protect your privacy, because nobody "
            "has used this computer for a while.")


class IdleWarning(QDialog):
    """Non-blocking: any touch, key or mouse movement keeps the user signed in (the idle watcher
    sees it and the owner closes this); so does the button."""

    def __init__(self, ms_left: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Still there?")
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.setMinimumWidth(420)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.setSpacing(14)
        layout.addWidget(label("Are you still there?", "section"))
        self.message = label("", wrap=True)
        self.message.setAccessibleName("Sign-out countdown")
        layout.addWidget(self.message)
        row = QHBoxLayout()
        row.addStretch(1)
        self.stay = button("Stay signed in", "primary")
        self.stay.setDefault(True)
        self.stay.clicked.connect(self.accept)
        row.addWidget(self.stay)
        layout.addLayout(row)
        self._ends_in_ms = max(0, int(ms_left))
        self._clock = QElapsedTimer()
        self._clock.start()
        self._tick = QTimer(self)
        self._tick.setInterval(250)
        self._tick.timeout.connect(self._update)
        self._tick.start()
        self._update()

    def seconds_left(self) -> int:
        return max(0, math.ceil((self._ends_in_ms - self._clock.elapsed()) / 1000))

    def _update(self) -> None:
        self.message.setText(countdown_text(self.seconds_left()))

    def done(self, result: int) -> None:  # noqa: D401 (Qt's name)
        self._tick.stop()
        super().done(result)
