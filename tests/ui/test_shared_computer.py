"""A shared clinic computer: the next person to start the app never lands in the last patient's session."""

from __future__ import annotations

from PySide6.QtCore import Qt

from desktop_app.core.services import AppServices
from desktop_app.ui.app import AppController
from desktop_app.ui.doctor.window import DoctorWindow
from desktop_app.ui.login import AuthWindow
from desktop_app.ui.workers import wait_for_background

from .conftest import PASSWORD, settle


def _next_start(services, make_controller):
    """Closes this run's store and opens the same data folder again, as the next app start does."""
    data_dir = services.data_dir
    wait_for_background(30000)
    services.close()
    again = AppServices.open(data_dir)
    return again, make_controller(on=again)


def _close_window(qtbot, controller: AppController) -> None:
    controller.end_session()
    wait_for_background(30000)
    settle(qtbot)


def test_the_next_start_after_a_patient_shows_the_sign_in_page(qtbot, services, patient, make_controller):
    again, controller = _next_start(services, make_controller)
    try:
        assert isinstance(controller.window, AuthWindow)
        wait_for_background(30000)
        assert again.accounts.current_user is None
    finally:
        again.close()


def test_closing_the_window_signs_the_patient_out(qtbot, services, patient, make_controller):
    controller = make_controller()
    _close_window(qtbot, controller)
    assert services.accounts.current_user is None


def test_a_doctor_stays_signed_in_only_when_they_chose_to(qtbot, services, doctor, make_controller):
    controller = make_controller()
    auth: AuthWindow = controller.window
    auth.choose_role("doctor")
    assert not auth.login_page.keep_signed_in.isHidden() and not auth.login_page.keep_signed_in.isChecked()
    auth.login_page.keep_signed_in.setChecked(True)
    qtbot.keyClicks(auth.login_page.username, "dr.lee")
    qtbot.keyClicks(auth.login_page.password, PASSWORD)
    qtbot.mouseClick(auth.login_page.sign_in, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: isinstance(controller.window, DoctorWindow), timeout=10000)
    _close_window(qtbot, controller)
    assert services.accounts.current_user is not None and services.accounts.stays_signed_in()

    again, controller = _next_start(services, make_controller)
    try:
        assert isinstance(controller.window, DoctorWindow)
    finally:
        controller.window.shutdown()
        wait_for_background(30000)
        again.close()


def test_a_doctor_who_did_not_choose_is_signed_out_at_close(qtbot, services, doctor, make_controller):
    services.accounts.login("dr.lee", PASSWORD)
    services.accounts.keep_signed_in(False)
    controller = make_controller()
    assert isinstance(controller.window, DoctorWindow)  # signed in during this run: the window opens
    _close_window(qtbot, controller)
    assert services.accounts.current_user is None


def test_patients_cannot_choose_to_stay_signed_in(qtbot, services, patient, make_controller):
    services.accounts.keep_signed_in(True)
    assert not services.accounts.stays_signed_in()
    services.accounts.logout()
    controller = make_controller()
    controller.window.choose_role("patient")
    assert controller.window.login_page.keep_signed_in.isHidden()


def test_the_kiosk_offers_no_way_to_stay_signed_in(qtbot, services, make_controller):
    controller = make_controller(kiosk=True)
    assert controller.window.login_page.keep_signed_in.isHidden()
