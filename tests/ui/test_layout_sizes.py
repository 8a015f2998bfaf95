"""The main screens at the smallest default window (1100×760) and a full-HD screen (1920×1080):
no text cut off, no sideways scrolling, and the doctor's dashboard fits without scrolling."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QAbstractScrollArea, QLabel, QListView, QPushButton, QTableView

from desktop_app.ui.app import build_main_window
from tests.ui.conftest import PASSWORD, settle

SIZES = [(1100, 760), (1920, 1080)]



def cut_off_texts(window) -> list[str]:
    """Visible one-line labels and buttons narrower than their text, and table cells whose text
    does not fit their column."""
    found = []
    for widget in window.findChildren(QLabel) + window.findChildren(QPushButton):
        if not widget.isVisible() or not widget.text() or (isinstance(widget, QLabel) and widget.wordWrap()):
            continue
        if isinstance(widget, QLabel) and widget.pixmap() is not None and not widget.pixmap().isNull():
            continue
        needed = widget.sizeHint().width() if isinstance(widget, QPushButton) else widget.minimumSizeHint().width()
        if widget.width() + 1 < needed:
            found.append(f"{type(widget).__name__} {widget.text()!r}: {widget.width()} < {needed}")
    for table in window.findChildren(QTableView):
        if not table.isVisible() or table.model() is None:
            continue
        model, metrics = table.model(), table.fontMetrics()
        header = table.horizontalHeader()
        for column in range(model.columnCount()):
            wraps = table.wordWrap() and header.sectionResizeMode(column) == header.ResizeMode.Stretch
            if table.isColumnHidden(column) or wraps:
                continue
            for row in range(min(model.rowCount(), 30)):
                text = model.index(row, column).data()
                if isinstance(text, str) and text and table.columnWidth(column) < metrics.horizontalAdvance(text) + 16:
                    if column == model.columnCount() - 1 and table.horizontalHeader().stretchLastSection():
                        continue  # the last column stretches; long notes may end in "…" by design
                    found.append(f"table {table.accessibleName()!r} column {column}: {text!r}")
    for view in window.findChildren(QListView):
        if (not view.isVisible() or view.model() is None or view.wordWrap()
                or view.objectName() in ("chatList", "navList")):
            continue  # chat bubbles wrap; the side menu is checked by its labels' width
        room = view.viewport().width() - 24 - view.iconSize().width()
        for row in range(min(view.model().rowCount(), 30)):
            text = view.model().index(row, 0).data()
            if isinstance(text, str) and text and view.fontMetrics().horizontalAdvance(text.split("\n")[0]) > room:
                found.append(f"list {view.accessibleName()!r}: {text!r}")
    return found


def sideways_scrollbars(window) -> list[str]:
    return [area.accessibleName() or type(area).__name__
            for area in window.findChildren(QAbstractScrollArea)
            if area.isVisible() and area.horizontalScrollBar().isVisible()]


def _visit_all(qtbot, window) -> dict[str, list[str]]:
    problems = {}
    for key in list(window.screens):
        window.open_screen(key)
        settle(qtbot, 60)
        issues = cut_off_texts(window) + [f"sideways scroll: {name}" for name in sideways_scrollbars(window)]
        if issues:
            problems[key] = issues
    return problems


@pytest.fixture
def patient_with_history(services, patient, mri_scan):
    data = mri_scan.read_bytes()
    prediction = services.engine.predict_bytes(data, name="Tr-glTr_0001_long_scanner_export_name.jpg")
    made = [services.reports.create("anna", data, "Tr-glTr_0001_long_scanner_export_name.jpg", prediction)
            for _ in range(3)]
    services.accounts.logout()
    services.accounts.login("dr.lee", PASSWORD)
    services.reports.review(made[0]["id"], "dr.lee", "approve", notes="Agree; see you on Tuesday.")
    services.reports.review(made[1]["id"], "dr.lee", "reject", label="not_assessable",
                            reason="Motion artefact", notes="Please come back for another scan.")
    services.accounts.logout()
    services.accounts.login("anna", PASSWORD)
    return services.accounts.current_user


@pytest.mark.parametrize("size", SIZES)
def test_patient_screens_fit(qtbot, themed, services, patient_with_history, size):
    window = build_main_window(services, patient_with_history)
    qtbot.addWidget(window)
    window.resize(*size)
    window.show()
    settle(qtbot, 100)
    problems = _visit_all(qtbot, window)
    assert problems == {}
    window.shutdown()
