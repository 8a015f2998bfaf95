"""Qt item models over the patient's reports and notifications."""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor, QFont

from desktop_app.ui.widgets.common import STATUS_TEXT, format_time

ReportRole = Qt.ItemDataRole.UserRole + 1
StatusRole = Qt.ItemDataRole.UserRole + 2
STATUS_COLOURS = {"pending": "#8A4B00", "approved": "#166534", "rejected": "#991B1B"}


class ReportTableModel(QAbstractTableModel):
    """The patient's reports, newest first: date, result, confidence, review status."""

    HEADERS = ("Date", "Model finding", "Confidence", "Review status", "Doctor's notes")

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._reports: list[dict] = []

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self._reports)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.HEADERS[section]
        return None

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        report = self._reports[index.row()]
        status = report.get("status") or "pending"
        column = index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            if column == 0:
                return format_time(report.get("timestamp"))
            if column == 1:
                return report.get("label") or "—"
            if column == 2:
                confidence = report.get("confidence")
                return "—" if confidence is None else f"{confidence:.0%}"
            if column == 3:
                return STATUS_TEXT.get(status, status)
            notes = (report.get("doctor_notes") or "").replace("\n", " ")
            return notes if len(notes) < 80 else notes[:77] + "…"
        if role == Qt.ItemDataRole.ForegroundRole and column == 3:
            return QColor(STATUS_COLOURS.get(status, "#1E293B"))
        if role == Qt.ItemDataRole.FontRole and column == 3:
            font = QFont()
            font.setBold(True)
            return font
        if role == ReportRole:
            return report
        if role == StatusRole:
            return status
        return None

    def set_reports(self, reports: list[dict]) -> None:
        self.beginResetModel()
        self._reports = sorted(reports, key=lambda r: r.get("timestamp") or 0, reverse=True)
        self.endResetModel()

    def report(self, row: int) -> dict:
        return self._reports[row]


class NotificationListModel(QAbstractTableModel):
    """The patient's notifications, newest first; unread ones in bold."""

    HEADERS = ("", "Notification", "Details", "When")
    KIND_TEXT = {"report_reviewed": "Result reviewed", "new_message": "Message",
                 "sync_problem": "Sync problem", "info": "Information"}

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._items: list[dict] = []

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self._items)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.HEADERS[section]
        return None

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        item = self._items[index.row()]
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
        self._items = sorted(items, key=lambda n: n.get("created_at") or 0, reverse=True)
        self.endResetModel()

    def item(self, row: int) -> dict:
        return self._items[row]
