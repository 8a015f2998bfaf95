"""Profile → Doctor enrollment code: where this computer's administrator sets the code that any
further doctor needs to register here (the first doctor on a fresh install is the administrator)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFormLayout, QHBoxLayout, QLineEdit, QWidget

from desktop_app.core.errors import user_message_of
from desktop_app.ui.widgets.common import Card, button, label
from desktop_app.ui.workers import run_in_background

if TYPE_CHECKING:
    from desktop_app.core.services import AppServices

MIN_CODE = 6  # the service's own minimum; checked here too so the message comes at once


def enrollment_state_text(configured: bool) -> str:
    if configured:
        return "A code is set. New doctors type it when they create their account on this computer."
    return ("No code is set yet, so no other doctor can create an account on this computer. "
            "Set one and give it to your colleagues in person.")


class EnrollmentCodeCard(Card):
    """Set, replace or remove the doctor enrollment code (administrators only; the service checks)."""

    changed = Signal(bool)  # True when a code is now set

    def __init__(self, services: AppServices, parent: QWidget | None = None) -> None:
        super().__init__("Doctor enrollment code", parent)
        self.services = services
        self.setAccessibleName("Doctor enrollment code")
        intro = label("You are this computer's administrator (the first doctor registered here).",
                      wrap=True)
        self.body.addWidget(intro)
        self.state = label("", "muted", wrap=True)
        self.body.addWidget(self.state)
        form = QFormLayout()
        form.setSpacing(10)
        self.code = QLineEdit(self)
        self.code.setEchoMode(QLineEdit.EchoMode.Password)
        self.code.setAccessibleName("New enrollment code")
        self.repeat = QLineEdit(self)
        self.repeat.setEchoMode(QLineEdit.EchoMode.Password)
        self.repeat.setAccessibleName("Repeat the enrollment code")
        form.addRow("New &code", self.code)
        form.addRow("Repea&t code", self.repeat)
        self.body.addLayout(form)
        row = QHBoxLayout()
        self.set_button = button("Set code", "primary", accessible="Set the enrollment code")
        self.set_button.clicked.connect(self.set_code)
        self.repeat.returnPressed.connect(self.set_code)
        self.remove_button = button("Remove code", accessible="Remove the enrollment code")
        self.remove_button.clicked.connect(lambda: self._write(None, "The code was removed."))
        row.addWidget(self.set_button)
        row.addWidget(self.remove_button)
        row.addStretch(1)
        self.body.addLayout(row)
        self.message = label("", "muted", wrap=True)
        self.body.addWidget(self.message)
        self._show_state()

    def _show_state(self) -> None:
        configured = bool(self.services.settings.enrollment_code_configured)
        self.state.setText(enrollment_state_text(configured))
        self.remove_button.setEnabled(configured)

    def set_code(self) -> None:
        code = self.code.text().strip()
        if len(code) < MIN_CODE:
            self.message.setText(f"Use at least {MIN_CODE} characters.")
            self.code.setFocus()
            return
        if code != self.repeat.text().strip():
            self.message.setText("The two codes are not the same.")
            self.repeat.setFocus()
            return
        self._write(code, "The code was set. Give it to new doctors in person, not by email.")

    def _write(self, code: str | None, done_text: str) -> None:
        self.set_button.setEnabled(False)
        self.message.setText("Saving…")
        run_in_background(self.services.accounts.set_enrollment_code, code,
                          on_result=lambda _none: self._written(done_text),
                          on_error=self._failed,
                          on_finished=lambda: self.set_button.setEnabled(True), owner=self)

    def _written(self, text: str) -> None:
        self.code.clear()
        self.repeat.clear()
        self.message.setText(text)
        self._show_state()
        self.changed.emit(bool(self.services.settings.enrollment_code_configured))

    def _failed(self, exc: Exception) -> None:
        self.message.setText(user_message_of(exc, "The code could not be saved. Please try again."))

    def focus_code(self) -> None:
        self.code.setFocus(Qt.FocusReason.OtherFocusReason)
