"""The doctor's DICOM screens with real widgets: receive switch, slice strip, Find in PACS; the patient's key slice."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import Qt

from desktop_app.ui.doctor.slice_strip import SLICE_ROLE, SliceStrip
from devkit.dicom_scu import send
from devkit.dicom_series import encode, make_series
from tests.dicom.conftest import orthanc  # noqa: F401  (the real PACS fixture)
from tests.dicom.orthanc import AE_TITLE, free_port
from tests.ui.conftest import PASSWORD


def _listen(qtbot, reports_screen, services) -> int:
    port = free_port()
    services.settings.set("dicom", {**(services.settings.get("dicom", {}) or {}), "port": port})
    switch = reports_screen.dicom
    qtbot.mouseClick(switch.listen_button, Qt.MouseButton.LeftButton)
    assert switch.listen_button.isChecked()
    assert switch.status.text() == f"Receiving as TUMORPREDICT on port {port}"
    return port


def _stop(qtbot, reports_screen) -> None:
    switch = reports_screen.dicom
    qtbot.mouseClick(switch.listen_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: switch.listen_button.isEnabled() and switch.receiver is None, timeout=60_000)


def _receive(qtbot, services, desk, series):
    host, screens = desk
    reports = screens["Reports"]
    host.setCurrentWidget(reports)
    before = reports.model.rowCount()
    port = _listen(qtbot, reports, services)
    assert send(port, series) == [0] * len(series)
    qtbot.waitUntil(lambda: reports.model.rowCount() == before + 1, timeout=60_000)
    _stop(qtbot, reports)
    return reports, next(row.report for row in reports.model.rows() if row.report.get("source") == "dicom")


def test_the_switch_receives_a_series_and_its_report_opens_on_the_key_slice(qtbot, services, desk, engine_ready):
    series = make_series("glioma_1.jpg", slices=10, size=256, patient_id="anna", description="AX T1 POST")
    reports, report = _receive(qtbot, services, desk, series)
    assert report["status"] == "pending" and report["username"] == "anna"
    reports.open_report(report)
    review = reports.review
    assert review.title.text() == "Anna Kowalska" and review.subtitle.text().startswith("AX T1 POST · study of")
    strip = review.findChild(SliceStrip)
    assert strip.isVisible() and strip.list.count() == len(report["series"]["slices"])
    assert strip.list.currentRow() == 0 and strip.list.item(0).text().startswith("★ Key")
    assert report["series"]["summary"] in strip.caption.text()
    qtbot.waitUntil(review.image_view.has_image, timeout=20_000)
    key_pixels = review.image_view.displayed_pixels().copy()
    key_image = strip.current_slice()[0]["model_image_hash"]
    # scroll to a slice that looks different (the generated series mirrors around its middle)
    row = next(i for i in range(strip.list.count())
               if strip.list.item(i).data(SLICE_ROLE)[0]["model_image_hash"] != key_image)
    strip.list.setCurrentRow(row)
    other = strip.current_slice()[0]
    qtbot.waitUntil(lambda: review.heatmap_note.text().startswith(f"slice {other['index'] + 1}: "), timeout=20_000)
    assert review.image_view.has_heatmap()
    assert review.image_view.displayed_pixels().shape != key_pixels.shape or \
        not np.array_equal(review.image_view.displayed_pixels(), key_pixels)
    qtbot.waitUntil(lambda: strip.list.item(0).icon().availableSizes() != [], timeout=20_000)  # thumbnails


def test_a_series_of_a_patient_without_an_account_shows_the_scanner_name(qtbot, services, desk, engine_ready):
    reports, report = _receive(qtbot, services, desk,
                               make_series(slices=4, size=128, patient_id="EXT-9", patient_name="Walk^In"))
    assert report["username"] is None
    row = next(i for i, r in enumerate(reports.model.rows()) if r.report["id"] == report["id"])
    assert reports.model.index(row, 0).data() == "Walk In (ID EXT-9, no account)"


def test_a_taken_port_is_said_in_words(qtbot, services, desk):
    import socket

    _host, screens = desk
    switch = screens["Reports"].dicom
    with socket.socket() as taken:
        taken.bind(("", 0))
        taken.listen()
        services.settings.set("dicom", {"port": taken.getsockname()[1]})
        qtbot.mouseClick(switch.listen_button, Qt.MouseButton.LeftButton)
        assert not switch.listen_button.isChecked() and switch.receiver is None
        assert "cannot be opened for DICOM" in switch.status.text()


def test_find_in_pacs_pulls_an_older_study_of_the_same_patient(qtbot, services, desk, engine_ready, orthanc):  # noqa: F811
    older = make_series("glioma_3.jpg", slices=6, size=128, patient_id="anna", patient_name="Kowalska^Anna",
                        study_date="20230412", description="AX T1 2023")
    for ds in older:
        orthanc.upload(encode(ds))
    services.settings.set("dicom", {"pacs": {"ae_title": AE_TITLE, "host": "127.0.0.1", "port": orthanc.dicom_port}})
    current = make_series("glioma_1.jpg", slices=6, size=128, patient_id="anna", description="AX T1 TODAY")
    reports, report = _receive(qtbot, services, desk, current)
    reports.open_report(report)
    review = reports.review
    qtbot.mouseClick(review.pacs_button, Qt.MouseButton.LeftButton)
    from desktop_app.ui.doctor.pacs_dialog import PacsDialog

    dialog = review.findChild(PacsDialog)
    assert dialog.id_edit.text() == "anna"  # the open report's patient
    qtbot.mouseClick(dialog.search_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.table.rowCount() >= 1, timeout=30_000)
    row = next(r for r in range(dialog.table.rowCount()) if dialog.table.item(r, 3).text() == "AX T1 2023")
    assert dialog.table.item(row, 0).text() == "12 Apr 2023"
    dialog.table.selectRow(row)
    with qtbot.waitSignal(dialog.retrieved, timeout=60_000) as pulled:
        qtbot.mouseClick(dialog.retrieve_button, Qt.MouseButton.LeftButton)
    assert pulled.args[0]["series"]["study_date"] == "20230412"
    assert dialog.status.text().startswith("Done: a pending report for “AX T1 2023”")
    qtbot.waitUntil(lambda: any(r.report["id"] == pulled.args[0]["id"] for r in reports.model.rows()), timeout=20_000)
    reports.open_report(report)  # the pulled study is now among this patient's other reports
    assert any(pulled.args[0]["id"] == review.history_list.item(i).data(Qt.ItemDataRole.UserRole)["id"]
               and review.history_list.item(i).text().startswith("study of 12 Apr 2023 · ")
               for i in range(review.history_list.count()))
    dialog.close()


def test_find_in_pacs_without_a_pacs_says_how_to_set_one(qtbot, services, desk):
    from desktop_app.ui.doctor.pacs_dialog import PacsDialog

    dialog = PacsDialog(services, patient_id="anna")
    qtbot.addWidget(dialog)
    qtbot.mouseClick(dialog.search_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "config set pacs" in dialog.status.text(), timeout=10_000)


@pytest.fixture
def patient_window(qtbot, services):
    from desktop_app.ui.app import build_main_window

    services.accounts.logout()
    services.accounts.login("anna", PASSWORD)
    win = build_main_window(services, services.accounts.current_user)
    qtbot.addWidget(win)
    win.resize(1280, 820)
    win.show()
    yield win
    win.shutdown()


def test_the_patient_sees_only_the_key_slice(qtbot, services, desk, engine_ready, request):
    _reports, report = _receive(qtbot, services, desk, make_series(slices=8, size=128, patient_id="anna"))
    window = request.getfixturevalue("patient_window")
    history = window.navigate("history")
    qtbot.waitUntil(lambda: history.model.rowCount() == 4, timeout=10_000)  # anna's three plus the series
    history.open_report(services.reports.get(report["id"]))
    qtbot.waitUntil(lambda: history.detail.image_panel.view.has_image(), timeout=10_000)
    key = report["series"]["slices"][report["series"]["key_slice"]]
    assert report["model_image_hash"] == key["model_image_hash"]
    expected = np.asarray(Image.open(io.BytesIO(services.store.blobs.get(key["model_image_hash"]))).convert("L"))
    assert np.array_equal(history.detail.image_panel.view._pixels, expected)
    assert window.findChildren(SliceStrip) == []
