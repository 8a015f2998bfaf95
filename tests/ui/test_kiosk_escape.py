"""Ways out of a kiosk a patient might try: saving files anywhere, guessing the PIN, minimising the window."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QFileDialog

from desktop_app.core.services import AppServices
from desktop_app.core.settings import PIN_LOCKOUT_S, PinLockedError, pin_wait_after_failures
from desktop_app.ui.kiosk import UnlockDialog
from desktop_app.ui.workers import wait_for_background

from .conftest import settle
from .test_kiosk import _sign_in, kiosk_services  # noqa: F401  (the kiosk fixture, shared)


def _open_first_report(qtbot, window):
    history = window.navigate("history")
    qtbot.waitUntil(lambda: history.model.rowCount() == 1, timeout=10000)
    history.table.selectRow(0)
    qtbot.mouseClick(history.open_button, Qt.MouseButton.LeftButton)
    return history.detail


@pytest.fixture
def kiosk_with_report(kiosk_services, mri_scan):  # noqa: F811
    prediction = kiosk_services.engine.predict_bytes(mri_scan.read_bytes(), name=mri_scan.name)
    kiosk_services.reports.create("anna", mri_scan.read_bytes(), mri_scan.name, prediction)
    kiosk_services.accounts.logout()
    return kiosk_services


def test_a_kiosk_saves_reports_only_into_its_export_folder(qtbot, kiosk_with_report, make_controller, tmp_path):
    export_dir = tmp_path / "exports"
    export_dir.mkdir()
    kiosk = kiosk_with_report.settings.get("kiosk")
    kiosk_with_report.settings.set("kiosk", {**kiosk, "export_dir": str(export_dir)})
    controller = make_controller(kiosk=True)
    detail = _open_first_report(qtbot, _sign_in(qtbot, controller, "anna"))
    assert detail.export.isVisible()
    for _ in range(2):  # no file dialog: straight into the folder, never over an earlier file
        qtbot.mouseClick(detail.export, Qt.MouseButton.LeftButton)
        assert not any(isinstance(w, QFileDialog) and w.isVisible() for w in QApplication.topLevelWidgets())
        qtbot.waitUntil(lambda: detail.export.isEnabled() and detail.notice.isVisible(), timeout=30000)
    saved = sorted(export_dir.glob("*.pdf"))
    assert len(saved) == 2 and all(p.read_bytes().startswith(b"%PDF") for p in saved)

    outside = tmp_path / "desktop" / "report.pdf"
    detail.export_to(outside)  # what a typed path would have done
    assert "export folder" in detail.notice.text_label.text()
    settle(qtbot)
    assert not outside.exists()


def test_a_kiosk_without_an_export_folder_offers_no_export(qtbot, kiosk_with_report, make_controller):
    controller = make_controller(kiosk=True)
    detail = _open_first_report(qtbot, _sign_in(qtbot, controller, "anna"))
    assert detail.export.isHidden()


def test_wrong_operator_pins_wait_longer_and_longer_then_lock(qtbot, kiosk_services):  # noqa: F811
    settings = kiosk_services.settings
    for _ in range(3):
        assert settings.check_kiosk_pin("0000") is False
    with pytest.raises(PinLockedError, match="Try again in"):
        settings.check_kiosk_pin("2468")  # even the right PIN waits
    assert 0 < settings.kiosk_pin_wait() <= 5
    assert [pin_wait_after_failures(n) for n in (2, 3, 4, 5, 9, 10, 50)] == [0, 5, 10, 20, 320, PIN_LOCKOUT_S,
                                                                           PIN_LOCKOUT_S]


def test_the_pin_lockout_survives_a_restart(qtbot, kiosk_services):  # noqa: F811
    kiosk = kiosk_services.settings.get("kiosk")
    kiosk_services.settings.set("kiosk", {**kiosk, "pin_failures": 10, "pin_failed_at": time.time()})
    data_dir = kiosk_services.data_dir
    wait_for_background(30000)
    kiosk_services.close()
    again = AppServices.open(data_dir)
    try:
        with pytest.raises(PinLockedError, match="minutes"):
            again.settings.check_kiosk_pin("2468")
        assert again.settings.kiosk_pin_wait() > PIN_LOCKOUT_S - 60
    finally:
        again.close()


def test_the_unlock_dialog_says_how_long_to_wait(qtbot, kiosk_services):  # noqa: F811
    dialog = UnlockDialog(kiosk_services.settings)
    qtbot.addWidget(dialog)
    dialog.show()
    for _ in range(4):
        qtbot.keyClicks(dialog.pin, "1111")
        qtbot.mouseClick(dialog.unlock, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: dialog.unlock.isEnabled() and dialog.pin.text() == "", timeout=10000)
    assert "Too many wrong PINs" in dialog.error.text()
    qtbot.keyClicks(dialog.pin, "2468")
    qtbot.mouseClick(dialog.unlock, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.unlock.isEnabled(), timeout=10000)
    assert dialog.result() != UnlockDialog.DialogCode.Accepted


def test_a_minimised_kiosk_comes_back(qtbot, kiosk_services, make_controller):  # noqa: F811
    controller = make_controller(kiosk=True)
    window = controller.window
    qtbot.waitUntil(window.isVisible, timeout=5000)
    window.showMinimized()  # what a window manager's minimise does
    qtbot.waitUntil(lambda: window.isVisible() and not window.isMinimized(), timeout=5000)


def test_the_export_folder_is_a_config_setting(tmp_path):
    from desktop_app.cli.config import KEYS

    assert KEYS["kiosk-export-dir"].nested == "export_dir"
    assert Path(KEYS["kiosk-export-dir"].parse(str(tmp_path))) == tmp_path
