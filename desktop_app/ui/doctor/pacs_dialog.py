"""Find in PACS: search the clinic's PACS for a patient's MR series and pull one here for triage."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDateEdit,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop_app.ui.doctor.formatting import study_date_text
from desktop_app.ui.widgets.common import button, label
from desktop_app.ui.workers import run_in_background

if TYPE_CHECKING:
    from desktop_app.core.services import AppServices

COLUMNS = ("Study date", "Patient", "Study", "Series", "Images")


def _search(services: AppServices, query):
    from desktop_app.core.dicom.pacs import Pacs

    return Pacs(services).find(query)


def _retrieve(services: AppServices, match):
    from desktop_app.core.dicom.pacs import Pacs

    return Pacs(services).retrieve(match.study_uid, match.series_uid)


class PacsDialog(QDialog):
    """Search by name or ID and a study date range; Retrieve pulls the chosen series (C-GET or DICOMweb).

    The pulled series is triaged like one from the scanner; its pending report appears in the queue.
    `retrieved(report)` after each one.
    """

    retrieved = Signal(dict)

    def __init__(self, services: AppServices, *, patient_id: str = "",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.matches: list = []
        self.setWindowTitle("Find in PACS")
        self.setAccessibleName("Find in PACS")
        self.setMinimumSize(720, 420)
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.name_edit = QLineEdit(self)
        self.name_edit.setPlaceholderText("e.g. Doe*  (* matches anything)")
        self.name_edit.setAccessibleName("Patient name")
        self.id_edit = QLineEdit(patient_id, self)
        self.id_edit.setAccessibleName("Patient ID")
        form.addRow("Patient &name:", self.name_edit)
        form.addRow("Patient &ID:", self.id_edit)
        dates = QHBoxLayout()
        self.date_check = QCheckBox("Only studies from", self)
        self.date_from, self.date_to = QDateEdit(self), QDateEdit(self)
        today = QDate.currentDate()
        for edit, start in ((self.date_from, today.addYears(-5)), (self.date_to, today)):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("dd MMM yyyy")
            edit.setDate(start)
        dates.addWidget(self.date_check)
        dates.addWidget(self.date_from)
        dates.addWidget(QLabel("to", self))
        dates.addWidget(self.date_to)
        dates.addStretch(1)
        form.addRow("Dates:", dates)
        layout.addLayout(form)
        self.search_button = button("&Search", "primary", accessible="Search the PACS")
        self.search_button.clicked.connect(self.search)
        self.id_edit.returnPressed.connect(self.search)
        self.name_edit.returnPressed.connect(self.search)
        layout.addWidget(self.search_button, 0, Qt.AlignmentFlag.AlignLeft)
        self.table = QTableWidget(0, len(COLUMNS), self)
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setAccessibleName("MR series found in the PACS, newest first")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.doubleClicked.connect(lambda _index: self.retrieve())
        layout.addWidget(self.table, 1)
        self.status = label("", "muted", wrap=True)
        self.status.setAccessibleName("Search status")
        layout.addWidget(self.status)
        row = QHBoxLayout()
        self.retrieve_button = button("&Retrieve and triage", accessible="Pull the chosen series here")
        self.retrieve_button.setEnabled(False)
        self.retrieve_button.clicked.connect(self.retrieve)
        close = button("Close")
        close.clicked.connect(self.reject)
        row.addWidget(self.retrieve_button)
        row.addStretch(1)
        row.addWidget(close)
        layout.addLayout(row)
        self.table.itemSelectionChanged.connect(
            lambda: self.retrieve_button.setEnabled(bool(self.table.selectedItems())))

    def query(self):
        from desktop_app.core.dicom.query import PatientQuery

        use_dates = self.date_check.isChecked()
        return PatientQuery(self.name_edit.text().strip(), self.id_edit.text().strip(),
                            self.date_from.date().toString("yyyyMMdd") if use_dates else "",
                            self.date_to.date().toString("yyyyMMdd") if use_dates else "")

    def search(self) -> None:
        self.status.setText("Searching the PACS…")
        self.search_button.setEnabled(False)
        run_in_background(_search, self.services, self.query(), owner=self,
                          on_result=self._show_matches, on_error=self._failed,
                          on_finished=lambda: self.search_button.setEnabled(True))

    def _show_matches(self, matches: list) -> None:
        self.matches = matches
        self.table.setRowCount(len(matches))
        for row, match in enumerate(matches):
            texts = (study_date_text(match.study_date), f"{match.patient_name} ({match.patient_id})",
                     match.study_description, match.series_description,
                     "" if match.instances is None else str(match.instances))
            for column, text in enumerate(texts):
                self.table.setItem(row, column, QTableWidgetItem(text))
        self.table.resizeColumnsToContents()
        self.status.setText(f"{len(matches)} MR series found." if matches else "No MR series found.")

    def retrieve(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return
        match = self.matches[rows[0].row()]
        self.status.setText(f"Pulling “{match.series_description}” of {study_date_text(match.study_date)} "
                            "and reading its slices…")
        self.retrieve_button.setEnabled(False)
        run_in_background(_retrieve, self.services, match, owner=self, on_result=self._retrieved,
                          on_error=self._failed, on_finished=lambda: self.retrieve_button.setEnabled(True))

    def _retrieved(self, report: dict | None) -> None:
        if report is None:
            self.status.setText("The series arrived, but no slice could be assessed, so no report was saved.")
            return
        series = report.get("series") or {}
        self.status.setText(f"Done: a pending report for “{series.get('series_description')}” is in the "
                            f"queue. {series.get('summary', '')}")
        self.retrieved.emit(report)

    def _failed(self, exc: Exception) -> None:
        self.status.setText(str(exc) or "The PACS could not be reached.")
