"""Asks the signed-in user for their password again when the server ended their sign-in mid-sync.

Nothing else about the user changes: the window, the open screen and every queued change stay as
they are. Signing in stores a fresh server token, which lets the sync engine send the queue again.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from desktop_app.ui.forms import add_row, make_form, user_message
from desktop_app.ui.theme import ACCENT, svg_pixmap
from desktop_app.ui.widgets.common import button, label
from desktop_app.ui.workers import run_in_background

NO_SERVER_ANSWER = ("The clinic server could not be reached, so your sign-in could not be renewed. "
                    "Your changes are kept on this computer; try again when the connection is back.")


class ReloginDialog(QDialog):
    """Password only; the user name is fixed. Accepted once the server has issued a new sign-in."""

    def __init__(self, accounts, username: str, display_name: str = "",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.accounts, self.username = accounts, username
        self.setWindowTitle("Sign in again — TumorPredict")
        self.setModal(True)
        self.setMinimumWidth(460)
        column = QVBoxLayout(self)
        column.setContentsMargins(28, 24, 28, 22)
        column.setSpacing(12)
        heading = QHBoxLayout()
        heading.setSpacing(10)
        lock = QLabel(self)
        lock.setPixmap(svg_pixmap("lock", 24, ACCENT))
        heading.addWidget(lock)
        heading.addWidget(label("Please sign in again", "section"), 1)
        column.addLayout(heading)
        column.addWidget(label(
            "Your sign-in to the clinic server has expired, so syncing has paused. Everything you "
            "did is saved on this computer and will be sent as soon as you sign in.", "muted",
            wrap=True))
        form = make_form()
        who = f"{display_name} ({username})" if display_name and display_name != username else username
        self.user_label = label(who)
        self.user_label.setAccessibleName("User name")
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setAccessibleName("Password")
        form.addRow(label("Signed in as", "muted"), self.user_label)
        add_row(form, "&Password", self.password)
        column.addLayout(form)
        self.error = label("", "error", wrap=True)
        self.error.setAccessibleName("Problem")
        self.error.setVisible(False)
        column.addWidget(self.error)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.offline_button = button("Work offline", accessible="Work offline for now")
        self.offline_button.setToolTip("Keep working; changes wait on this computer until you sign in.")
        self.offline_button.clicked.connect(self.reject)
        self.sign_in_button = button("Sign in", "primary")
        self.sign_in_button.setDefault(True)
        self.sign_in_button.clicked.connect(self.submit)
        self.password.returnPressed.connect(self.submit)
        buttons.addWidget(self.offline_button)
        buttons.addWidget(self.sign_in_button)
        column.addLayout(buttons)
        self.password.setFocus(Qt.FocusReason.OtherFocusReason)

    def submit(self) -> None:
        password = self.password.text()
        if not password:
            self.show_error("Enter your password.")
            return
        self.show_error("")
        self.set_busy(True)
        run_in_background(self._sign_in, password, owner=self, on_result=self._done,
                          on_error=self._failed, on_finished=lambda: self.set_busy(False))

    def _sign_in(self, password: str) -> bool:
        """True when the server issued a new sign-in (not just this computer's offline check)."""
        self.accounts.login(self.username, password)
        return bool(self.accounts.token(self.username))

    # The answer re-enables the buttons itself: "finished" arrives after it, and a quick user
    # would otherwise click a still-disabled button.
    def _done(self, renewed: bool) -> None:
        self.set_busy(False)
        self.password.clear()
        if renewed:
            self.accept()
        else:
            self.show_error(NO_SERVER_ANSWER)

    def _failed(self, exc: Exception) -> None:
        self.set_busy(False)
        self.password.clear()
        self.show_error(user_message(exc))
        self.password.setFocus()

    def set_busy(self, busy: bool) -> None:
        self.sign_in_button.setEnabled(not busy)
        self.offline_button.setEnabled(not busy)
        self.sign_in_button.setText("Signing in…" if busy else "Sign in")

    def show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.setVisible(bool(text))
