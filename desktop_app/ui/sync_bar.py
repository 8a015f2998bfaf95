"""The sync part of the main window's status bar: state pill, last sync, waiting changes, problem, "Sync now"."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QStatusBar, QWidget

from desktop_app.ui.sync_view import SyncView
from desktop_app.ui.theme import ACCENT, icon, set_role
from desktop_app.ui.widgets.common import button, label

SYNC_KEY = "F5"


class SyncStatusWidgets(QWidget):
    """Adds its labels and button to `bar`; `show_view(view)` fills them in.

    `sync_requested` fires on the button (and F5 in the window); when the user's sign-in has
    expired the same button reads "Sign in…" and `sign_in_requested` fires instead.
    """

    sync_requested = Signal()
    sign_in_requested = Signal()

    def __init__(self, bar: QStatusBar) -> None:
        super().__init__(bar)
        self.hide()  # a holder for signals only; the labels live in the bar itself
        self.state = "no_server"
        self.pill = QLabel("", bar)
        self.pill.setAccessibleName("Connection")
        self.pill.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.last_sync = QLabel("", bar)
        self.last_sync.setAccessibleName("Last sync")
        self.pending = QLabel("", bar)
        self.pending.setAccessibleName("Changes waiting to sync")
        self.problem = label("", "error", parent=bar)
        self.problem.setAccessibleName("Sync problem")
        self.problem.setVisible(False)
        self.button = button("Sync now", "link", accessible="Sync now", parent=bar)
        self.button.clicked.connect(self._clicked)
        bar.addWidget(self.pill)
        bar.addWidget(self.last_sync)
        bar.addWidget(self.pending)
        bar.addWidget(self.problem)
        bar.addPermanentWidget(self.button)

    def show_view(self, view: SyncView) -> None:
        self.state = view.state
        self.pill.setText(view.pill)
        set_role(self.pill, view.pill_kind, "pill")
        self.last_sync.setText(view.synced)
        self.pending.setText(view.pending)
        self.problem.setText(view.problem)
        self.problem.setVisible(bool(view.problem))
        for widget in (self.pill, self.problem, self.last_sync, self.pending):
            widget.setToolTip(view.problem_detail)
        self._show_button(view)

    def _show_button(self, view: SyncView) -> None:
        if view.state == "needs_login":
            text, tip = "Sign in…", "Sign in again so your changes can be sent to the clinic server."
            self.button.setIcon(icon("lock", ACCENT))
        elif view.state == "syncing":
            text, tip = "Syncing…", "Sending your changes and fetching news from the clinic server."
        else:
            text, tip = "Sync now", f"Send changes and fetch news from the clinic server now ({SYNC_KEY})."
        if view.state != "needs_login":
            self.button.setIcon(icon("sync", ACCENT))
        if not view.can_sync:
            tip = ("No clinic server is configured on this computer, so everything stays here. "
                   "Your clinic's IT staff can set one up.")
        self.button.setText(text)
        self.button.setAccessibleName(text.rstrip("…"))
        self.button.setToolTip(tip)
        self.button.setEnabled(view.can_sync and view.state != "syncing")
        self.button.setVisible(view.can_sync)  # nothing to sync with: no dead control

    def trigger(self) -> None:
        """The button, or its keyboard shortcut."""
        if self.button.isEnabled():
            self._clicked()

    def _clicked(self) -> None:
        if self.state == "needs_login":
            self.sign_in_requested.emit()
        else:
            self.sync_requested.emit()
