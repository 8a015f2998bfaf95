"""New scan with the real model: drop a file, wait for the result, find it in history."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QTimer, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from desktop_app.core.wording import finding_text
from desktop_app.ui.app import build_main_window
from desktop_app.ui.patient.window import PatientWindow

from .conftest import settle


@pytest.fixture
def window(qtbot, services, patient) -> PatientWindow:
    win = build_main_window(services, patient)
    qtbot.addWidget(win)
    win.resize(1280, 820)
    win.show()
    yield win
    settle(qtbot)
    win.shutdown()


def drop_file(widget, path: Path) -> None:
    """Drags `path` onto `widget` and lets go, as a file manager would."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    centre = widget.rect().center()
    # The enter event takes an integer point, the drop event a real one (Qt 6's signatures).
    enter = QDragEnterEvent(centre, Qt.DropAction.CopyAction, mime,
                            Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, enter)
    assert enter.isAccepted()
    drop = QDropEvent(QPointF(centre), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, drop)


def test_dropped_mri_gives_a_saved_preliminary_result(qtbot, services, window, mri_scan,
                                                      engine_ready, tmp_path):
    expected = engine_ready.predict_file(mri_scan)
    scan = window.navigate("new_scan")
    ticks = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start(10)
    drop_file(scan.drop_zone, mri_scan)
    assert scan.busy and scan.busy_box.isVisible()
    with qtbot.waitSignal(scan.result_ready, timeout=60000) as saved:
        pass
    timer.stop()
    assert ticks, "the UI thread kept running while the model worked"
    report = saved.args[0]

    assert scan.finding.finding.text() == finding_text(expected.label)
    assert scan.finding.banner.isVisible()
    assert "awaiting review by your doctor" in scan.finding.banner.title_label.text()
    assert set(scan.finding.bars.bars) == {finding_text(name) for name in expected.probabilities}
    assert expected.model_version in scan.finding.meta.text()
    assert scan.image_panel.view.has_image() and scan.image_panel.view.has_heatmap()

    # The heatmap toggle and opacity act on the viewer.
    panel = scan.image_panel
    assert panel.view.heatmap_visible()
    qtbot.mouseClick(panel.heatmap_toggle, Qt.MouseButton.LeftButton)
    assert not panel.view.heatmap_visible()
    panel.heatmap_toggle.click()
    panel.opacity.setValue(80)
    assert panel.view.heatmap_opacity() == pytest.approx(0.8, abs=0.01)

    stored = services.reports.for_patient("anna")
    assert [r["id"] for r in stored] == [report["id"]]
    assert stored[0]["status"] == "pending" and stored[0]["label"] == expected.label
    assert any(e.kind == "create_report" for e in services.store.outbox.pending())

    qtbot.mouseClick(scan.open_history, Qt.MouseButton.LeftButton)
    history = window.screen("history")
    qtbot.waitUntil(lambda: history.model.rowCount() == 1, timeout=5000)
    assert history.model.index(0, 1).data() == expected.label
    assert history.model.index(0, 3).data() == "Awaiting review"
    history.table.selectRow(0)
    qtbot.mouseClick(history.open_button, Qt.MouseButton.LeftButton)
    assert history.pages.currentWidget() is history.detail
    qtbot.waitUntil(lambda: history.detail.image_panel.view.has_image(), timeout=10000)
    assert history.detail.finding.finding.text() == expected.label
    assert history.detail.image_panel.view.has_heatmap()

    pdf = tmp_path / "my report.pdf"
    history.detail.export_to(pdf)
    qtbot.waitUntil(lambda: history.detail.notice.isVisible(), timeout=30000)
    assert "saved" in history.detail.notice.text_label.text()
    assert pdf.read_bytes().startswith(b"%PDF")


def test_doctor_review_shows_in_history_and_dashboard(qtbot, services, window, mri_scan,
                                                      engine_ready):
    scan = window.navigate("new_scan")
    with qtbot.waitSignal(scan.result_ready, timeout=60000) as saved:
        scan.analyse_file(mri_scan)
    settle(qtbot)
    services.accounts.logout()
    services.accounts.login("dr.lee", "correct horse 1")
    services.reports.review(saved.args[0]["id"], "dr.lee", "approve",
                            notes="Agree with the finding. Please book a follow-up visit.")
    services.accounts.logout()
    services.accounts.login("anna", "correct horse 1")

    history = window.navigate("history")
    qtbot.waitUntil(lambda: history.model.rowCount() == 1
                    and history.model.index(0, 3).data() == "Reviewed — approved", timeout=5000)
    history.filter.setCurrentIndex(1)  # awaiting review
    assert history.list_stack.currentWidget() is history.filtered_empty
    history.filter.setCurrentIndex(2)  # approved
    assert history.proxy.rowCount() == 1
    dashboard = window.navigate("dashboard")
    qtbot.waitUntil(lambda: "follow-up" in dashboard.latest_notes.text(), timeout=5000)
    notifications = window.navigate("notifications")
    qtbot.waitUntil(lambda: notifications.model.rowCount() >= 1, timeout=5000)


def test_a_photo_gets_a_friendly_message_and_no_report(qtbot, services, window, photo_file,
                                                       engine_ready):
    scan = window.navigate("new_scan")
    with qtbot.waitSignal(scan.problem_shown, timeout=60000) as shown:
        drop_file(scan.drop_zone, photo_file)
    title = scan.problem.title_label.text()
    assert "brain MRI" in title and ("does not look like" in title or "looks like" in title)
    assert "Nothing was saved" in shown.args[0]
    # The refused picture stays in view (which file was it?), with no finding and no saved note.
    assert scan.result_area.isVisible() and scan.image_panel.view.has_image()
    assert scan.image_panel.title_label.text() == "The picture you chose"
    assert not scan.finding.isVisible() and not scan.saved_note.isVisible()
    assert scan.another.isVisible() and scan.another.text() == "Choose another file"
    assert not scan.open_history.isVisible() and not scan.image_panel.controls.isVisible()
    settle(qtbot)
    assert services.reports.for_patient("anna") == []


def test_an_unreadable_file_gets_a_friendly_message_and_no_report(qtbot, services, window,
                                                                  corrupt_file, engine_ready):
    scan = window.navigate("new_scan")
    with qtbot.waitSignal(scan.problem_shown, timeout=60000) as shown:
        scan.analyse_file(corrupt_file)
    assert "Traceback" not in shown.args[0] and "Nothing was saved" in shown.args[0]
    assert scan.problem.isVisible() and not scan.busy
    settle(qtbot)
    assert services.reports.for_patient("anna") == []


def test_an_empty_or_missing_file_is_explained_without_the_model(qtbot, services, window, tmp_path):
    scan = window.navigate("new_scan")
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    with qtbot.waitSignal(scan.problem_shown, timeout=10000) as shown:
        scan.analyse_file(empty)
    assert "empty" in shown.args[0]
    with qtbot.waitSignal(scan.problem_shown, timeout=10000) as shown:
        scan.analyse_file(tmp_path / "gone.jpg")
    assert "could not be read" in shown.args[0]
    settle(qtbot)
    assert services.reports.for_patient("anna") == []


def test_a_scan_the_store_cannot_keep_is_named_and_nothing_is_half_saved(qtbot, services, window, mri_scan,
                                                                        engine_ready):
    import hashlib

    # Where the scan's file would go is taken by a file: the store's write fails for real.
    digest = hashlib.sha256(mri_scan.read_bytes()).hexdigest()
    blocked = services.store.blobs.root / digest[:2]
    assert not blocked.exists()
    blocked.write_bytes(b"")
    scan = window.navigate("new_scan")
    with qtbot.waitSignal(scan.problem_shown, timeout=60000) as shown:
        scan.analyse_file(mri_scan)
    assert scan.problem.title_label.text() == "The scan could not be saved"
    assert shown.args[0].startswith(f"The scan “{mri_scan.name}” could not be saved on this computer")
    assert "Details for clinic staff" in shown.args[0]
    assert not scan.busy
    settle(qtbot)
    assert services.reports.for_patient("anna") == []
    blocked.unlink()
