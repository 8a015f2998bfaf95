"""Forgot password: ask the clinic server for a one-time code by email, then set a new password with it.

Both calls go to the server in the background (`accounts.remote`, see core/sync/remote.py). The
server answers the same whether or not the user exists, so the page never says which is true.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout

from desktop_app.core.api_client import RequestRejected, ServerFailed, ServerUnreachable
from desktop_app.core.users import AccountError, check_password
from desktop_app.ui.forms import (
    CardPage,
    add_row,
    make_form,
    password_field,
    text_field,
    user_message,
)
from desktop_app.ui.widgets.common import button
from desktop_app.ui.workers import run_in_background

NO_SERVER_TIP = ("Resetting a password needs the clinic server, and none is configured on this "
                 "computer. Ask your clinic's IT staff or your doctor to reset it for you.")
STEP_ONE = ("Enter the user name you sign in with. The clinic server will email a 6-digit code "
            "to the address on file for that account.")
WRONG_CODE = ("That code is not correct or has expired. Use the newest code from your email, or "
              "send a new one.")


def reset_problem(exc: Exception) -> str:
    """What went wrong with a reset call, in words a patient or clinician can act on."""
    if isinstance(exc, ServerUnreachable):
        return ("The clinic server cannot be reached right now, so the password cannot be reset. "
                "Check the network connection and try again.")
    if isinstance(exc, ServerFailed):
        return "The clinic server had a problem. Please try again in a moment."
    if isinstance(exc, RequestRejected) and exc.code == "invalid_otp":
        return WRONG_CODE
    if isinstance(exc, RequestRejected) and exc.code == "weak_password":
        return "The server did not accept this password: choose a longer one."
    return user_message(exc)


class ForgotPasswordPage(CardPage):
    """Step 1: user name → "Send code". Step 2: code, new password twice → "Set new password"."""

    back_requested = Signal()
    password_changed = Signal(str)  # the user name, to pre-fill the sign-in page

    def __init__(self, remote=None) -> None:
        super().__init__("Reset your password", STEP_ONE, width=500)
        self.remote = remote
        self.requested_for = ""
        self.form = make_form()
        self.username = text_field("Username", "The name you sign in with")
        self.code = text_field("Code from the email", "6 digits")
        self.code.setMaxLength(12)
        self.new_password = password_field("New password")
        self.new_password.setPlaceholderText("At least 8 characters")
        self.confirm = password_field("Repeat new password")
        add_row(self.form, "&Username", self.username)
        add_row(self.form, "&Code", self.code)
        add_row(self.form, "&New password", self.new_password)
        add_row(self.form, "&Repeat password", self.confirm)
        self.body.addLayout(self.form)
        self.send = button("Send code", "primary")
        self.send.clicked.connect(self.request_code)
        self.username.returnPressed.connect(self.request_code)
        self.body.addWidget(self.send)
        self.body.addWidget(self.error)
        self.save = button("Set new password", "primary")
        self.save.clicked.connect(self.reset_password)
        self.confirm.returnPressed.connect(self.reset_password)
        self.body.addWidget(self.save)
        links = QHBoxLayout()
        back = button("← Back to sign in", "link")
        back.clicked.connect(self.back_requested.emit)
        self.resend = button("Send a new code", "link")
        self.resend.clicked.connect(self.request_code)
        links.addWidget(back)
        links.addStretch(1)
        links.addWidget(self.resend)
        self.body.addLayout(links)
        self.start("")

    # ----- steps -----------------------------------------------------------------------
    def start(self, username: str) -> None:
        """Back to step 1, with the name typed on the sign-in page (if any)."""
        self.requested_for = ""
        self.username.setText(username)
        for field in (self.code, self.new_password, self.confirm):
            field.clear()
        self.show_error("")
        self.subtitle.setText(STEP_ONE)
        self._show_step(1)
        self.username.setFocus()

    def _show_step(self, step: int) -> None:
        self.step = step
        for field in (self.code, self.new_password, self.confirm):
            self.form.setRowVisible(field, step == 2)
        self.save.setVisible(step == 2)
        self.resend.setVisible(step == 2)
        self.send.setVisible(step == 1)
        self.username.setEnabled(step == 1)  # "Back to sign in" starts again with another name

    def request_code(self) -> None:
        username = self.username.text().strip()
        if not username:
            self.show_error("Enter your user name.")
            return
        if "@" in username:
            self.show_error("Enter the user name you sign in with rather than your email address; "
                            "the code is sent to the email on file for it.")
            return
        if self.remote is None:
            self.show_error(NO_SERVER_TIP)
            return
        self.show_error("")
        self._busy(self.send, "Sending…")
        self._busy(self.resend, "Sending…")
        run_in_background(self.remote.request_password_reset, username, owner=self,
                          on_result=lambda _answer: self._code_sent(username),
                          on_error=self._request_failed, on_finished=self._idle)

    # Each answer re-enables the buttons itself ("finished" arrives after it): a quick user must
    # never meet a still-disabled button next to the message that asks them to try again.
    def _request_failed(self, exc: Exception) -> None:
        self._idle()
        self.show_error(reset_problem(exc))

    def _code_sent(self, username: str) -> None:
        self._idle()
        self.requested_for = username
        self.subtitle.setText(
            f"If “{username}” has an account on the clinic server, a 6-digit code is on its way "
            "to its email address. It works for a few minutes: enter it below with your new "
            "password.")
        self._show_step(2)
        self.code.clear()
        self.code.setFocus()

    def reset_password(self) -> None:
        code = "".join(self.code.text().split())
        if not code.isdigit():
            self.show_error("Enter the code from the email: digits only.")
            self.code.setFocus()
            return
        new = self.new_password.text()
        try:
            check_password(new)  # the same rule as registration and the profile screens
        except AccountError as exc:
            self.show_error(user_message(exc))
            self.new_password.setFocus()
            return
        if new != self.confirm.text():
            self.show_error("The two passwords are not the same.")
            self.confirm.clear()
            self.confirm.setFocus()
            return
        self.show_error("")
        self._busy(self.save, "Saving…")
        username = self.requested_for
        run_in_background(self.remote.reset_password, username, code, new, owner=self,
                          on_result=lambda _answer: self._changed(username),
                          on_error=self._reset_failed, on_finished=self._idle)

    def _reset_failed(self, exc: Exception) -> None:
        self._idle()
        self.show_error(reset_problem(exc))
        if isinstance(exc, RequestRejected) and exc.code == "invalid_otp":
            self.code.selectAll()
            self.code.setFocus()

    def _changed(self, username: str) -> None:
        for field in (self.code, self.new_password, self.confirm):
            field.clear()
        self.password_changed.emit(username)

    # ----- busy state ------------------------------------------------------------------
    def _busy(self, widget, text: str) -> None:
        widget.setEnabled(False)
        widget.setText(text)

    def _idle(self) -> None:
        for widget, text in ((self.send, "Send code"), (self.resend, "Send a new code"),
                             (self.save, "Set new password")):
            widget.setEnabled(True)
            widget.setText(text)


def configure_reset_link(link, remote) -> None:
    """The sign-in page's "Forgot password?": usable with a server, else disabled with the reason."""
    link.setEnabled(remote is not None)
    link.setToolTip("" if remote is not None else NO_SERVER_TIP)
    link.setAccessibleDescription("" if remote is not None else NO_SERVER_TIP)
    link.setCursor(Qt.CursorShape.PointingHandCursor if remote is not None
                   else Qt.CursorShape.ArrowCursor)
