"""Kiosk mode: patients only, idle sign-out leaves nothing of the last patient, PIN to leave."""

from __future__ import annotations

from pathlib import Path

import pytest
import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel, QLineEdit, QPlainTextEdit

from desktop_app.ui.kiosk import UnlockDialog
from desktop_app.ui.login import AuthWindow
from desktop_app.ui.patient.window import PatientWindow

from .conftest import PASSWORD, settle


def _visible_text() -> str:
    """Every piece of text on any visible top-level window: labels, fields, list rows."""
    parts = []
    for top in QApplication.topLevelWidgets():
        if not top.isVisible():
            continue
        for widget in top.findChildren(QLabel):
            parts.append(widget.text())
        for widget in top.findChildren(QLineEdit):
            parts.append(widget.text())
        for widget in top.findChildren(QPlainTextEdit):
            parts.append(widget.toPlainText())
        parts.append(top.windowTitle())
    return "\n".join(parts)


def _sign_in(qtbot, controller, username: str) -> PatientWindow:
    auth: AuthWindow = controller.window
    qtbot.keyClicks(auth.login_page.username, username)
    qtbot.keyClicks(auth.login_page.password, PASSWORD)
    qtbot.keyClick(auth.login_page.password, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: isinstance(controller.window, PatientWindow), timeout=10000)
    return controller.window


@pytest.fixture
def kiosk_services(services, patient, tmp_path):
    services.settings.set_kiosk_pin("2468")
    import_dir = tmp_path / "import"
    import_dir.mkdir()
    services.settings.set("kiosk", {**services.settings.get("kiosk"), "import_dir": str(import_dir)})
    services.chat.send("anna", "dr.lee", "Private question about my headaches")
    services.notifications.add("anna", "info", "Anna's appointment", "Tuesday 10:00")
    return services


def test_kiosk_starts_signed_out_for_patients_only(qtbot, kiosk_services, make_controller):
    controller = make_controller(kiosk=True)  # anna was still signed in: a kiosk never resumes
    auth = controller.window
    assert isinstance(auth, AuthWindow)
    assert auth.pages.currentWidget() is auth.login_page
    assert not auth.login_page.back.isVisible()  # no way to the doctor door
    settle(qtbot)
    assert kiosk_services.accounts.current_user is None


def test_idle_logout_leaves_nothing_of_the_previous_patient(qtbot, kiosk_services, make_controller):
    controller = make_controller(kiosk=True)
    window = _sign_in(qtbot, controller, "anna")
    for key in ("dashboard", "chat", "notifications", "my_doctor"):
        window.navigate(key)
        settle(qtbot)
    chat = window.screen("chat")
    qtbot.waitUntil(lambda: chat.panel.view.model.rowCount() == 1, timeout=5000)
    qtbot.keyClicks(chat.panel.view.input, "half-typed draft")
    assert "Anna" in _visible_text()

    controller.idle.set_timeout_ms(200)
    controller.idle.start()
    qtbot.waitUntil(lambda: isinstance(controller.window, AuthWindow), timeout=5000)
    controller.idle.set_timeout_ms(120_000)  # the sign-in page stays as it is while we look
    settle(qtbot, 100)
    assert not shiboken6.isValid(window) or not window.isVisible()
    qtbot.waitUntil(lambda: not shiboken6.isValid(window), timeout=5000)  # thrown away, not hidden
    text = _visible_text()
    for trace in ("Anna", "anna", "Kowalska", "headaches", "half-typed", "appointment"):
        assert trace not in text
    assert "without activity" in controller.window.login_page.notice.text()
    assert kiosk_services.accounts.current_user is None

    # The next patient gets a brand-new window with none of the previous one's state.
    kiosk_services.accounts.register("ben", "ben@example.org", PASSWORD, "patient", doctor="dr.lee")
    kiosk_services.accounts.logout()
    window2 = _sign_in(qtbot, controller, "ben")
    assert window2 is not window
    chat2 = window2.navigate("chat")
    settle(qtbot)
    assert chat2.panel.view.model.rowCount() == 0
    assert chat2.panel.view.input.toPlainText() == ""


def test_idle_logout_closes_an_open_dialog(qtbot, kiosk_services, make_controller):
    from PySide6.QtWidgets import QFileDialog

    controller = make_controller(kiosk=True)
    window = _sign_in(qtbot, controller, "anna")
    dialog = QFileDialog(window, "Choose your MRI scan")
    dialog.setOption(QFileDialog.Option.DontUseNativeDialog, True)
    dialog.open()
    qtbot.waitUntil(lambda: QApplication.activeModalWidget() is dialog, timeout=5000)
    controller.idle.set_timeout_ms(150)
    controller.idle.start()
    qtbot.waitUntil(lambda: isinstance(controller.window, AuthWindow), timeout=5000)
    assert QApplication.activeModalWidget() is None


def test_idle_on_the_sign_in_page_clears_half_typed_names(qtbot, kiosk_services, make_controller):
    controller = make_controller(kiosk=True)
    first = controller.window
    qtbot.keyClicks(first.login_page.username, "anna")
    controller.idle.set_timeout_ms(150)
    controller.idle.start()
    qtbot.waitUntil(lambda: controller.window is not first, timeout=5000)
    assert controller.window.login_page.username.text() == ""


def test_closing_the_kiosk_window_is_refused(qtbot, kiosk_services, make_controller):
    controller = make_controller(kiosk=True)
    window = _sign_in(qtbot, controller, "anna")
    assert window.close() is False
    assert window.isVisible()
    assert controller.window is window
    assert window.minimumWidth() <= 1024


def test_operator_pin_is_checked(qtbot, kiosk_services):
    dialog = UnlockDialog(kiosk_services.settings)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.keyClicks(dialog.pin, "1111")
    qtbot.mouseClick(dialog.unlock, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "not right" in dialog.error.text() and dialog.unlock.isEnabled(),
                    timeout=10000)
    assert dialog.result() != UnlockDialog.DialogCode.Accepted
    qtbot.keyClicks(dialog.pin, "2468")
    with qtbot.waitSignal(dialog.accepted, timeout=10000):
        qtbot.mouseClick(dialog.unlock, Qt.MouseButton.LeftButton)


def test_kiosk_takes_files_only_from_the_import_folder(qtbot, kiosk_services, make_controller,
                                                      tmp_path, photo_file):
    controller = make_controller(kiosk=True)
    window = _sign_in(qtbot, controller, "anna")
    import_dir = Path(kiosk_services.settings.get("kiosk")["import_dir"])
    assert controller.import_roots[0] == import_dir
    scan = window.navigate("new_scan")
    outside = tmp_path / "elsewhere.jpg"
    outside.write_bytes(photo_file.read_bytes())
    scan.analyse_file(outside)
    assert scan.problem.isVisible()
    assert "import folder" in scan.problem.title_label.text()
    assert not scan.busy
    settle(qtbot)
    assert kiosk_services.reports.for_patient("anna") == []


def test_the_pin_rules_are_shown_before_any_refusal(qtbot):
    from desktop_app.ui.kiosk import MIN_PIN_LENGTH, SetPinDialog

    dialog = SetPinDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.rules.isVisible() and f"at least {MIN_PIN_LENGTH} characters" in dialog.rules.text()
    assert dialog.error.text() == ""
    assert str(MIN_PIN_LENGTH) in dialog.pin.placeholderText()


def test_a_countdown_warns_before_idle_sign_out_and_any_key_cancels_it(qtbot, kiosk_services,
                                                                       make_controller):
    from desktop_app.ui.idle_warning import IdleWarning

    controller = make_controller(kiosk=True)
    window = _sign_in(qtbot, controller, "anna")
    controller.idle.set_timeout_ms(1600)  # the warning comes half-way, 800 ms before
    controller.idle.start()
    qtbot.waitUntil(lambda: controller.idle_warning is not None, timeout=3000)
    warning = controller.idle_warning
    assert isinstance(warning, IdleWarning) and warning.isVisible()
    assert "signed out in" in warning.message.text() and 0 < warning.seconds_left() <= 1
    qtbot.keyClick(window, Qt.Key.Key_Shift)  # the patient is still there
    qtbot.waitUntil(lambda: controller.idle_warning is None, timeout=1000)
    qtbot.wait(1000)
    assert controller.window is window  # the countdown started over instead of signing out
    qtbot.waitUntil(lambda: controller.idle_warning is not None, timeout=3000)
    qtbot.mouseClick(controller.idle_warning.stay, Qt.MouseButton.LeftButton)
    assert controller.idle_warning is None and controller.window is window
    controller.idle.set_timeout_ms(120_000)
