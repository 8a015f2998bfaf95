"""Every shortcut the doctor's window advertises works where it is advertised, with no click first,
and no two shortcuts claim the same key at the same time."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QShortcut
from PySide6.QtWidgets import QApplication

from desktop_app.ui.doctor.reports_screen import QUEUE_KEY, TABS
from tests.ui.conftest import settle

CTRL = Qt.KeyboardModifier.ControlModifier
DIGITS = [getattr(Qt.Key, f"Key_{n}") for n in range(1, 10)]


@pytest.fixture
def window(qtbot, services, clinic):
    from desktop_app.ui.app import build_main_window

    window = build_main_window(services, services.accounts.current_user)
    qtbot.addWidget(window)
    window.resize(1100, 760)
    window.show()
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=5000)
    reports = window.screens["reports"].widget
    qtbot.waitUntil(lambda: reports.model.rowCount() == len(clinic["all"]), timeout=10_000)
    ambiguous: list[str] = []
    for shortcut in window.findChildren(QShortcut):
        shortcut.activatedAmbiguously.connect(lambda s=shortcut: ambiguous.append(s.key().toString()))
    window.ambiguous = ambiguous
    yield window
    window.shutdown()


def _press(qtbot, key, modifier=CTRL) -> None:
    qtbot.keyClick(QApplication.focusWidget() or QApplication.activeWindow(), key, modifier)
    settle(qtbot, 20)


def test_start_reviewing_works_from_the_keyboard_right_after_sign_in(qtbot, window, clinic):
    assert window.current_key() == "dashboard"
    reports = window.screens["reports"].widget
    _press(qtbot, Qt.Key.Key_Return)  # no click anywhere first
    assert window.current_key() == "reports" and reports.in_review()
    assert reports.review.report["id"] == clinic["pending"][0]["id"]
    assert window.ambiguous == []


def test_queue_keys_and_screen_keys_each_have_one_owner(qtbot, window):
    reports = window.screens["reports"].widget
    _press(qtbot, Qt.Key.Key_2)
    assert window.current_key() == "reports"
    reports.table.setFocus()
    alt = Qt.KeyboardModifier.AltModifier
    assert QUEUE_KEY == "Alt"
    for number in (2, 3, 4, 1):  # Alt+n: the n-th queue, staying on the Reports screen
        _press(qtbot, DIGITS[number - 1], alt)
        assert reports.current_tab() == TABS[number - 1][0]
        assert window.current_key() == "reports"
    keys = list(window.screens)
    for number in range(len(keys), 0, -1):  # Ctrl+n: the n-th screen, from inside the Reports list
        if window.current_key() == "reports":
            reports.table.setFocus()
        _press(qtbot, DIGITS[number - 1])
        assert window.current_key() == keys[number - 1]
    assert window.ambiguous == []
