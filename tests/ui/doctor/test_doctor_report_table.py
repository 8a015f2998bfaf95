"""The reports table with 10,000 reports: tab, search, finding and date filters, and sorting."""

from __future__ import annotations

import time

import pytest
from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtWidgets import QTableView

from desktop_app.ui.doctor.report_model import (
    CONFIDENCE,
    DATE,
    LABEL,
    PATIENT,
    REPORT_ID_ROLE,
    REVIEWER,
    STATUS,
    ReportFilterProxy,
    ReportTableModel,
)
from devkit.report_factories import DAY_MS, make_reports

COUNT = 10_000


@pytest.fixture(scope="module")
def corpus():
    return make_reports(COUNT)


@pytest.fixture
def table(qtbot, corpus):
    reports, names = corpus
    model = ReportTableModel(lambda username: names.get(username, username))
    model.set_reports(reports)
    proxy = ReportFilterProxy()
    proxy.setSourceModel(model)
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(proxy)
    view.setSortingEnabled(True)
    view.resize(1000, 700)
    view.show()
    return model, proxy, view


def shown_ids(proxy) -> list[str]:
    return [proxy.index(row, 0).data(REPORT_ID_ROLE) for row in range(proxy.rowCount())]


def test_every_report_is_a_row_with_readable_cells(table, corpus):
    model, proxy, _view = table
    reports, names = corpus
    assert model.rowCount() == proxy.rowCount() == COUNT
    first = proxy.report_at(0)
    row = proxy.mapToSource(proxy.index(0, 0)).row()
    assert model.index(row, PATIENT).data() == names[first["username"]]
    assert model.index(row, LABEL).data() == first["label"]
    assert model.index(row, CONFIDENCE).data() == f"{first['confidence'] * 100:.0f}%"


@pytest.mark.parametrize("status", ["pending", "approved", "rejected"])
def test_status_tabs(table, corpus, status):
    _model, proxy, _view = table
    reports, _names = corpus
    proxy.set_filters(status=status)
    expected = {r["id"] for r in reports if r["status"] == status}
    assert set(shown_ids(proxy)) == expected
    assert 0 < len(expected) < COUNT


def test_search_by_patient_name_or_username(table, corpus):
    _model, proxy, _view = table
    reports, names = corpus
    proxy.set_filters(search="  OKAFOR ")
    expected = {r["id"] for r in reports if "okafor" in names[r["username"]].lower()}
    assert expected and set(shown_ids(proxy)) == expected
    proxy.set_filters(search="p0042")
    assert set(shown_ids(proxy)) == {r["id"] for r in reports if r["username"] == "p0042"}


def test_combined_filters_label_and_date(table, corpus):
    _model, proxy, _view = table
    reports, _names = corpus
    now = int(time.time() * 1000)
    start, end = now - 30 * DAY_MS, now - 5 * DAY_MS
    proxy.set_filters(status="pending", label_key="glioma", date_from=start, date_to=end)
    expected = {r["id"] for r in reports if r["status"] == "pending" and r["label_key"] == "glioma"
                and start <= r["timestamp"] < end}
    assert expected and set(shown_ids(proxy)) == expected
    proxy.set_filters(label_key=None, date_from=None, date_to=None)  # status kept
    assert proxy.rowCount() == sum(r["status"] == "pending" for r in reports)


@pytest.mark.parametrize("column, key", [
    (PATIENT, lambda r, n: n[r["username"]].lower()),
    (DATE, lambda r, n: r["timestamp"]),
    (CONFIDENCE, lambda r, n: r["confidence"]),
    (LABEL, lambda r, n: r["label"].lower()),
])
def test_sorting_by_header_matches_python_sort(table, corpus, column, key):
    _model, proxy, view = table
    reports, names = corpus
    proxy.set_filters(status="pending")
    pending = [r for r in reports if r["status"] == "pending"]
    for order in (Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder):
        view.sortByColumn(column, order)
        shown = [proxy.report_at(row) for row in range(proxy.rowCount())]
        values = [key(r, names) for r in shown]
        assert values == sorted(values, reverse=order == Qt.SortOrder.DescendingOrder)
        assert {r["id"] for r in shown} == {r["id"] for r in pending}


def test_status_and_reviewer_columns_sort(table):
    _model, proxy, view = table
    view.sortByColumn(STATUS, Qt.SortOrder.AscendingOrder)
    statuses = [proxy.report_at(row)["status"] for row in range(proxy.rowCount())]
    first_approved = statuses.index("approved")
    assert set(statuses[:statuses.index("rejected")]) == {"pending"}
    assert set(statuses[first_approved:]) == {"approved"}
    view.sortByColumn(REVIEWER, Qt.SortOrder.DescendingOrder)
    assert proxy.report_at(0)["reviewed_by"] == "dreed"


def test_selection_follows_its_report_through_a_sort(table):
    _model, proxy, view = table
    view.selectionModel().setCurrentIndex(
        proxy.index(123, 0),
        QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
    chosen = proxy.report_at(123)["id"]
    view.sortByColumn(PATIENT, Qt.SortOrder.AscendingOrder)
    view.sortByColumn(CONFIDENCE, Qt.SortOrder.DescendingOrder)
    assert proxy.report_at(view.currentIndex().row())["id"] == chosen


def test_a_review_moves_a_report_between_tabs_in_place(table, corpus):
    model, proxy, _view = table
    proxy.set_filters(status="pending")
    before = proxy.rowCount()
    report = dict(proxy.report_at(0))
    model.upsert({**report, "status": "approved", "reviewed_by": "dreed"})
    assert proxy.rowCount() == before - 1
    assert report["id"] not in shown_ids(proxy)
    proxy.set_filters(status="approved")
    assert report["id"] in shown_ids(proxy)
    model.upsert(report)  # back to pending (the module-scoped corpus is shared)
    assert model.rowCount() == COUNT


def test_new_reports_are_added_without_a_reset(table, corpus, qtbot):
    model, proxy, _view = table
    reports, _names = corpus
    fresh = {**reports[0], "id": "fresh-report", "status": "pending"}
    with qtbot.assertNotEmitted(model.modelReset):
        model.upsert(fresh)
    proxy.set_filters(status="pending", search=_names_search(fresh, corpus))
    assert "fresh-report" in shown_ids(proxy)
    model.remove("fresh-report")
    assert model.rowCount() == COUNT


def _names_search(report: dict, corpus) -> str:
    return corpus[1][report["username"]]
