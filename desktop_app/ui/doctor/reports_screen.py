"""Reports: Pending / All / Approved / Rejected tabs over one table, and the review it opens."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import QDate, QItemSelectionModel, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QStackedWidget,
    QTabBar,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.labels import label_texts
from desktop_app.ui.doctor.dicom_switch import DicomSwitch
from desktop_app.ui.doctor.keys import bind_keys
from desktop_app.ui.doctor.report_model import (
    CONFIDENCE,
    DATE,
    LABEL,
    PATIENT,
    REVIEWER,
    STATUS,
    ReportFilterProxy,
    ReportTableModel,
)
from desktop_app.ui.doctor.review import ReviewPanel
from desktop_app.ui.widgets.common import EmptyState, label

if TYPE_CHECKING:
    from desktop_app.core.services import AppServices

log = logging.getLogger(__name__)

TABS = (("pending", "Pending"), (None, "All"), ("approved", "Approved"), ("rejected", "Rejected"))
QUEUE_KEY = "Alt"  # Alt+1..4 switch queues; Ctrl+1..9 belong to the main window (screens)


def _day_start_ms(date: QDate) -> int:
    return int(datetime(date.year(), date.month(), date.day()).timestamp() * 1000)


class ReportsTable(QTableView):
    """The table: Enter opens the selected report, type-to-search is left to the search box."""

    open_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Reports")
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAlternatingRowColors(True)
        self.setShowGrid(False)
        self.setWordWrap(False)
        self.setSortingEnabled(True)
        vertical = self.verticalHeader()
        vertical.hide()
        # Fixed row heights: the header never measures 10,000 rows.
        vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vertical.setDefaultSectionSize(max(30, self.fontMetrics().height() + 14))
        header = self.horizontalHeader()
        header.setHighlightSections(False)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.doubleClicked.connect(lambda _index: self.open_requested.emit())

    def keyPressEvent(self, event) -> None:  # noqa: N802
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.open_requested.emit()
            return
        super().keyPressEvent(event)

    def size_columns(self) -> None:
        """Widths from the font (so 150% scaling still fits); the patient column takes the rest."""
        metrics = self.fontMetrics()
        padding = 4 * metrics.horizontalAdvance("M")
        widest_finding = max(label_texts().values(), key=metrics.horizontalAdvance, default="")
        samples = {DATE: "28 Nov 2026 14:05", LABEL: widest_finding, CONFIDENCE: "Confidence",
                   STATUS: "Pending review ⚠", REVIEWER: "Dr. Amelia Reed"}
        header = self.horizontalHeader()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(PATIENT, QHeaderView.ResizeMode.Stretch)
        for column, sample in samples.items():
            self.setColumnWidth(column, metrics.horizontalAdvance(sample) + padding)


class ReportsScreen(QWidget):
    """List ↔ review. Ctrl+F search, Alt+1..4 queues, Enter opens, Esc returns from a review.

    Queues use Alt+digit because the main window owns Ctrl+1..9 (screens): two shortcuts on one key
    cancel each other out in Qt, and neither worked.
    """

    counts_changed = Signal()

    def __init__(self, services: AppServices, doctor: str, name_of,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Reports")
        self.services = services
        self.doctor = doctor
        self._name_of = name_of
        self.model = ReportTableModel(name_of, self)
        self.proxy = ReportFilterProxy(self)
        self.proxy.setSourceModel(self.model)

        self.stack = QStackedWidget(self)
        self.list_page = self._build_list()
        self.review = ReviewPanel(services, doctor, self, self)
        self.review.back_requested.connect(self.show_list)
        self.review.decided.connect(self._on_decided)
        self.stack.addWidget(self.list_page)
        self.stack.addWidget(self.review)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.stack)
        self._install_shortcuts()
        self.set_tab("pending")

    # ----- ui.screen.Screen: the list and the review keep their place between visits -----------
    def entered(self) -> None:
        pass

    def refresh(self) -> None:
        pass  # the workspace pushes changes in (set_reports, upsert)

    def shutdown(self) -> None:
        pass

    # ----- building -----------------------------------------------------------------------
    def _build_list(self) -> QWidget:
        page = QWidget(self)
        page.setObjectName("screen")
        layout = QVBoxLayout(page)
        layout.setContentsMargins(32, 28, 32, 20)
        layout.setSpacing(12)
        header = QHBoxLayout()
        titles = QVBoxLayout()
        titles.setSpacing(2)
        titles.addWidget(label("Reports", "title"))
        self.summary = label("", "subtitle")
        titles.addWidget(self.summary)
        header.addLayout(titles, 1)
        self.dicom = DicomSwitch(self.services, page)
        header.addWidget(self.dicom)
        layout.addLayout(header)

        self.tabs = QTabBar(page)
        self.tabs.setAccessibleName("Report queues")
        self.tabs.setExpanding(False)
        self.tabs.setDrawBase(False)
        for number, (_status, title) in enumerate(TABS, start=1):
            self.tabs.addTab(title)
            self.tabs.setTabToolTip(number - 1, f"{title} ({QUEUE_KEY}+{number})")
        self.tabs.currentChanged.connect(self._on_tab_changed)
        layout.addWidget(self.tabs)

        filters = QHBoxLayout()
        filters.setSpacing(8)
        self.search = QLineEdit(page)
        self.search.setPlaceholderText("Search patient by name or username  (Ctrl+F)")
        self.search.setAccessibleName("Search patient")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(lambda text: self.proxy.set_filters(search=text))
        self.search.textChanged.connect(self._update_summary)
        self.search.returnPressed.connect(self._focus_table)
        filters.addWidget(self.search, 2)
        self.label_filter = QComboBox(page)
        self.label_filter.setAccessibleName("Filter by model finding")
        self.label_filter.addItem("All findings", None)
        for key, text in label_texts().items():
            self.label_filter.addItem(text, key)
        self.label_filter.currentIndexChanged.connect(self._on_label_filter)
        filters.addWidget(self.label_filter)
        self.date_check = QCheckBox("From", page)
        self.date_check.setAccessibleName("Filter by date")
        self.date_from = QDateEdit(page)
        self.date_to = QDateEdit(page)
        for edit, name in ((self.date_from, "From date"), (self.date_to, "To date")):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("dd MMM yyyy")
            edit.setAccessibleName(name)
            edit.setEnabled(False)
        today = QDate.currentDate()
        self.date_from.setDate(today.addDays(-30))
        self.date_to.setDate(today)
        for edit in (self.date_from, self.date_to):
            edit.dateChanged.connect(self._on_date_filter)
        self.date_check.toggled.connect(self._on_date_filter)
        filters.addWidget(self.date_check)
        filters.addWidget(self.date_from)
        filters.addWidget(QLabel("to", page))
        filters.addWidget(self.date_to)
        layout.addLayout(filters)

        self.table_stack = QStackedWidget(page)
        self.table = ReportsTable(page)
        self.table.setModel(self.proxy)
        self.table.size_columns()
        self.table.sortByColumn(DATE, Qt.SortOrder.DescendingOrder)
        self.table.open_requested.connect(self.open_selected)
        self.empty = EmptyState("check", "Nothing here", "", page)
        self.table_stack.addWidget(self.table)
        self.table_stack.addWidget(self.empty)
        layout.addWidget(self.table_stack, 1)
        layout.addWidget(label("Enter opens the selected report · Alt+1–4 switch queues · "
                               "Ctrl+F search", "muted"))
        for signal in (self.proxy.rowsInserted, self.proxy.rowsRemoved, self.proxy.modelReset,
                       self.proxy.layoutChanged):
            signal.connect(self._update_summary)
        return page

    def _install_shortcuts(self) -> None:
        bind_keys(self.list_page, [
            (("Ctrl+F",), self._focus_search),
            *[((f"{QUEUE_KEY}+{number}",), lambda status=status: self.set_tab(status))
              for number, (status, _title) in enumerate(TABS, start=1)],
        ])

    # ----- data ---------------------------------------------------------------------------
    def set_reports(self, reports: list[dict]) -> None:
        self.model.set_reports(reports)
        self._update_summary()
        self._select_first_if_none()
        self.counts_changed.emit()

    def upsert(self, report: dict) -> None:
        self.model.upsert(report)
        self.review.scan_arrived(report)
        self._update_summary()
        self.counts_changed.emit()

    def counts(self) -> dict[str, int]:
        return self.model.status_counts()

    # ----- ReviewNavigator ----------------------------------------------------------------
    def pending_ids(self) -> list[str]:
        """Pending reports in the table's current order (the Pending tab's order: oldest first
        unless the doctor sorts it otherwise)."""
        return self.model.pending_ids()

    def next_pending(self, after_report_id: str | None) -> dict | None:
        """The pending report after `after_report_id` in the Pending tab's order (wrapping)."""
        queue = self.pending_ids()
        if not queue:
            return None
        start = 0
        if after_report_id is not None:
            try:
                start = queue.index(after_report_id) + 1
            except ValueError:  # just decided, so no longer pending: continue from its place
                start = self._pending_before(after_report_id)
        for offset in range(len(queue)):
            candidate = queue[(start + offset) % len(queue)]
            if candidate != after_report_id:
                return self.model.report(candidate)
        return None

    def _pending_before(self, report_id: str) -> int:
        """How many pending reports come before `report_id` in the table's order."""
        position = self.model.row_of(report_id)
        if position is None:
            return 0
        return sum(1 for row in self.model.rows()[:position] if row.status == "pending")

    def pending_position(self, report_id: str) -> tuple[int, int] | None:
        queue = self.pending_ids()
        if report_id not in queue:
            return None
        return queue.index(report_id) + 1, len(queue)

    def history(self, username: str) -> list[dict]:
        """That patient's reports, newest first (from the table: no disk read)."""
        return self.model.reports_of(username)

    def name_of(self, username: str) -> str:
        return self._name_of(username)

    # ----- tabs and filters ---------------------------------------------------------------
    def set_tab(self, status: str | None) -> None:
        index = next(i for i, (tab_status, _t) in enumerate(TABS) if tab_status == status)
        if self.tabs.currentIndex() != index:
            self.tabs.setCurrentIndex(index)
        else:
            self._on_tab_changed(index)

    def current_tab(self) -> str | None:
        return TABS[self.tabs.currentIndex()][0]

    def _on_tab_changed(self, index: int) -> None:
        status = TABS[index][0]
        # Pending is a queue: the scan waiting longest on top, where "Start reviewing" begins and
        # "Next pending" goes on from; the other tabs are records, newest first.
        self.table.sortByColumn(DATE, Qt.SortOrder.AscendingOrder if status == "pending"
                                else Qt.SortOrder.DescendingOrder)
        self.proxy.set_filters(status=status)
        self.table.setColumnHidden(REVIEWER, status == "pending")
        self._update_summary()
        self._select_first_if_none()

    def _on_label_filter(self) -> None:
        self.proxy.set_filters(label_key=self.label_filter.currentData())
        self._update_summary()

    def _on_date_filter(self) -> None:
        enabled = self.date_check.isChecked()
        self.date_from.setEnabled(enabled)
        self.date_to.setEnabled(enabled)
        if enabled:
            self.proxy.set_filters(date_from=_day_start_ms(self.date_from.date()),
                                   date_to=_day_start_ms(self.date_to.date().addDays(1)))
        else:
            self.proxy.set_filters(date_from=None, date_to=None)
        self._update_summary()

    def set_date_range(self, start: datetime | None, end: datetime | None) -> None:
        """Filter to [start, end] calendar days (None turns the date filter off)."""
        if start is None or end is None:
            self.date_check.setChecked(False)
            return
        self.date_from.setDate(QDate(start.year, start.month, start.day))
        self.date_to.setDate(QDate(end.year, end.month, end.day))
        self.date_check.setChecked(True)
        self._on_date_filter()

    def _update_summary(self, *_args) -> None:
        shown = self.proxy.rowCount()
        counts = self.counts()
        self.summary.setText(f"{counts['pending']} pending · {counts['all']} in all · "
                             f"showing {shown}")
        if shown == 0:
            status = self.current_tab()
            filtered = bool(self.search.text() or self.label_filter.currentData()
                            or self.date_check.isChecked())
            if filtered:
                self.empty.title.setText("No reports match")
                self.empty.body.setText("Clear the search or filters to see more reports.")
            elif status == "pending":
                self.empty.title.setText("All caught up")
                self.empty.body.setText("No scans are waiting for your review.")
            else:
                self.empty.title.setText("No reports yet")
                self.empty.body.setText("Reports of your patients appear here after they "
                                        "upload a scan.")
        self.table_stack.setCurrentWidget(self.table if shown else self.empty)

    # ----- list ↔ review ------------------------------------------------------------------
    def _select_first_if_none(self) -> None:
        if self.proxy.rowCount() and not self.table.selectionModel().hasSelection():
            self.table.selectionModel().setCurrentIndex(
                self.proxy.index(0, 0),
                QItemSelectionModel.SelectionFlag.ClearAndSelect
                | QItemSelectionModel.SelectionFlag.Rows)

    def _focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    def _focus_table(self) -> None:
        self._select_first_if_none()
        self.table.setFocus()

    def selected_report(self) -> dict | None:
        index = self.table.currentIndex()
        return self.proxy.report_at(index.row()) if index.isValid() else None

    def open_selected(self) -> None:
        report = self.selected_report()
        if report is not None:
            self.open_report(report)

    def open_report(self, report: dict) -> None:
        self.stack.setCurrentWidget(self.review)
        self.review.open_report(self.model.report(report["id"]) or report)
        self.review.notes.setFocus()

    def open_report_id(self, report_id: str) -> bool:
        report = self.model.report(report_id)
        if report is None:
            return False
        self.open_report(report)
        return True

    def open_oldest_pending(self) -> bool:
        pending = [row.report for row in self.model.rows() if row.status == "pending"]
        if not pending:
            return False
        self.set_tab("pending")  # "Next pending" then goes on in the queue's order, oldest first
        self.open_report(min(pending, key=lambda report: report.get("timestamp") or 0))
        return True

    def show_list(self) -> None:
        self.stack.setCurrentWidget(self.list_page)
        current = self.review.report
        if current is not None:  # land on the report just reviewed, if this tab shows it
            row = self.proxy.proxy_row_of(current["id"])
            if row is not None:
                self.table.selectRow(row)
                self.table.scrollTo(self.proxy.index(row, 0))
        self._select_first_if_none()
        self.table.setFocus()

    def in_review(self) -> bool:
        return self.stack.currentWidget() is self.review

    def _on_decided(self, report: dict) -> None:
        self.upsert(report)

