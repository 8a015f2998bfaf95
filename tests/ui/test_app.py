"""App start-up and accessibility: a locked store is a clear dialog; every control has a name."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSlider,
    QComboBox,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QScrollBar,
    QWidget,
)

from desktop_app.cli.context import CliContext
from desktop_app.ui.app import build_main_window, run_app
from desktop_app.ui.login import AuthWindow
from desktop_app.ui.patient.window import PATIENT_SCREENS

from .conftest import settle


def test_a_second_copy_on_the_same_data_gets_a_clear_dialog(qtbot, services, monkeypatch):
    shown = []
    monkeypatch.setattr(QMessageBox, "critical",
                        staticmethod(lambda parent, title, text: shown.append((title, text))))
    ctx = CliContext(data_dir_arg=str(services.data_dir))  # `services` holds the data-dir lock
    code = run_app(ctx)
    assert code == 1
    assert shown and shown[0][0] == "TumorPredict is already open"
    assert str(services.data_dir) in shown[0][1]
    assert "Traceback" not in shown[0][1]


def _unnamed_controls(root) -> list[str]:
    missing = []
    kinds = (QAbstractButton, QLineEdit, QComboBox, QPlainTextEdit, QAbstractSlider,
             QAbstractItemView)
    for widget in root.findChildren(QWidget):
        if not isinstance(widget, kinds) or isinstance(widget, QScrollBar):
            continue  # scroll bars are part of the view they scroll
        if not widget.isVisibleTo(root):
            continue
        text = widget.text() if isinstance(widget, QAbstractButton) else ""
        if not (widget.accessibleName() or text.replace("&", "").strip()):
            missing.append(f"{type(widget).__name__} {widget.objectName()!r}")
    return missing


def test_every_patient_control_has_an_accessible_name(qtbot, services, patient):
    window = build_main_window(services, patient)
    qtbot.addWidget(window)
    window.show()
    for key, *_ in PATIENT_SCREENS:
        screen = window.navigate(key)
        settle(qtbot)
        assert _unnamed_controls(screen) == [], key
    assert _unnamed_controls(window.nav.parentWidget()) == []
    window.shutdown()


def test_sign_in_controls_have_accessible_names(qtbot, services):
    auth = AuthWindow(services)
    qtbot.addWidget(auth)
    auth.show()
    for page in (auth.role_page, auth.login_page):
        auth.pages.setCurrentWidget(page)
        assert _unnamed_controls(page) == []


def test_window_titles_name_the_app_once(qtbot, services, patient):
    """Qt appends the application's display name to a title that does not end with it: a title
    starting with it read "TumorPredict — Sign in — TumorPredict"."""
    from desktop_app.ui.login import AuthWindow

    name = "TumorPredict"  # run_app's display name (the test runner's QApplication has its own)
    auth = AuthWindow(services)
    qtbot.addWidget(auth)
    window = build_main_window(services, patient)
    qtbot.addWidget(window)
    for title in (auth.windowTitle(), window.windowTitle()):
        assert title.endswith(name) and title.count(name) == 1, title
    window.shutdown()
