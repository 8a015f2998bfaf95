"""History: every report of mine, newest first, filter by status, read-only detail, PDF export."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QSortFilterProxyModel, Qt, Signal
from PySide6.QtGui import QImage
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.errors import user_message_of
from desktop_app.ui.patient.context import PatientContext
from desktop_app.ui.patient.files import (
    free_name,
    is_allowed,
    kiosk_export_dir,
    pdf_file_name,
    user_folder,
)
from desktop_app.ui.patient.models import ReportTableModel, StatusRole
from desktop_app.ui.patient.result_view import FindingCard, ScanImagePanel
from desktop_app.ui.widgets.common import (
    STATUS_TEXT,
    Banner,
    EmptyState,
    Screen,
    button,
    format_time,
    label,
)
from desktop_app.ui.widgets.image_view import qimage_to_array
from desktop_app.ui.workers import run_in_background

log = logging.getLogger(__name__)

FILTERS = (("All results", None), ("Awaiting review", "pending"), ("Approved", "approved"),
           ("Not confirmed", "rejected"))


class StatusFilter(QSortFilterProxyModel):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.status: str | None = None

    def set_status(self, status: str | None) -> None:
        self.beginFilterChange()
        self.status = status
        self.endFilterChange()

    def filterAcceptsRow(self, row: int, parent) -> bool:  # noqa: N802
        if self.status is None:
            return True
        index = self.sourceModel().index(row, 0, parent)
        return index.data(StatusRole) == self.status


class ReportDetail(QWidget):
    """Read-only view of one report: image, heatmap, finding, bars, status and doctor's notes."""

    back_requested = Signal()

    def __init__(self, ctx: PatientContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.report: dict | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(12)
        bar = QHBoxLayout()
        self.back = button("← All results", "link", accessible="Back to all results")
        self.back.clicked.connect(self.back_requested.emit)
        self.heading = label("", "section")
        self.export = button("Export PDF…", accessible="Export this report as a PDF")
        self.export.clicked.connect(self.export_pdf)
        # A kiosk saves only into its export folder, without a file dialog (one could browse anywhere).
        self.export_dir = kiosk_export_dir(ctx.services.settings) if ctx.kiosk else None
        if ctx.kiosk:
            self.export.setText("Save as PDF")
            self.export.setVisible(self.export_dir is not None)
        bar.addWidget(self.back)
        bar.addSpacing(8)
        bar.addWidget(self.heading, 1)
        bar.addWidget(self.export)
        layout.addLayout(bar)
        self.notice = Banner("", "info")
        self.notice.setVisible(False)
        layout.addWidget(self.notice)
        columns = QHBoxLayout()
        columns.setSpacing(16)
        self.image_panel = ScanImagePanel("Scan")
        self.finding = FindingCard()
        columns.addWidget(self.image_panel, 5)
        right = QVBoxLayout()
        right.addWidget(self.finding)
        right.addStretch(1)
        columns.addLayout(right, 4)
        layout.addLayout(columns, 1)

    def show_report(self, report: dict) -> None:
        self.report = report
        self.notice.setVisible(False)
        self.heading.setText(f"Scan of {format_time(report.get('timestamp'), relative=False)} · "
                             f"{report.get('image_name') or 'scan'}")
        self.finding.show_result(
            label_text=report.get("label") or "—", confidence=report.get("confidence"),
            probabilities=report.get("probabilities") or {},
            model_version=report.get("model_version") or "", when_ms=report.get("timestamp"),
            timings_ms=report.get("timings_ms"), report=report)
        self.image_panel.clear()
        self.image_panel.set_hint("Loading the scan…")
        report_id = report["id"]
        reviewer = report.get("reviewed_by")
        if reviewer:
            run_in_background(self.ctx.services.accounts.get, reviewer, owner=self,
                              on_result=lambda user: user and self._reviewer_loaded(report_id, user))
        run_in_background(_load_images, self.ctx.services.reports, report_id, owner=self,
                          on_result=lambda images: self._show_images(report_id, images),
                          on_error=lambda exc: self.image_panel.set_hint(
                              user_message_of(
                                  exc, "The scan image could not be loaded on this computer.")))

    def _reviewer_loaded(self, report_id: str, user) -> None:
        if self.report is not None and self.report["id"] == report_id:
            self.finding.set_reviewer_name(user.display_name)

    def _show_images(self, report_id: str, images: tuple) -> None:
        if self.report is None or self.report["id"] != report_id:
            return
        image, heatmap = images
        self.image_panel.set_hint("" if image is not None else "The scan image could not be shown.")
        if image is not None:
            self.image_panel.show_image(image, heatmap, heat_on=False)

    def export_pdf(self) -> None:
        if self.report is None:
            return
        suggested = pdf_file_name(self.report.get("timestamp"))
        if self.ctx.kiosk:
            if self.export_dir is not None:
                self.export_to(free_name(self.export_dir, suggested))
            return
        path, _ = QFileDialog.getSaveFileName(self, "Save report as PDF",
                                              str(user_folder("documents") / suggested), "PDF (*.pdf)")
        if path:
            self.export_to(Path(path if path.lower().endswith(".pdf") else path + ".pdf"))

    def export_to(self, target: Path) -> None:
        """Writes the open report as a PDF off the UI thread and says where it went."""
        from desktop_app.ui.report_pdf import export_report_pdf

        if self.ctx.kiosk and (self.export_dir is None or not is_allowed(target, [self.export_dir])):
            self._notice("On this kiosk, reports can only be saved to the clinic's export folder.", "error")
            return
        self.export.setEnabled(False)
        run_in_background(
            export_report_pdf, self.ctx.services, self.report["id"], target, owner=self,
            on_result=lambda out: self._notice(f"The report was saved as {out}.", "info"),
            on_error=lambda exc: self._notice(
                user_message_of(exc, f"The PDF could not be saved there ({exc}). "
                                     "Please choose another folder."),
                "error"),
            on_finished=lambda: self.export.setEnabled(True))

    def _notice(self, text: str, kind: str) -> None:
        self.notice.setObjectName(f"{kind}Banner")
        self.notice.style().unpolish(self.notice)
        self.notice.style().polish(self.notice)
        self.notice.set_text(text)
        self.notice.setVisible(True)

    def clear(self) -> None:
        self.report = None
        self.image_panel.clear()


def _load_images(reports, report_id: str) -> tuple:
    """Worker thread: the model's view of the scan and its heatmap (falls back to the original)."""
    heatmap = None
    model_png = reports.model_image_png(report_id)
    heat_png = reports.heatmap_png(report_id)
    data = model_png if model_png else reports.image(report_id)
    image = QImage.fromData(data)
    if image.isNull():
        return None, None
    if heat_png:
        heat_image = QImage.fromData(heat_png).convertToFormat(QImage.Format.Format_Grayscale8)
        if not heat_image.isNull():
            heatmap = qimage_to_array(heat_image).astype("float32") / 255.0
    return image, heatmap


class HistoryScreen(Screen):
    def __init__(self, ctx: PatientContext) -> None:
        super().__init__("History", "Every scan you have uploaded, newest first.")
        self.ctx = ctx
        self.model = ReportTableModel(self)
        self.proxy = StatusFilter(self)
        self.proxy.setSourceModel(self.model)
        self.pages = QStackedWidget(self)
        self.content.addWidget(self.pages, 1)

        list_page = QWidget(self)
        column = QVBoxLayout(list_page)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(12)
        bar = QHBoxLayout()
        bar.addWidget(label("Show", "muted"))
        self.filter = QComboBox(self)
        self.filter.setAccessibleName("Filter by review status")
        for text, status in FILTERS:
            self.filter.addItem(text, status)
        self.filter.currentIndexChanged.connect(self._filter_changed)
        bar.addWidget(self.filter)
        bar.addStretch(1)
        self.open_button = button("Open", "primary", accessible="Open the selected result")
        self.open_button.clicked.connect(self._open_selected)
        bar.addWidget(self.open_button)
        column.addLayout(bar)

        self.table = QTableView(self)
        self.table.setAccessibleName("Your results")
        self.table.setModel(self.proxy)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(40)
        header = self.table.horizontalHeader()
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        # Fixed widths: measuring every row's contents would make a long history slow to open.
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for section, width in enumerate((150, 160, 110, 190)):
            header.resizeSection(section, width)
        header.setStretchLastSection(True)
        self.table.activated.connect(lambda index: self.open_report(self._report_at(index)))
        self.table.doubleClicked.connect(lambda index: self.open_report(self._report_at(index)))
        self.empty = EmptyState("history", "No results yet",
                                "Your scans and their review status will appear here.")
        start = button("Upload a scan", "primary")
        start.clicked.connect(self.ctx.upload_scan)
        self.empty.add_action(start)
        self.filtered_empty = EmptyState("history", "Nothing here",
                                         "No results have this review status.")
        self.list_stack = QStackedWidget(self)
        for widget in (self.table, self.empty, self.filtered_empty):
            self.list_stack.addWidget(widget)
        column.addWidget(self.list_stack, 1)
        self.pages.addWidget(list_page)

        self.detail = ReportDetail(ctx, self)
        self.detail.back_requested.connect(self.show_list)
        self.pages.addWidget(self.detail)
        self.list_page = list_page

    def entered(self) -> None:
        """Opened from the side menu: the list, not whichever report was open last time."""
        if self.pages.currentWidget() is not self.list_page:
            self.detail.clear()
            self.pages.setCurrentWidget(self.list_page)  # focus stays in the side menu

    def refresh(self) -> None:
        self.run(self.ctx.services.reports.for_patient, self.ctx.username,
                 on_result=self._show_reports)

    def _fit_status_column(self) -> None:
        """The status column fits its longest words ("Reviewed — not confirmed", cut off before);
        measured once the stylesheet's font is in place, not at construction."""
        metrics = self.table.fontMetrics()
        needed = max(metrics.horizontalAdvance(text) for text in STATUS_TEXT.values()) + 40
        header = self.table.horizontalHeader()
        if header.sectionSize(3) < needed:
            header.resizeSection(3, needed)

    def _show_reports(self, reports: list[dict]) -> None:
        self._fit_status_column()
        self.model.set_reports(reports)
        self._update_empty()
        if self.detail.report is not None:  # keep an open detail current (e.g. a review arrived)
            fresh = next((r for r in reports if r["id"] == self.detail.report["id"]), None)
            if fresh is not None and fresh != self.detail.report:
                self.detail.finding.show_result(
                    label_text=fresh.get("label") or "—", confidence=fresh.get("confidence"),
                    probabilities=fresh.get("probabilities") or {},
                    model_version=fresh.get("model_version") or "",
                    when_ms=fresh.get("timestamp"), timings_ms=fresh.get("timings_ms"),
                    report=fresh)
                self.detail.report = fresh

    def _update_empty(self) -> None:
        if self.model.rowCount() == 0:
            self.list_stack.setCurrentWidget(self.empty)
        elif self.proxy.rowCount() == 0:
            self.list_stack.setCurrentWidget(self.filtered_empty)
        else:
            self.list_stack.setCurrentWidget(self.table)
        self.open_button.setEnabled(self.proxy.rowCount() > 0)

    def _filter_changed(self) -> None:
        self.proxy.set_status(self.filter.currentData())
        self._update_empty()

    def _report_at(self, index) -> dict:
        return self.model.report(self.proxy.mapToSource(index).row())

    def _open_selected(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        index = rows[0] if rows else self.proxy.index(0, 0)
        if index.isValid():
            self.open_report(self._report_at(index))

    def open_report(self, report: dict) -> None:
        self.detail.show_report(report)
        self.pages.setCurrentWidget(self.detail)
        self.detail.back.setFocus()

    def open_report_id(self, report_id: str) -> None:
        """Opens a report by id (from a notification), loading it first."""
        self.run(self.ctx.services.reports.get, report_id,
                 on_result=lambda report: report and self.open_report(report))

    def show_list(self) -> None:
        self.detail.clear()
        self.pages.setCurrentWidget(self.list_page)
        self.table.setFocus()
