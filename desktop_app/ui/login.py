"""Role choice, sign-in and registration: the pages before a role's main window."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from desktop_app.ui.forms import (
    CardPage,
    add_row,
    make_form,
    password_field,
    text_field,
    user_message,
)
from desktop_app.ui.password_reset import ForgotPasswordPage, configure_reset_link
from desktop_app.ui.theme import MIN_WINDOW, svg_pixmap
from desktop_app.ui.widgets.common import button, label
from desktop_app.ui.workers import run_in_background

if TYPE_CHECKING:
    from desktop_app.core.services import AppServices
    from desktop_app.core.users import User

log = logging.getLogger(__name__)

ROLE_TEXT = {"patient": "Patient", "doctor": "Doctor"}


class RoleCard(QPushButton):
    """A large button with an icon, a title and one line of explanation."""

    def __init__(self, title: str, text: str, icon_name: str) -> None:
        super().__init__()
        self.setProperty("kind", "roleCard")
        self.setAccessibleName(title)
        self.setAccessibleDescription(text)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setMinimumHeight(130)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        row = QHBoxLayout(self)
        row.setContentsMargins(20, 16, 20, 16)
        row.setSpacing(14)
        picture = QLabel(self)
        picture.setPixmap(svg_pixmap(icon_name, 36, "#1F6FD1"))
        row.addWidget(picture, 0, Qt.AlignmentFlag.AlignTop)
        column = QVBoxLayout()
        column.setSpacing(4)
        heading = label(title, "section")
        body = label(text, "muted", wrap=True)
        column.addWidget(heading)
        column.addWidget(body)
        column.addStretch(1)
        row.addLayout(column, 1)
        for child in (picture, heading, body):
            child.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)


class RolePage(CardPage):
    chosen = Signal(str)

    def __init__(self) -> None:
        super().__init__("Welcome to TumorPredict", "Who is using this computer?", width=560)
        logo = QLabel(self.card)
        logo.setPixmap(svg_pixmap("app", 64))
        self.body.insertWidget(0, logo)
        row = QHBoxLayout()
        row.setSpacing(16)
        self.buttons = {}
        for role, title, text, icon_name in (
            ("patient", "I am a patient", "Upload a scan, see my results, talk to my doctor",
             "patient"),
            ("doctor", "I am a doctor", "Review scans and answer my patients", "stethoscope"),
        ):
            choice = RoleCard(title, text, icon_name)
            choice.clicked.connect(lambda _=False, r=role: self.chosen.emit(r))
            row.addWidget(choice)
            self.buttons[role] = choice
        self.body.addSpacing(8)
        self.body.addLayout(row)
        note = label("Your data stays on this computer and is shared only with your clinic.",
                     "muted", wrap=True)
        self.body.addSpacing(8)
        self.body.addWidget(note)


class LoginPage(CardPage):
    submitted = Signal(str, str)
    register_requested = Signal()
    back_requested = Signal()
    forgot_requested = Signal()

    def __init__(self) -> None:
        super().__init__("Sign in")
        self.notice = label("", "muted", wrap=True)
        self.notice.setVisible(False)
        self.body.addWidget(self.notice)
        form = make_form()
        self.username = text_field("Username")
        self.password = password_field("Password")
        add_row(form, "&Username", self.username)
        add_row(form, "&Password", self.password)
        self.body.addLayout(form)
        self.keep_signed_in = QCheckBox("&Keep me signed in on this computer")
        self.keep_signed_in.setAccessibleDescription(
            "Only on a computer nobody else uses: the next person to open the app would see your patients.")
        self.keep_signed_in.setVisible(False)  # doctors only, off by default
        self.body.addWidget(self.keep_signed_in)
        self.forgot = button("Forgot password?", "link", accessible="Forgot password")
        self.forgot.clicked.connect(self.forgot_requested.emit)
        self.body.addWidget(self.forgot, 0, Qt.AlignmentFlag.AlignRight)
        self.body.addWidget(self.error)
        self.sign_in = button("Sign in", "primary")
        self.sign_in.setDefault(True)
        self.sign_in.clicked.connect(self._submit)
        self.password.returnPressed.connect(self._submit)
        self.username.returnPressed.connect(self.password.setFocus)
        for field in (self.username, self.password):
            field.textEdited.connect(lambda _text: self.show_error(""))
        self.body.addWidget(self.sign_in)
        links = QHBoxLayout()
        self.back = button("← Back", "link", accessible="Back to role choice")
        self.back.clicked.connect(self.back_requested.emit)
        self.create = button("Create an account", "link")
        self.create.clicked.connect(self.register_requested.emit)
        links.addWidget(self.back)
        links.addStretch(1)
        links.addWidget(self.create)
        self.body.addLayout(links)

    def set_role(self, role: str, *, kiosk: bool = False) -> None:
        self.title.setText(f"{ROLE_TEXT[role]} sign in")
        self.keep_signed_in.setChecked(False)
        self.keep_signed_in.setVisible(role == "doctor" and not kiosk)

    def keep_wanted(self) -> bool:
        return not self.keep_signed_in.isHidden() and self.keep_signed_in.isChecked()

    def set_notice(self, text: str) -> None:
        self.notice.setText(text)
        self.notice.setVisible(bool(text))

    def _submit(self) -> None:
        if not self.username.text().strip() or not self.password.text():
            self.show_error("Enter your username and password.")
            return
        self.show_error("")
        self.submitted.emit(self.username.text().strip(), self.password.text())

    def set_busy(self, busy: bool) -> None:
        self.sign_in.setEnabled(not busy)
        self.sign_in.setText("Signing in…" if busy else "Sign in")

    def clear(self) -> None:
        self.username.clear()
        self.password.clear()
        self.show_error("")


class RegisterPage(CardPage):
    submitted = Signal(dict)
    back_requested = Signal()

    def __init__(self) -> None:
        super().__init__("Create an account", width=520)
        self.form = make_form()
        self.full_name = text_field("Full name", "e.g. Anna Kowalska")
        self.username = text_field("Username", "3–32 letters, digits, . _ -")
        self.email = text_field("Email", "name@example.com")
        self.password = password_field("Password")
        self.password.setPlaceholderText("At least 8 characters")
        self.confirm = password_field("Repeat password")
        self.doctor = QComboBox()
        self.doctor.setAccessibleName("Your doctor")
        self.enrollment = password_field("Clinic enrollment code")
        self.specialty = text_field("Specialty", "e.g. Neuroradiology")
        for text, widget in (("Full name", self.full_name), ("Username", self.username),
                             ("Email", self.email), ("Password", self.password),
                             ("Repeat password", self.confirm), ("Your doctor", self.doctor),
                             ("Specialty", self.specialty),
                             ("Enrollment code", self.enrollment)):
            add_row(self.form, text, widget)
        self.body.addLayout(self.form)
        self.doctor_hint = label("", "muted", wrap=True)
        self.body.addWidget(self.doctor_hint)
        self.body.addWidget(self.error)
        self.create = button("Create account", "primary")
        self.create.clicked.connect(self._submit)
        self.watch_fields([self.full_name, self.username, self.email, self.password, self.confirm,
                           self.specialty, self.enrollment], self._submit)
        self.body.addWidget(self.create)
        back = button("← Back to sign in", "link")
        back.clicked.connect(self.back_requested.emit)
        self.body.addWidget(back, 0, Qt.AlignmentFlag.AlignLeft)
        self.role = "patient"

    def configure(self, role: str, doctors: list[User], enrollment_needed: bool,
                  becomes_admin: bool = False) -> None:
        self.role = role
        self.title.setText(f"Create a {ROLE_TEXT[role].lower()} account")
        self.doctor.clear()
        for doc in doctors:
            name = doc.display_name
            extra = " · ".join(x for x in (doc.specialty, doc.clinic) if x)
            self.doctor.addItem(f"{name}" + (f" — {extra}" if extra else ""), doc.username)
        patient = role == "patient"
        self.form.setRowVisible(self.doctor, patient)
        self.form.setRowVisible(self.specialty, not patient)
        self.form.setRowVisible(self.enrollment, not patient and enrollment_needed)
        if patient and not doctors:
            self.doctor_hint.setText("No doctor has an account on this computer yet. You can still "
                                     "register; your clinic will assign a doctor later.")
        elif becomes_admin:
            self.doctor_hint.setText("You are the first doctor on this computer, so you become its "
                                     "administrator: other doctors will need an enrollment code "
                                     "that you set in Profile → Doctor enrollment code.")
        else:
            self.doctor_hint.setText("")
        self.doctor_hint.setVisible(bool(self.doctor_hint.text()))

    def _submit(self) -> None:
        if self.password.text() != self.confirm.text():
            self.show_error("The two passwords are not the same.")
            return
        for field, name in ((self.username, "a username"), (self.email, "your email"),
                            (self.password, "a password")):
            if not field.text().strip():
                self.show_error(f"Please enter {name}.")
                field.setFocus()
                return
        self.show_error("")
        details = {
            "username": self.username.text().strip(),
            "email": self.email.text().strip(),
            "password": self.password.text(),
            "role": self.role,
            "full_name": self.full_name.text().strip(),
        }
        if self.role == "patient":
            details["doctor"] = self.doctor.currentData()
        else:
            details["enrollment_code"] = self.enrollment.text() or None
            if self.specialty.text().strip():
                details["specialty"] = self.specialty.text().strip()
        self.submitted.emit(details)

    def set_busy(self, busy: bool) -> None:
        self.create.setEnabled(not busy)
        self.create.setText("Creating account…" if busy else "Create account")


class AuthWindow(QWidget):
    """Role → sign in / register. Emits `signed_in(user)` once the account is open."""

    signed_in = Signal(object)

    def __init__(self, services: AppServices, *, kiosk: bool = False, notice: str = "") -> None:
        super().__init__()
        self.services, self.kiosk = services, kiosk
        self.setObjectName("loginBackdrop")
        self.setWindowTitle("Sign in — TumorPredict")  # Qt appends the app name unless it ends the title
        self.setMinimumSize(MIN_WINDOW)
        self.resize(1100, 760)
        self.role = "patient"
        self.allow_close = True  # kiosk mode turns this off
        self.pages = QStackedWidget(self)
        self.role_page = RolePage()
        self.login_page = LoginPage()
        self.register_page = RegisterPage()
        self.reset_page = ForgotPasswordPage(services.accounts.remote)
        configure_reset_link(self.login_page.forgot, services.accounts.remote)
        for page in (self.role_page, self.login_page, self.register_page, self.reset_page):
            self.pages.addWidget(page)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        self.top_bar_host = QVBoxLayout()  # the kiosk bar goes here, edge to edge
        layout.addLayout(self.top_bar_host)
        body = QVBoxLayout()
        body.setContentsMargins(24, 24, 24, 24)
        body.addWidget(self.pages, 1)
        layout.addLayout(body, 1)

        self.role_page.chosen.connect(self.choose_role)
        self.login_page.submitted.connect(self._sign_in)
        self.login_page.register_requested.connect(self._open_register)
        self.login_page.back_requested.connect(lambda: self.pages.setCurrentWidget(self.role_page))
        self.register_page.back_requested.connect(lambda: self.pages.setCurrentWidget(self.login_page))
        self.register_page.submitted.connect(self._register)
        self.login_page.forgot_requested.connect(self.open_password_reset)
        self.reset_page.back_requested.connect(lambda: self.pages.setCurrentWidget(self.login_page))
        self.reset_page.password_changed.connect(self._password_reset)
        if kiosk:  # a kiosk serves patients only: no role choice, no way back to it
            self.login_page.back.setVisible(False)
            self.choose_role("patient")
        self.login_page.set_notice(notice)

    def closeEvent(self, event) -> None:  # noqa: N802
        if not self.allow_close:
            event.ignore()
            return
        super().closeEvent(event)

    def choose_role(self, role: str) -> None:
        self.role = role
        self.login_page.set_role(role, kiosk=self.kiosk)
        self.login_page.show_error("")
        self.pages.setCurrentWidget(self.login_page)
        self.login_page.username.setFocus()

    # ----- sign in ---------------------------------------------------------------------
    def _sign_in(self, username: str, password: str) -> None:
        self.login_page.set_busy(True)
        keep = self.login_page.keep_wanted()
        accounts = self.services.accounts

        def sign_in():
            user = accounts.login(username, password)
            accounts.keep_signed_in(keep and user.role == self.role)
            return user

        run_in_background(sign_in, owner=self,
                          on_result=self._signed_in, on_error=self._login_failed,
                          on_finished=lambda: self.login_page.set_busy(False))

    def _signed_in(self, user) -> None:
        if user.role != self.role:
            expected = ROLE_TEXT[self.role].lower()
            self.login_page.show_error(
                f"This is a {user.role} account. Go back and choose “{ROLE_TEXT[user.role]}” "
                f"to sign in with it." if not self.kiosk else
                f"This computer is a patient kiosk; {expected} accounts only."
            )
            run_in_background(self.services.accounts.logout)
            return
        self.login_page.password.clear()
        self.signed_in.emit(user)

    def _login_failed(self, exc: Exception) -> None:
        self.login_page.password.clear()
        self.login_page.show_error(user_message(exc))

    # ----- forgot password -------------------------------------------------------------
    def open_password_reset(self) -> None:
        self.reset_page.start(self.login_page.username.text().strip())
        self.pages.setCurrentWidget(self.reset_page)

    def _password_reset(self, username: str) -> None:
        self.login_page.clear()
        self.login_page.username.setText(username)
        self.login_page.set_notice("Your password has been changed. Sign in with your new password.")
        self.pages.setCurrentWidget(self.login_page)
        self.login_page.password.setFocus()

    # ----- register --------------------------------------------------------------------
    def _open_register(self) -> None:
        def load() -> tuple[list, bool, bool]:
            accounts = self.services.accounts
            doctors = accounts.doctors() if self.role == "patient" else []
            return (doctors, bool(self.services.settings.enrollment_code_configured),
                    self.role == "doctor" and accounts.next_doctor_becomes_admin())

        def show(result: tuple[list, bool, bool]) -> None:
            self.register_page.configure(self.role, *result)
            self.pages.setCurrentWidget(self.register_page)
            self.register_page.full_name.setFocus()

        run_in_background(load, on_result=show, on_error=self._login_failed, owner=self)

    def _register(self, details: dict) -> None:
        self.register_page.set_busy(True)
        run_in_background(lambda: self.services.accounts.register(**details), owner=self,
                          on_result=self.signed_in.emit,
                          on_error=lambda exc: self.register_page.show_error(user_message(exc)),
                          on_finished=lambda: self.register_page.set_busy(False))
