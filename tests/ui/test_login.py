"""Sign-in flow as a new user meets it: role, register, sign out, sign in, wrong password, roles."""

from __future__ import annotations

from PySide6.QtCore import Qt

from desktop_app.ui.doctor.window import DoctorWindow
from desktop_app.ui.login import AuthWindow
from desktop_app.ui.patient.window import PatientWindow

from .conftest import PASSWORD, settle


def _register_patient(qtbot, controller, doctor_name: str = "") -> None:
    auth: AuthWindow = controller.window
    qtbot.mouseClick(auth.role_page.buttons["patient"], Qt.MouseButton.LeftButton)
    qtbot.mouseClick(auth.login_page.create, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: auth.pages.currentWidget() is auth.register_page, timeout=5000)
    page = auth.register_page
    qtbot.keyClicks(page.full_name, "Anna Kowalska")
    qtbot.keyClicks(page.username, "anna")
    qtbot.keyClicks(page.email, "anna@example.org")
    qtbot.keyClicks(page.password, PASSWORD)
    qtbot.keyClicks(page.confirm, PASSWORD)
    if doctor_name:
        assert page.doctor.count() == 1 and doctor_name in page.doctor.currentText()
    qtbot.mouseClick(page.create, Qt.MouseButton.LeftButton)


def _sign_in_as(qtbot, auth: AuthWindow, role: str, username: str, password: str) -> None:
    auth.choose_role(role)
    qtbot.keyClicks(auth.login_page.username, username)
    qtbot.keyClicks(auth.login_page.password, password)
    qtbot.mouseClick(auth.login_page.sign_in, Qt.MouseButton.LeftButton)


def test_patient_registers_signs_out_and_back_in(qtbot, services, doctor, make_controller):
    controller = make_controller()
    assert isinstance(controller.window, AuthWindow)
    _register_patient(qtbot, controller, doctor_name="Mina Lee")
    qtbot.waitUntil(lambda: isinstance(controller.window, PatientWindow), timeout=10000)
    window: PatientWindow = controller.window
    assert [window.nav.item(i).text() for i in range(window.nav.count())] == [
        "Dashboard", "New scan", "History", "Chat", "My doctor", "Health tips", "Emergency",
        "Notifications"]
    assert services.accounts.get("anna").doctor == "dr.lee"
    assert "Anna Kowalska" in window.status_user.text()

    qtbot.mouseClick(window.logout_button, Qt.MouseButton.LeftButton)
    assert isinstance(controller.window, AuthWindow)
    settle(qtbot)
    assert services.accounts.current_user is None

    auth: AuthWindow = controller.window
    qtbot.mouseClick(auth.role_page.buttons["patient"], Qt.MouseButton.LeftButton)
    qtbot.keyClicks(auth.login_page.username, "anna")
    qtbot.keyClicks(auth.login_page.password, PASSWORD)
    qtbot.keyClick(auth.login_page.password, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: isinstance(controller.window, PatientWindow), timeout=10000)


def test_wrong_password_says_so_and_clears_the_field(qtbot, services, doctor, make_controller):
    controller = make_controller()
    auth: AuthWindow = controller.window
    _sign_in_as(qtbot, auth, "doctor", "dr.lee", "not the password")
    qtbot.waitUntil(lambda: auth.login_page.error.isVisible(), timeout=10000)
    assert auth.login_page.password.text() == ""
    assert isinstance(controller.window, AuthWindow)
    assert "Traceback" not in auth.login_page.error.text()


def test_doctor_signs_in_to_the_doctor_window(qtbot, services, doctor, make_controller):
    controller = make_controller()
    _sign_in_as(qtbot, controller.window, "doctor", "dr.lee", PASSWORD)
    qtbot.waitUntil(lambda: isinstance(controller.window, DoctorWindow), timeout=10000)
    titles = [controller.window.nav.item(i).text() for i in range(controller.window.nav.count())]
    for title in ("Dashboard", "Reports", "Patients", "Chat", "Federated learning", "Profile"):
        assert any(t.startswith(title) for t in titles), titles


def test_a_patient_account_cannot_enter_through_the_doctor_door(qtbot, services, patient, make_controller):
    services.accounts.logout()
    controller = make_controller()
    auth: AuthWindow = controller.window
    _sign_in_as(qtbot, auth, "doctor", "anna", PASSWORD)
    qtbot.waitUntil(lambda: auth.login_page.error.isVisible(), timeout=10000)
    assert "patient account" in auth.login_page.error.text()
    settle(qtbot)
    assert isinstance(controller.window, AuthWindow)
    assert services.accounts.current_user is None


def test_remembered_user_opens_straight_into_their_window(qtbot, services, patient, make_controller):
    controller = make_controller()
    assert isinstance(controller.window, PatientWindow)


def test_idle_sign_out_returns_to_sign_in_with_a_reason(qtbot, services, patient, make_controller):
    controller = make_controller()
    assert isinstance(controller.window, PatientWindow)
    controller.idle.set_timeout_ms(150)
    controller.idle.start()
    qtbot.waitUntil(lambda: isinstance(controller.window, AuthWindow), timeout=5000)
    assert "without activity" in controller.window.login_page.notice.text()
    settle(qtbot)
    assert services.accounts.current_user is None


def test_register_mismatched_passwords_is_caught_before_saving(qtbot, services, doctor, make_controller):
    controller = make_controller()
    auth: AuthWindow = controller.window
    auth.choose_role("patient")
    qtbot.mouseClick(auth.login_page.create, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: auth.pages.currentWidget() is auth.register_page, timeout=5000)
    page = auth.register_page
    qtbot.keyClicks(page.username, "bob")
    qtbot.keyClicks(page.email, "bob@example.org")
    qtbot.keyClicks(page.password, PASSWORD)
    qtbot.keyClicks(page.confirm, PASSWORD + "x")
    qtbot.mouseClick(page.create, Qt.MouseButton.LeftButton)
    assert "not the same" in page.error.text()
    assert services.accounts.get("bob") is None


def _open_register(qtbot, auth: AuthWindow, role: str):
    auth.choose_role(role)
    qtbot.mouseClick(auth.login_page.create, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: auth.pages.currentWidget() is auth.register_page, timeout=5000)
    settle(qtbot)
    return auth.register_page


def test_create_account_enter_from_any_field_fresh_messages_and_a_steady_card(qtbot, services, doctor,
                                                                             make_controller):
    controller = make_controller()
    page = _open_register(qtbot, controller.window, "patient")
    card_height, create_y = page.card.height(), page.create.mapTo(page, page.create.rect().topLeft()).y()
    qtbot.keyClick(page.full_name, Qt.Key.Key_Return)  # the first field, not the last
    assert page.error.isVisible() and page.error.text() == "Please enter a username."
    settle(qtbot)
    assert page.card.height() == card_height  # the card did not grow …
    assert page.create.mapTo(page, page.create.rect().topLeft()).y() == create_y  # … nor the button move
    qtbot.keyClicks(page.username, "bob")
    assert not page.error.isVisible()  # the message about the empty name went with it
    qtbot.keyClick(page.username, Qt.Key.Key_Return)
    assert page.error.text() == "Please enter your email."
    assert services.accounts.get("bob") is None


def test_the_first_doctor_is_told_before_registering_that_they_become_administrator(qtbot, services,
                                                                                    make_controller):
    controller = make_controller()
    page = _open_register(qtbot, controller.window, "doctor")
    assert page.doctor_hint.isVisible() and "administrator" in page.doctor_hint.text()
    assert "Profile → Doctor enrollment code" in page.doctor_hint.text()


def test_a_later_doctor_is_not_told_so(qtbot, services, doctor, make_controller):
    services.accounts.login(doctor.username, PASSWORD)
    services.accounts.set_enrollment_code("clinic-code-42")
    services.accounts.logout()
    controller = make_controller()
    page = _open_register(qtbot, controller.window, "doctor")
    assert not page.doctor_hint.isVisible()
    assert page.form.isRowVisible(page.enrollment)
