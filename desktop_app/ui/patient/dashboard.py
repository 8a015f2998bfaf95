"""Dashboard: greeting, latest result and its review, unread messages, quick actions, sync state."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QHBoxLayout

from desktop_app.core.wording import finding_text, model_percent
from desktop_app.ui.patient.context import PatientContext
from desktop_app.ui.sync_view import KEPT_HERE_DETAIL
from desktop_app.ui.theme import icon
from desktop_app.ui.widgets.common import (
    ButtonRow,
    Card,
    Screen,
    StatusPill,
    button,
    format_time,
    label,
)


def greeting(now: dt.datetime | None = None) -> str:
    hour = (now or dt.datetime.now()).hour
    return "Good morning" if hour < 12 else "Good afternoon" if hour < 18 else "Good evening"


class DashboardScreen(Screen):
    def __init__(self, ctx: PatientContext) -> None:
        name = (ctx.user.full_name or ctx.user.username).split()[0]
        super().__init__(f"{greeting()}, {name}", "Here is where things stand.")
        self.ctx = ctx
        grid = QGridLayout()
        grid.setSpacing(16)

        self.latest = Card("Latest result")
        self.latest_status = StatusPill("pending")
        self.latest_label = label("", "big")
        self.latest_meta = label("", "muted", wrap=True)
        self.latest_notes = label("", None, wrap=True)
        self.latest_notes.setAccessibleName("Doctor's notes on the latest result")
        head = QHBoxLayout()
        head.addWidget(self.latest_label, 1)
        head.addWidget(self.latest_status, 0, Qt.AlignmentFlag.AlignTop)
        self.latest.body.addLayout(head)
        self.latest.body.addWidget(self.latest_meta)
        self.latest.body.addWidget(self.latest_notes)
        self.latest.body.addStretch(1)
        self.latest_open = button("See details", accessible="See the latest result")
        self.latest_open.clicked.connect(self._open_latest)
        self.latest.body.addWidget(self.latest_open, 0, Qt.AlignmentFlag.AlignLeft)
        grid.addWidget(self.latest, 0, 0, 2, 1)

        self.messages = Card("Chat with your doctor")
        self.messages_text = label("", None, wrap=True)
        self.messages.body.addWidget(self.messages_text)
        self.messages.body.addStretch(1)
        open_chat = button("Open chat")
        open_chat.clicked.connect(lambda: self.ctx.navigate("chat"))
        self.messages.body.addWidget(open_chat, 0, Qt.AlignmentFlag.AlignLeft)
        grid.addWidget(self.messages, 0, 1)

        self.sync = Card("Your data")
        self.sync_text = label("", None, wrap=True)
        self.sync_text.setAccessibleName("Sync state")
        self.sync.body.addWidget(self.sync_text)
        self.sync.body.addStretch(1)
        grid.addWidget(self.sync, 1, 1)
        grid.setColumnStretch(0, 3)
        grid.setColumnStretch(1, 2)
        self.content.addLayout(grid)

        actions = Card("Quick actions")
        quick = []
        for key, text, icon_name, kind in (("new_scan", "Upload a new scan", "scan", "primary"),
                                           ("chat", "Message my doctor", "chat", None),
                                           ("history", "See all results", "history", None),
                                           ("emergency", "Emergency help", "emergency", None)):
            action = button(text, kind)
            action.setIcon(icon(icon_name, "#FFFFFF" if kind == "primary" else None))
            if key == "new_scan":
                action.clicked.connect(self.ctx.upload_scan)
            else:
                action.clicked.connect(lambda _=False, k=key: self.ctx.navigate(k))
            quick.append(action)
        actions.body.addWidget(ButtonRow(quick))
        self.content.addWidget(actions)
        self.content.addStretch(1)
        self._latest_report: dict | None = None

    def refresh(self) -> None:
        services, me = self.ctx.services, self.ctx.username

        def load() -> tuple:
            reports = services.reports.for_patient(me)
            return (reports[0] if reports else None, len(reports), services.chat.unread_count(me),
                    len(services.store.outbox.pending()))

        self.run(load, on_result=self._show)

    def _show(self, values: tuple) -> None:
        latest, total, unread, pending = values
        self._latest_report = latest
        if latest is None:
            self.latest_label.setText("No scans yet")
            self.latest_status.setVisible(False)
            self.latest_meta.setText("Upload an MRI image to get a preliminary result in seconds. "
                                     "Your doctor then reviews it.")
            self.latest_notes.setVisible(False)
            self.latest_open.setText("Upload a scan")
        else:
            self.latest_label.setText(finding_text(latest.get("label")))
            self.latest_status.setVisible(True)
            self.latest_status.set_status(latest.get("status") or "pending")
            confidence = latest.get("confidence")
            share = f" · {model_percent(confidence)} confidence" if confidence is not None else ""
            self.latest_meta.setText(f"{format_time(latest.get('timestamp'))}{share} · "
                                     f"{total} scan{'s' if total != 1 else ''} in total")
            notes = (latest.get("doctor_notes") or "").strip()
            status = latest.get("status") or "pending"
            if status == "pending":
                text = "Your doctor has not reviewed this scan yet. You will be notified."
            else:
                text = f"Doctor's notes: {notes}" if notes else "Reviewed, no notes added."
            self.latest_notes.setText(text)
            self.latest_notes.setVisible(True)
            self.latest_open.setText("See details")
        doctor = self.ctx.user.doctor
        if not doctor:
            self.messages_text.setText("No doctor is assigned to you yet.")
        elif unread:
            self.messages_text.setText(f"You have {unread} unread message{'s' if unread != 1 else ''}.")
        else:
            self.messages_text.setText("No unread messages.")
        if self.ctx.services.sync is None:
            self.sync_text.setText(KEPT_HERE_DETAIL)  # no server: nothing is "waiting" to go
            return
        self.sync_text.setText(
            "Everything is saved on this computer." + (
                f" {pending} change{'s' if pending != 1 else ''} will be sent to the clinic when "
                f"this computer is connected." if pending else ""))

    def _open_latest(self) -> None:
        if self._latest_report is None:
            self.ctx.upload_scan()
            return
        history = self.ctx.navigate("history")
        if history is not None:
            history.open_report(self._latest_report)
