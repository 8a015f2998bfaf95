"""The doctor's profile: name, specialty, clinic, contact details, password, sign-out and, for
this computer's administrator, the doctor enrollment code."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFormLayout, QHBoxLayout, QLineEdit, QWidget

from desktop_app.core.errors import user_message_of
from desktop_app.ui.doctor.enrollment_card import EnrollmentCodeCard
from desktop_app.ui.widgets.common import Card, Screen, button, label
from desktop_app.ui.workers import run_in_background

if TYPE_CHECKING:
    from desktop_app.core.services import AppServices

MIN_PASSWORD = 8


def _line(name: str, *, password: bool = False) -> QLineEdit:
    edit = QLineEdit()
    edit.setAccessibleName(name)
    if password:
        edit.setEchoMode(QLineEdit.EchoMode.Password)
    return edit


class DoctorProfileScreen(Screen):
    """Details are saved with Ctrl+S-free buttons; every write runs off the UI thread."""

    logout_requested = Signal()
    profile_saved = Signal(object)  # the updated accounts.User

    def __init__(self, services: AppServices, parent: QWidget | None = None) -> None:
        super().__init__("Profile", "How patients and colleagues see you.", parent)
        self.services = services
        self.logout_button = button("Sign out", "danger", accessible="Sign out")
        self.logout_button.clicked.connect(self.logout_requested.emit)
        self.header_actions.addWidget(self.logout_button)

        details = Card("Your details", self)
        form = QFormLayout()
        form.setSpacing(10)
        self.full_name = _line("Full name")
        self.specialty = _line("Specialty")
        self.clinic = _line("Clinic")
        self.email = _line("Email")
        self.phone = _line("Phone")
        self.username_label = label("", "muted")
        form.addRow("Username", self.username_label)
        for text, edit in (("&Full name", self.full_name), ("&Specialty", self.specialty),
                           ("&Clinic", self.clinic), ("&Email", self.email),
                           ("P&hone", self.phone)):
            form.addRow(text, edit)
        details.body.addLayout(form)
        self.save_button = button("Save details", "primary")
        self.save_button.clicked.connect(self.save_details)
        self.details_message = label("", "muted", wrap=True)
        details.body.addWidget(self.save_button, 0, Qt.AlignmentFlag.AlignLeft)
        details.body.addWidget(self.details_message)
        details.body.addStretch(1)

        password = Card("Change password", self)
        password_form = QFormLayout()
        password_form.setSpacing(10)
        # Labels above the fields: beside them, the narrow card left 100-pixel fields at 1100 px.
        password_form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapAllRows)
        self.old_password = _line("Current password", password=True)
        self.new_password = _line("New password", password=True)
        self.confirm_password = _line("Repeat new password", password=True)
        password_form.addRow("C&urrent password", self.old_password)
        password_form.addRow("&New password", self.new_password)
        password_form.addRow("&Repeat new password", self.confirm_password)
        password.body.addLayout(password_form)
        self.password_button = button("Change password")
        self.password_button.clicked.connect(self.change_password)
        self.confirm_password.returnPressed.connect(self.change_password)
        self.password_message = label("", "muted", wrap=True)
        password.body.addWidget(self.password_button, 0, Qt.AlignmentFlag.AlignLeft)
        password.body.addWidget(self.password_message)
        password.body.addStretch(1)
        cards = QHBoxLayout()
        cards.setSpacing(16)
        cards.addWidget(details, 3)
        cards.addWidget(password, 2)
        self.content.addLayout(cards)
        user = services.accounts.current_user
        self.enrollment: EnrollmentCodeCard | None = None
        if user is not None and user.is_admin:
            self.enrollment = EnrollmentCodeCard(services, self)
            self.content.addWidget(self.enrollment)
        self.content.addStretch(1)
        self.refresh()

    def refresh(self) -> None:
        user = self.services.accounts.current_user
        if user is None:
            return
        self.username_label.setText(user.username)
        for edit, value in ((self.full_name, user.full_name), (self.specialty, user.specialty),
                            (self.clinic, user.clinic), (self.email, user.email),
                            (self.phone, user.phone)):
            edit.setText(value or "")

    def save_details(self) -> None:
        fields = {"full_name": self.full_name.text(), "specialty": self.specialty.text(),
                  "clinic": self.clinic.text(), "email": self.email.text(),
                  "phone": self.phone.text()}
        self.save_button.setEnabled(False)
        self.details_message.setText("Saving…")
        run_in_background(self.services.accounts.update_profile, **fields,
                          on_result=self._saved, on_error=self._details_failed,
                          on_finished=lambda: self.save_button.setEnabled(True), owner=self)

    def _saved(self, user) -> None:
        self.details_message.setText("Details saved.")
        self.profile_saved.emit(user)

    def _details_failed(self, exc: Exception) -> None:
        self.details_message.setText(user_message_of(
            exc, "Your details could not be saved. Please try again."))

    def change_password(self) -> None:
        old, new = self.old_password.text(), self.new_password.text()
        if not old or not new:
            self.password_message.setText("Type your current password and a new one.")
            return
        if new != self.confirm_password.text():
            self.password_message.setText("The two new passwords are not the same.")
            self.confirm_password.setFocus()
            return
        if len(new) < MIN_PASSWORD:
            self.password_message.setText(f"Use at least {MIN_PASSWORD} characters.")
            return
        self.password_button.setEnabled(False)
        self.password_message.setText("Changing password…")
        run_in_background(self.services.accounts.change_password, old, new,
                          on_result=lambda _none: self._password_changed(),
                          on_error=self._password_failed,
                          on_finished=lambda: self.password_button.setEnabled(True), owner=self)

    def _password_changed(self) -> None:
        for edit in (self.old_password, self.new_password, self.confirm_password):
            edit.clear()
        self.password_message.setText("Password changed.")

    def _password_failed(self, exc: Exception) -> None:
        self.password_message.setText(user_message_of(
            exc, "The password could not be changed. Please try again."))
