"""Notifications centre: reviews, messages and sync problems, read and unread."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QStackedWidget, QTableView

from desktop_app.ui.patient.context import PatientContext
from desktop_app.ui.patient.models import NotificationListModel
from desktop_app.ui.widgets.common import EmptyState, Screen, button


class NotificationsScreen(Screen):
    def __init__(self, ctx: PatientContext) -> None:
        super().__init__("Notifications", "Reviews of your scans, new messages and anything that "
                         "needs your attention.")
        self.ctx = ctx
        self.mark_all = button("Mark all as read")
        self.mark_all.clicked.connect(self._mark_all)
        self.header_actions.addWidget(self.mark_all)
        self.model = NotificationListModel(self)
        self.table = QTableView(self)
        self.table.setAccessibleName("Notifications")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setShowGrid(False)
        self.table.setWordWrap(True)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Fixed)
        header.resizeSection(0, 28)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(1, 260)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        # "Yesterday 23:59" plus the cells' padding: ResizeToContents ignores the stylesheet's
        # padding and cut the time off.
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Fixed)
        header.resizeSection(3, self.table.fontMetrics().horizontalAdvance("Yesterday 23:59") + 36)
        self.table.activated.connect(self._open)
        self.table.clicked.connect(self._open)
        self.empty = EmptyState("notifications", "You're all caught up",
                                "When your doctor reviews a scan or writes to you, you'll see it here.")
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.table)
        self.stack.addWidget(self.empty)
        self.content.addWidget(self.stack, 1)

    def refresh(self) -> None:
        self.run(self.ctx.services.notifications.for_user, self.ctx.username,
                 on_result=self._show)

    def _show(self, items: list[dict]) -> None:
        self.model.set_items(items)
        self.table.resizeRowsToContents()
        self.stack.setCurrentWidget(self.table if items else self.empty)
        self.mark_all.setEnabled(any(not n.get("read") for n in items))

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self.table.resizeRowsToContents()  # wrapped details need taller rows when narrower

    def _mark_all(self) -> None:
        self.run(self.ctx.services.notifications.mark_all_read, self.ctx.username,
                 on_result=lambda _r: self._changed())

    def _open(self, index) -> None:
        item = self.model.item(index.row())
        if not item.get("read"):
            self.run(self.ctx.services.notifications.mark_read, item["id"],
                     on_result=lambda _r: self._changed())
        kind, ref = item.get("kind"), item.get("ref")
        if kind == "report_reviewed" and ref:
            history = self.ctx.navigate("history")
            if history is not None:
                history.open_report_id(ref)
        elif kind == "new_message":
            self.ctx.navigate("chat")

    def _changed(self) -> None:
        self.refresh()
        self.ctx.changed()
