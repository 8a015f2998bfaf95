"""Qt item models over the patient's reports and notifications."""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor, QFont

from desktop_app.core.wording import finding_text, model_percent
from desktop_app.ui.theme import STATUS_COLOURS
from desktop_app.ui.widgets.common import STATUS_TEXT, format_time

ReportRole = Qt.ItemDataRole.UserRole + 1
StatusRole = Qt.ItemDataRole.UserRole + 2


class _DocumentTableModel(QAbstractTableModel):
    """A flat table of store documents with fixed column headers; subclasses fill `_rows`."""

    HEADERS: tuple[str, ...] = ()

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._rows: list[dict] = []

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.HEADERS[section]
        return None


class ReportTableModel(_DocumentTableModel):
    """The patient's reports, newest first: date, result, confidence, review status, notes.

    Each row's texts are computed once when the reports arrive, so painting and scrolling a long
    history costs a tuple lookup per cell.
    """

    HEADERS = ("Date", "Model finding", "Confidence", "Review status", "Doctor's notes")

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._texts: list[tuple[str, ...]] = []
        self._status_font = QFont()
        self._status_font.setBold(True)
        self._status_colours = {k: QColor(v) for k, v in STATUS_COLOURS.items()}

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        row, column = index.row(), index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return self._texts[row][column]
        if column == 3 and role == Qt.ItemDataRole.ForegroundRole:
            return self._status_colours.get(self._status(row))
        if column == 3 and role == Qt.ItemDataRole.FontRole:
            return self._status_font
        if role == ReportRole:
            return self._rows[row]
        if role == StatusRole:
            return self._status(row)
        return None

    def _status(self, row: int) -> str:
        return self._rows[row].get("status") or "pending"

    def set_reports(self, reports: list[dict]) -> None:
        self.beginResetModel()
        self._rows = sorted(reports, key=lambda r: r.get("timestamp") or 0, reverse=True)
        self._texts = [_report_texts(r) for r in self._rows]
        self.endResetModel()

    def report(self, row: int) -> dict:
        return self._rows[row]


def _report_texts(report: dict) -> tuple[str, ...]:
    status = report.get("status") or "pending"
    confidence = report.get("confidence")
    notes = " ".join((report.get("doctor_notes") or "").split())
    return (
        format_time(report.get("timestamp")),
        finding_text(report.get("label")),
        model_percent(confidence),
        STATUS_TEXT.get(status, status),
        notes if len(notes) < 80 else notes[:77] + "…",
    )


class NotificationListModel(_DocumentTableModel):
    """The patient's notifications, newest first; unread ones in bold."""

    HEADERS = ("", "Notification", "Details", "When")
    KIND_TEXT = {"report_reviewed": "Result reviewed", "new_message": "Message",
                 "sync_problem": "Sync problem", "info": "Information"}

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        item = self._rows[index.row()]
        unread = not item.get("read")
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                return "●" if unread else ""
            if column == 1:
                return item.get("title", "")
            if column == 2:
                return item.get("body", "")
            return format_time(item.get("created_at"))
        if role == Qt.ItemDataRole.AccessibleTextRole:
            state = "unread" if unread else "read"
            return f"{item.get('title', '')}. {item.get('body', '')}. {state}"
        if role == Qt.ItemDataRole.ForegroundRole and column == 0:
            return QColor("#1F6FD1")
        if role == Qt.ItemDataRole.FontRole and unread and column == 1:
            font = QFont()
            font.setBold(True)
            return font
        if role == ReportRole:
            return item
        return None

    def set_items(self, items: list[dict]) -> None:
        self.beginResetModel()
        self._rows = sorted(items, key=lambda n: n.get("created_at") or 0, reverse=True)
        self.endResetModel()

    def item(self, row: int) -> dict:
        return self._rows[row]
