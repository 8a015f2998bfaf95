"""The heatmap on the review screen, from the real model: shown over the square the model saw."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QStackedWidget

from desktop_app.ui.doctor.data import show_screen
from desktop_app.ui.doctor.heatmaps import ScanLoader
from tests.ui.conftest import PASSWORD, settle


@pytest.fixture
def scanned_report(services, doctor, engine_ready, mri_scan):
    """A patient's real scan, predicted by the real engine and saved as a pending report."""
    services.accounts.register("anna", "anna@example.org", PASSWORD, "patient",
                               full_name="Anna Kowalska", doctor=doctor.username)
    prediction = engine_ready.predict_file(mri_scan)
    report = services.reports.create("anna", mri_scan.read_bytes(), mri_scan.name, prediction)
    services.accounts.logout()
    services.accounts.login(doctor.username, PASSWORD)
    return report, prediction


def test_heatmap_toggles_over_the_model_region(qtbot, services, scanned_report):
    from desktop_app.ui.doctor.screens import doctor_screens

    report, _prediction = scanned_report
    host = QStackedWidget()
    qtbot.addWidget(host)
    screens = {title: widget for title, _icon, widget in doctor_screens(services, host)}
    for widget in screens.values():
        host.addWidget(widget)
    host.resize(1280, 820)
    host.show()
    reports = screens["Reports"]
    show_screen(reports)
    qtbot.waitUntil(lambda: reports.model.report(report["id"]) is not None, timeout=10_000)
    assert reports.open_report_id(report["id"])
    view = reports.review.image_view
    qtbot.waitUntil(view.has_image, timeout=10_000)
    qtbot.waitUntil(view.heatmap_check.isEnabled, timeout=30_000)
    assert not view.heatmap_visible()

    view.canvas.setFocus()
    qtbot.keyClick(view.canvas, Qt.Key.Key_H)
    assert view.heatmap_visible() and view.heatmap_check.isChecked()
    scan = reports.review.loader.cached_scan(report["id"])
    x, y, width, height = scan.model_region
    placed = view._heat_item.sceneBoundingRect()
    assert (placed.x(), placed.y()) == pytest.approx((x, y), abs=0.5)
    assert (placed.width(), placed.height()) == pytest.approx((width, height), abs=0.5)
    qtbot.keyClick(reports.review.notes, Qt.Key.Key_H, Qt.KeyboardModifier.ControlModifier)
    assert not view.heatmap_visible()
    settle(qtbot)


def test_a_report_without_a_kept_heatmap_gets_one_from_the_engine(qtbot, services, scanned_report):
    report, prediction = scanned_report
    bare = {**report, "heatmap_hash": None}  # e.g. a report that arrived from the server
    services.store.collection("reports").put(report["id"], bare)
    loader = ScanLoader(services)
    with qtbot.waitSignal(loader.heatmap_ready, timeout=60_000) as arrived:
        loader.load_heatmap(report["id"])
    report_id, heat = arrived.args
    assert report_id == report["id"]
    assert heat.shape == prediction.heatmap.shape
    assert np.allclose(heat, prediction.heatmap, atol=1e-4)
    assert loader.cached_heatmap(report["id"]) is heat
    settle(qtbot)
