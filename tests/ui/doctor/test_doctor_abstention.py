"""A report whose scan the model could not judge warns the doctor to read it himself."""

from __future__ import annotations

import pytest

from desktop_app.ui.doctor.data import show_screen


@pytest.fixture
def abstained_report(services, clinic):
    report = clinic["pending"][-1]
    report["abstained"] = True
    services.store.collection("reports").put(report["id"], report)
    return report


def test_the_doctor_is_told_to_read_the_scan_himself(qtbot, abstained_report, desk):
    _host, screens = desk
    reports = screens["Reports"]
    show_screen(reports)
    assert reports.open_report_id(abstained_report["id"])
    review = reports.review
    qtbot.waitUntil(lambda: review.report is not None and review.report["id"] == abstained_report["id"], timeout=10_000)
    assert "could not judge this scan" in review.mri_verdict.text()
