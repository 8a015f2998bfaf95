"""A report whose scan has not arrived yet says so on the review screen and in its PDF."""

from __future__ import annotations

from desktop_app.core.sync.wire import SCAN_DOWNLOADING
from desktop_app.ui.report_pdf import build_document


def _still_downloading(services, report: dict) -> dict:
    """What a pull leaves when the scan's download failed: no image, the mark, the retry list entry."""
    doc = {**report, "image_hash": None, SCAN_DOWNLOADING: True}
    services.store.collection("reports").put(report["id"], doc)
    return doc


def test_review_screen_says_the_scan_is_still_downloading(qtbot, services, clinic, request):
    report = _still_downloading(services, clinic["pending"][0])
    _host, screens = request.getfixturevalue("desk")
    reports = screens["Reports"]
    assert reports.open_report_id(report["id"])
    view = reports.review.image_view
    qtbot.waitUntil(lambda: "still downloading" in view.placeholder_text(), timeout=10_000)
    assert not view.has_image()
    arrived = {**clinic["pending"][0], "scan_downloading": None}  # a later pass brought it
    services.store.collection("reports").put(report["id"], arrived)
    reports.upsert(arrived)
    qtbot.waitUntil(view.has_image, timeout=10_000)


def test_pdf_says_why_the_scan_is_not_in_it(qtbot, services, clinic):
    report = _still_downloading(services, clinic["pending"][0])
    names = {"scan": None, "overlay": None, "clinic_name": "Clinic", "patient_name": "Anna Kowalska", "reviewer_name": None}
    document = build_document(report, **names)
    assert "The scan is still downloading from the server" in document.toPlainText()
    without = build_document({**report, SCAN_DOWNLOADING: False}, **names)
    assert "The scan is not available on this computer" in without.toPlainText()
