"""The doctor's messages: conversations with unread badges beside one open conversation."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from desktop_app.ui.widgets.chat_view import ConversationPanel
from desktop_app.ui.widgets.common import Screen, format_time, label
from desktop_app.ui.workers import run_in_background

if TYPE_CHECKING:
    from desktop_app.core.services import AppServices

PEER_ROLE = Qt.ItemDataRole.UserRole + 1
COMPOSER_HINT = "Write a message…  (Enter sends, Shift+Enter for a new line)"


def conversation_rows(chat, doctor: str, patients: list) -> list[dict]:
    """Every patient as a row, the ones with messages first (latest first), with unread counts.

    Runs on a worker thread.
    """
    rows: dict[str, dict] = {user.username: {"peer": user.username, "last": None, "unread": 0}
                             for user in patients}
    for conversation in chat.conversations(doctor):
        rows[conversation["peer"]] = {"peer": conversation["peer"],
                                      "last": conversation.get("last"),
                                      "unread": int(conversation.get("unread") or 0)}
    return sorted(rows.values(), key=lambda row: -((row["last"] or {}).get("timestamp") or 0))


class DoctorChatScreen(Screen):
    """Up/Down chooses a conversation; Tab moves to the message box; Enter sends."""

    unread_changed = Signal(int)

    def __init__(self, services: AppServices, doctor: str, name_of,
                 parent: QWidget | None = None) -> None:
        super().__init__("Chat", "Conversations with your patients.", parent)
        self.services = services
        self.doctor = doctor
        self.name_of = name_of
        self._patients: list = []
        row = QHBoxLayout()
        row.setSpacing(16)
        left = QVBoxLayout()
        self.conversations = QListWidget(self)
        self.conversations.setObjectName("chatList")
        self.conversations.setAccessibleName("Conversations")
        self.conversations.setMinimumWidth(260)
        self.conversations.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.conversations.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.conversations.currentItemChanged.connect(self._on_current)
        left.addWidget(self.conversations, 1)
        row.addLayout(left, 2)
        right = QVBoxLayout()
        self.peer_title = label("", "section")
        right.addWidget(self.peer_title)
        self.panel = ConversationPanel(services.chat, doctor, None, parent=self)
        self.panel.view.set_no_server(services.sync is None)
        self.panel.changed.connect(self.refresh)
        right.addWidget(self.panel, 1)
        row.addLayout(right, 5)
        self.content.addLayout(row, 1)

    def set_patients(self, patients: list) -> None:
        self._patients = list(patients)
        self.refresh()

    def refresh(self) -> None:
        run_in_background(conversation_rows, self.services.chat, self.doctor, self._patients,
                          on_result=self._show, owner=self)

    def _show(self, rows: list[dict]) -> None:
        current = self.current_peer()
        self.conversations.blockSignals(True)
        self.conversations.clear()
        total_unread = 0
        for entry in rows:
            name = self.name_of(entry["peer"])
            last = entry["last"] or {}
            preview = (last.get("message") or "No messages yet").replace("\n", " ")
            when = format_time(last.get("timestamp")) if last else ""
            badge = f"  ({entry['unread']} new)" if entry["unread"] else ""
            item = QListWidgetItem(f"{name}{badge}\n{preview[:48]}{'…' if len(preview) > 48 else ''}"
                                   f"{'  · ' + when if when else ''}")
            item.setData(PEER_ROLE, entry["peer"])
            item.setData(Qt.ItemDataRole.AccessibleTextRole,
                         f"{name}, {entry['unread']} unread" if entry["unread"] else name)
            if entry["unread"]:
                font = item.font()
                font.setBold(True)
                item.setFont(font)
            total_unread += entry["unread"]
            self.conversations.addItem(item)
        self.conversations.blockSignals(False)
        self.unread_changed.emit(total_unread)
        if not self.select_peer(current) and self.conversations.count():
            self.conversations.setCurrentRow(0)

    def current_peer(self) -> str | None:
        item = self.conversations.currentItem()
        return item.data(PEER_ROLE) if item else None

    def select_peer(self, peer: str | None) -> bool:
        if not peer:
            return False
        for row in range(self.conversations.count()):
            if self.conversations.item(row).data(PEER_ROLE) == peer:
                if self.conversations.currentRow() != row:
                    self.conversations.setCurrentRow(row)
                return True
        return False

    def open_conversation(self, peer: str) -> None:
        """Open (or start) the conversation with one patient and put the cursor in the box."""
        if not self.select_peer(peer):
            item = QListWidgetItem(self.name_of(peer))
            item.setData(PEER_ROLE, peer)
            self.conversations.insertItem(0, item)
            self.conversations.setCurrentRow(0)
        self.panel.view.input.setFocus()

    def _on_current(self, current: QListWidgetItem | None, _previous=None) -> None:
        peer = current.data(PEER_ROLE) if current else None
        self.peer_title.setText(self.name_of(peer) if peer else "")
        if peer != self.panel.peer:
            self.panel.set_peer(peer)
            if peer:  # the composer keeps an earlier "no one to write to" hint otherwise
                self.panel.view.input.setPlaceholderText(COMPOSER_HINT)
