"""Debounced saving of the doctor's notes draft, so typing survives a crash or power cut."""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, Signal

from desktop_app.core.errors import user_message_of
from desktop_app.ui.workers import run_in_background, write_lane

log = logging.getLogger(__name__)

DRAFT_DEBOUNCE_MS = 700  # long enough to skip most keystrokes, short enough to lose at most a word


class DraftSaver(QObject):
    """Writes `save(report_id, text)` on the ordered write lane after typing pauses."""

    saved = Signal(str)  # report id
    failed = Signal(str)  # plain-words reason

    def __init__(self, save: Callable[[str, str], object], parent: QObject | None = None,
                 delay_ms: int = DRAFT_DEBOUNCE_MS) -> None:
        super().__init__(parent)
        self._save = save
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(delay_ms)
        self._timer.timeout.connect(self.flush)
        self._pending: tuple[str, str] | None = None

    def schedule(self, report_id: str, text: str) -> None:
        """Remember the latest text; it is written once typing pauses."""
        if self._pending and self._pending[0] != report_id:
            self.flush()  # never let one report's draft wait behind another's
        self._pending = (report_id, text)
        self._timer.start()

    def has_pending(self) -> bool:
        return self._pending is not None

    def cancel(self) -> None:
        self._timer.stop()
        self._pending = None

    def flush(self) -> None:
        """Write the waiting draft now (on the write lane)."""
        self._timer.stop()
        if self._pending is None:
            return
        report_id, text = self._pending
        self._pending = None
        run_in_background(
            self._save, report_id, text, pool=write_lane(), owner=self,
            on_result=lambda _value: self.saved.emit(report_id),
            on_error=self._on_error,
        )

    def _on_error(self, exc: Exception) -> None:
        log.warning("could not save the notes draft: %s", exc)
        self.failed.emit(user_message_of(
            exc, "Your notes could not be saved on this computer. Keep this window open."))
