"""Patients: a searchable list, each patient's details and report history, and a way to chat."""

from __future__ import annotations

from PySide6.QtCore import QSortFilterProxyModel, Qt, Signal
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLineEdit,
    QListView,
    QListWidget,
    QListWidgetItem,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from desktop_app.ui.doctor.formatting import (
    confidence_text,
    date_text,
    label_key_of,
    label_text,
    status_text,
)
from desktop_app.ui.doctor.keys import bind_keys
from desktop_app.ui.widgets.common import Card, EmptyState, Screen, button, label

USERNAME_ROLE = Qt.ItemDataRole.UserRole + 1
SEARCH_ROLE = Qt.ItemDataRole.UserRole + 2


class PatientsScreen(Screen):
    """Up/Down picks a patient, Enter on a report opens its review, Ctrl+T starts a chat."""

    open_report = Signal(str)  # report id
    chat_with = Signal(str)  # username

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Patients", "Everyone assigned to you, with their scans.", parent)
        self._reports_by_patient: dict[str, list[dict]] = {}
        self._patients: dict[str, object] = {}

        self.model = QStandardItemModel(self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setFilterRole(SEARCH_ROLE)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.proxy.setSortCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)

        row = QHBoxLayout()
        row.setSpacing(16)
        left = QVBoxLayout()
        left.setSpacing(8)
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Search patients  (Ctrl+F)")
        self.search.setAccessibleName("Search patients")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._on_search)
        self.search.returnPressed.connect(lambda: self.list.setFocus())
        left.addWidget(self.search)
        self.list = QListView(self)
        self.list.setAccessibleName("Patients")
        self.list.setModel(self.proxy)
        self.list.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.list.setUniformItemSizes(True)
        self.list.setMinimumWidth(260)
        self.list.selectionModel().currentChanged.connect(self._on_current)
        left.addWidget(self.list, 1)
        row.addLayout(left, 2)

        self.detail_stack = QStackedWidget(self)
        self.empty = EmptyState("patients", "No patients yet",
                                "Patients who choose you as their doctor appear here.", self)
        self.detail = self._build_detail()
        self.detail_stack.addWidget(self.empty)
        self.detail_stack.addWidget(self.detail)
        row.addWidget(self.detail_stack, 5)
        self.content.addLayout(row, 1)
        bind_keys(self, [(("Ctrl+F",), self.search.setFocus), (("Ctrl+T",), self._chat)])

    def _build_detail(self) -> QWidget:
        card = Card(None, self)
        head = QHBoxLayout()
        names = QVBoxLayout()
        names.setSpacing(2)
        self.name_label = label("", "section")
        self.contact_label = label("", "muted", wrap=True)
        names.addWidget(self.name_label)
        names.addWidget(self.contact_label)
        head.addLayout(names, 1)
        self.chat_button = button("Message patient  (Ctrl+T)", "primary",
                                  accessible="Start a chat with this patient")
        self.chat_button.clicked.connect(self._chat)
        head.addWidget(self.chat_button, 0, Qt.AlignmentFlag.AlignTop)
        card.body.addLayout(head)
        self.history_title = label("Reports", "section")
        card.body.addWidget(self.history_title)
        self.history = QListWidget(card)
        self.history.setAccessibleName("This patient's reports, newest first")
        self.history.itemActivated.connect(self._on_history_activated)
        card.body.addWidget(self.history, 1)
        card.body.addWidget(label("Enter opens the selected report.", "muted"))
        return card

    # ----- data ---------------------------------------------------------------------------
    def show_patients(self, patients: list, reports: list[dict]) -> None:
        """`patients`: accounts.User list; `reports`: every report the doctor can see."""
        current = self.current_username()
        self._patients = {user.username: user for user in patients}
        self._reports_by_patient = {}
        for report in reports:
            self._reports_by_patient.setdefault(report.get("username", ""), []).append(report)
        for found in self._reports_by_patient.values():
            found.sort(key=lambda report: report.get("timestamp") or 0, reverse=True)
        self.model.clear()
        for user in patients:
            name = user.full_name or user.username
            count = len(self._reports_by_patient.get(user.username, []))
            pending = sum(1 for r in self._reports_by_patient.get(user.username, [])
                          if (r.get("status") or "pending") == "pending")
            suffix = f" · {pending} pending" if pending else ""
            item = QStandardItem(f"{name}\n{count} report{'s' if count != 1 else ''}{suffix}")
            item.setData(user.username, USERNAME_ROLE)
            item.setData(f"{name} {user.username} {user.email}", SEARCH_ROLE)
            item.setData(f"{name}, {count} reports{suffix}", Qt.ItemDataRole.AccessibleTextRole)
            self.model.appendRow(item)
        self.proxy.sort(0)
        self.detail_stack.setCurrentWidget(self.detail if patients else self.empty)
        if not self.select(current) and self.proxy.rowCount():
            self.list.setCurrentIndex(self.proxy.index(0, 0))

    def select(self, username: str | None) -> bool:
        if not username:
            return False
        for row in range(self.proxy.rowCount()):
            index = self.proxy.index(row, 0)
            if index.data(USERNAME_ROLE) == username:
                self.list.setCurrentIndex(index)
                return True
        return False

    def current_username(self) -> str | None:
        index = self.list.currentIndex()
        return index.data(USERNAME_ROLE) if index.isValid() else None

    def _on_search(self, text: str) -> None:
        self.proxy.setFilterFixedString(text.strip())
        if self.proxy.rowCount() and not self.list.currentIndex().isValid():
            self.list.setCurrentIndex(self.proxy.index(0, 0))

    def _on_current(self, current, _previous=None) -> None:
        username = current.data(USERNAME_ROLE) if current.isValid() else None
        user = self._patients.get(username) if username else None
        self.chat_button.setEnabled(user is not None)
        if user is None:
            self.name_label.setText("")
            self.contact_label.setText("")
            self.history.clear()
            return
        self.name_label.setText(user.full_name or user.username)
        contact = [f"@{user.username}", user.email, user.phone]
        self.contact_label.setText("  ·  ".join(part for part in contact if part))
        self.history.clear()
        reports = self._reports_by_patient.get(username, [])
        self.history_title.setText(f"Reports ({len(reports)})")
        for report in reports:
            text = (f"{date_text(report.get('timestamp'))}  ·  "
                    f"{label_text(label_key_of(report), report.get('label'))} "
                    f"{confidence_text(report.get('confidence'))}  ·  "
                    f"{status_text(report.get('status'))}")
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, report["id"])
            self.history.addItem(item)
        if not reports:
            self.history.addItem("No scans uploaded yet.")

    def _on_history_activated(self, item: QListWidgetItem) -> None:
        report_id = item.data(Qt.ItemDataRole.UserRole)
        if report_id:
            self.open_report.emit(report_id)

    def _chat(self) -> None:
        username = self.current_username()
        if username:
            self.chat_with.emit(username)
