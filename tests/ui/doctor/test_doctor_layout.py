"""The doctor's screens at 1100×760 and 1920×1080: nothing cut off, no sideways scrolling, and
the dashboard needs no scrolling at the default size."""

from __future__ import annotations

import pytest

from tests.ui.conftest import settle
from tests.ui.doctor.conftest import doctor_main_window
from tests.ui.test_layout_sizes import SIZES, _visit_all


@pytest.mark.parametrize("size", SIZES)
def test_doctor_screens_fit(qtbot, themed, services, clinic, size):
    window, reports = doctor_main_window(qtbot, services, clinic, size)
    problems = _visit_all(qtbot, window)
    reports.open_oldest_pending()
    window.open_screen("reports")
    settle(qtbot, 100)
    from tests.ui.test_layout_sizes import cut_off_texts, sideways_scrollbars

    review_problems = cut_off_texts(window) + sideways_scrollbars(window)
    assert (problems, review_problems) == ({}, [])
    window.open_screen("dashboard")
    settle(qtbot, 60)
    dashboard = window.screens["dashboard"].widget
    assert not dashboard.verticalScrollBar().isVisible()
    window.shutdown()


def test_a_long_file_name_gives_way_in_the_middle_of_the_review_header(qtbot, themed, services, clinic):
    report = dict(clinic["pending"][0], image_name="Tr-glTr_0001_" + "x" * 60 + "_axial_t1.jpg")
    services.store.collection("reports").put(report["id"], report)
    window, reports = doctor_main_window(qtbot, services, clinic, (1100, 760))
    reports.open_report_id(report["id"])
    window.open_screen("reports")
    settle(qtbot, 100)
    subtitle = reports.review.subtitle
    shown = subtitle.text()
    assert "…" in shown and shown.startswith("Scan of ") and shown.endswith("_axial_t1.jpg")
    assert subtitle.fontMetrics().horizontalAdvance(shown) <= subtitle.width()
    assert subtitle.toolTip().endswith(report["image_name"])
    window.shutdown()
