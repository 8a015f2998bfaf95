"""Kiosk mode: full screen, patients only, an operator PIN to leave, and no other way out."""

from __future__ import annotations

from typing import TYPE_CHECKING

import shiboken6
from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.errors import user_message_of
from desktop_app.ui.forms import add_row, make_form
from desktop_app.ui.theme import icon
from desktop_app.ui.widgets.common import button, label
from desktop_app.ui.workers import run_in_background

if TYPE_CHECKING:
    from desktop_app.ui.login import AuthWindow
    from desktop_app.ui.shell import MainWindow

MIN_PIN_LENGTH = 4
PIN_RULES = (f"The PIN needs at least {MIN_PIN_LENGTH} characters (digits or letters); type it "
             "twice. Write it down somewhere safe for clinic staff.")


def _pin_field(name: str) -> QLineEdit:
    field = QLineEdit()
    field.setEchoMode(QLineEdit.EchoMode.Password)
    field.setAccessibleName(name)
    field.setMaxLength(32)
    return field


class SetPinDialog(QDialog):
    """First run of a kiosk: the clinic's operator chooses the PIN that unlocks it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Set the kiosk operator PIN")
        layout = QVBoxLayout(self)
        layout.setSpacing(12)
        layout.addWidget(label(
            "This computer will run as a patient kiosk. Choose a PIN for clinic staff: it is "
            "needed to leave kiosk mode. Patients must not know it.", None, wrap=True))
        self.rules = label(PIN_RULES, "muted", wrap=True)  # said before, not after, a refusal
        layout.addWidget(self.rules)
        form = make_form()
        self.pin = _pin_field("Operator PIN")
        self.pin.setPlaceholderText(f"At least {MIN_PIN_LENGTH} characters")
        self.repeat = _pin_field("Repeat operator PIN")
        add_row(form, "PIN", self.pin)
        add_row(form, "Repeat PIN", self.repeat)
        layout.addLayout(form)
        self.error = label("", "error", wrap=True)
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self._check)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def _check(self) -> None:
        pin = self.pin.text()
        if len(pin) < MIN_PIN_LENGTH:
            self.error.setText(f"Use at least {MIN_PIN_LENGTH} characters.")
        elif pin != self.repeat.text():
            self.error.setText("The two PINs are not the same.")
        else:
            self.accept()

    def value(self) -> str:
        return self.pin.text()


class UnlockDialog(QDialog):
    """Asks for the operator PIN; checks it off the UI thread (the check is deliberately slow)."""

    def __init__(self, settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.setWindowTitle("Operator access")
        layout = QVBoxLayout(self)
        layout.setSpacing(12)
        layout.addWidget(label("Clinic staff only: enter the operator PIN to leave kiosk mode.",
                               None, wrap=True))
        self.pin = _pin_field("Operator PIN")
        layout.addWidget(self.pin)
        self.error = label("", "error", wrap=True)
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.unlock = buttons.addButton("Leave kiosk mode", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.accepted.connect(self._check)
        buttons.rejected.connect(self.reject)
        self.pin.returnPressed.connect(self._check)
        layout.addWidget(buttons)

    def _check(self) -> None:
        self.unlock.setEnabled(False)
        run_in_background(self.settings.check_kiosk_pin, self.pin.text(), owner=self,
                          on_result=self._checked, on_error=self._locked,
                          on_finished=lambda: self.unlock.setEnabled(True))

    def _locked(self, exc: Exception) -> None:
        self.pin.clear()
        self.error.setText(user_message_of(exc, "The PIN could not be checked."))

    def _checked(self, ok: bool) -> None:
        if ok:
            self.accept()
        else:
            self.pin.clear()
            self.error.setText("That PIN is not right.")


class KioskBar(QFrame):
    """The strip along the top of every kiosk screen: clinic name and the operator button."""

    operator_requested = Signal()

    def __init__(self, clinic_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("kioskBar")
        row = QHBoxLayout(self)
        row.setContentsMargins(20, 8, 12, 8)
        title = QLabel(f"{clinic_name or 'TumorPredict'} · Patient kiosk", self)
        title.setStyleSheet("font-weight: 600;")
        row.addWidget(title, 1)
        self.operator = button("Operator", accessible="Operator: leave kiosk mode")
        self.operator.setIcon(icon("lock"))
        self.operator.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.operator.clicked.connect(self.operator_requested.emit)
        row.addWidget(self.operator)


class _KeyGuard(QObject):
    """Swallows the keys that would leave a full-screen window (Alt+F4, Alt+Tab inside Qt, Esc
    out of full screen), and brings the window back when the window manager minimises it or takes
    it out of full screen. The OS's own secure-attention keys need the OS kiosk policy."""

    def __init__(self, window: QWidget, full_screen: bool) -> None:
        super().__init__(window)
        self.guarded, self.full_screen = window, full_screen

    def restore(self) -> None:
        """Back to full screen (or shown normally in a windowed test) and on top of everything."""
        if not shiboken6.isValid(self.guarded) or not self.guarded.isVisible() and not self.guarded.isMinimized():
            return  # thrown away or hidden on purpose (sign-out replaces the window)
        if self.full_screen:
            self.guarded.showFullScreen()
        else:
            self.guarded.showNormal()
        self.guarded.raise_()
        self.guarded.activateWindow()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.WindowStateChange and watched is self.guarded:
            state = self.guarded.windowState()
            if state & Qt.WindowState.WindowMinimized or (
                    self.full_screen and not state & Qt.WindowState.WindowFullScreen):
                QTimer.singleShot(0, self.restore)  # after the window manager has finished
            return False
        if event.type() == QEvent.Type.KeyPress:
            mods = event.modifiers()
            if event.key() == Qt.Key.Key_F4 and mods & Qt.KeyboardModifier.AltModifier:
                return True
            if event.key() == Qt.Key.Key_Q and mods & Qt.KeyboardModifier.ControlModifier:
                return True
        return False


def lock_down(window: MainWindow | AuthWindow, bar: KioskBar, *, full_screen: bool = True) -> None:
    """Full screen, no frame, closing refused; `bar` goes on top of the window's content."""
    window.setWindowFlag(Qt.WindowType.FramelessWindowHint, True)
    window.setWindowFlag(Qt.WindowType.WindowStaysOnTopHint, True)
    window.allow_close = False
    window.top_bar_host.insertWidget(0, bar)
    guard = _KeyGuard(window, full_screen)
    window.installEventFilter(guard)
    if full_screen:
        window.showFullScreen()
    else:
        window.show()
