"""Forgot password on the sign-in page, end to end with this project's real server on 127.0.0.1."""

from __future__ import annotations

import logging
import re

import pytest
from PySide6.QtCore import Qt

from desktop_app.core.services import AppServices
from desktop_app.ui.login import AuthWindow
from desktop_app.ui.password_reset import WRONG_CODE
from desktop_app.ui.patient.window import PatientWindow
from devkit.sync_scenario import register_on_server

from .conftest import settle

NEW_PASSWORD = "a brand new secret 7"


@pytest.fixture
def device(tmp_path):
    """`device(url)`: services of a fresh installation pointed at `url` (closed after)."""
    opened = []

    def open_device(url: str | None) -> AppServices:
        opened.append(AppServices.open(tmp_path / f"device-{len(opened)}", server_url=url))
        return opened[-1]

    yield open_device
    from desktop_app.ui.workers import wait_for_background

    wait_for_background(30000)
    for services in opened:
        services.close()


def _open_reset(qtbot, make_controller, services, typed_name: str = ""):
    controller = make_controller(on=services)
    auth: AuthWindow = controller.window
    qtbot.mouseClick(auth.role_page.buttons["patient"], Qt.MouseButton.LeftButton)
    qtbot.keyClicks(auth.login_page.username, typed_name)
    qtbot.mouseClick(auth.login_page.forgot, Qt.MouseButton.LeftButton)
    assert auth.pages.currentWidget() is auth.reset_page
    return controller, auth, auth.reset_page


def _code_from_server_log(caplog, username: str) -> str:
    # Without SMTP the server writes the code to its own log (development mode), never to an answer.
    return re.findall(rf"password reset code for {username}: (\d{{6}})", caplog.text)[-1]


def test_patient_resets_a_forgotten_password_with_the_emailed_code(qtbot, device, project_server,
                                                                   make_controller, caplog):
    register_on_server(project_server, "alice", "dr_bob")
    controller, auth, page = _open_reset(qtbot, make_controller, device(project_server), "alice")
    assert page.username.text() == "alice"  # what was typed on the sign-in page comes along

    with caplog.at_level(logging.WARNING, logger="server"):
        qtbot.mouseClick(page.send, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(page.code.isVisible, timeout=10000)
    assert "“alice”" in page.subtitle.text() and "code is on its way" in page.subtitle.text()
    code = _code_from_server_log(caplog, "alice")
    assert code not in page.subtitle.text()

    # Same rules as everywhere: too short, then two different passwords, each said plainly.
    qtbot.keyClicks(page.code, code)
    qtbot.keyClicks(page.new_password, "short")
    qtbot.keyClicks(page.confirm, "short")
    qtbot.mouseClick(page.save, Qt.MouseButton.LeftButton)
    assert "at least 8 characters" in page.error.text()
    page.new_password.clear()
    page.confirm.clear()
    qtbot.keyClicks(page.new_password, NEW_PASSWORD)
    qtbot.keyClicks(page.confirm, NEW_PASSWORD + "x")
    qtbot.mouseClick(page.save, Qt.MouseButton.LeftButton)
    assert page.error.text() == "The two passwords are not the same."

    # A wrong code is refused by the server.
    page.code.clear()
    qtbot.keyClicks(page.code, "000000" if code != "000000" else "111111")
    qtbot.keyClicks(page.confirm, NEW_PASSWORD)
    qtbot.mouseClick(page.save, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.error.text() == WRONG_CODE, timeout=10000)

    # The right one (the new password is still filled in), with a space as copied from an email.
    assert page.new_password.text() == page.confirm.text() == NEW_PASSWORD
    page.code.clear()
    qtbot.keyClicks(page.code, f"{code[:3]} {code[3:]}")
    qtbot.keyClick(page.confirm, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: auth.pages.currentWidget() is auth.login_page, timeout=10000)
    assert "password has been changed" in auth.login_page.notice.text()
    assert auth.login_page.username.text() == "alice"

    qtbot.keyClicks(auth.login_page.password, NEW_PASSWORD)
    qtbot.keyClick(auth.login_page.password, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: isinstance(controller.window, PatientWindow), timeout=15000)


def test_without_a_server_the_link_is_disabled_and_says_why(qtbot, services, make_controller):
    controller = make_controller()
    link = controller.window.login_page.forgot
    assert not link.isEnabled()
    assert "no" in link.toolTip() and "server" in link.toolTip()


def test_an_unreachable_server_is_said_plainly(qtbot, device, make_controller):
    services = device("http://127.0.0.1:9")  # nothing listens there
    _controller, _auth, page = _open_reset(qtbot, make_controller, services, "alice")
    qtbot.mouseClick(page.send, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(page.error.isVisible, timeout=15000)
    assert "cannot be reached" in page.error.text() and not page.code.isVisible()
    assert page.send.isEnabled()
    settle(qtbot)
