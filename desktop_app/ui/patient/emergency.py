"""Emergency: local numbers, warning signs, and an urgent message to my doctor."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QHBoxLayout, QPlainTextEdit, QVBoxLayout

from desktop_app.core.errors import user_message_of
from desktop_app.ui.patient.context import PatientContext
from desktop_app.ui.theme import svg_pixmap
from desktop_app.ui.widgets.common import Banner, Card, Screen, button, label
from desktop_app.ui.workers import write_lane

URGENT_PREFIX = "URGENT: "
DEFAULT_URGENT = "I need to talk to you urgently about my symptoms. Please contact me as soon as possible."


class UrgentMessageDialog(QDialog):
    def __init__(self, template: str, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Urgent message to my doctor")
        self.setMinimumWidth(520)
        layout = QVBoxLayout(self)
        layout.setSpacing(12)
        layout.addWidget(label("This message is marked urgent. If you have a warning sign, call "
                               "emergency services first — a message can take time to be read.",
                               None, wrap=True))
        self.text = QPlainTextEdit(self)
        self.text.setAccessibleName("Urgent message text")
        self.text.setPlainText(template or DEFAULT_URGENT)
        self.text.setTabChangesFocus(True)
        layout.addWidget(self.text)
        buttons = QDialogButtonBox(self)
        self.send = buttons.addButton("Send urgent message", QDialogButtonBox.ButtonRole.AcceptRole)
        self.send.setProperty("kind", "danger")
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def message(self) -> str:
        return URGENT_PREFIX + self.text.toPlainText().strip()


class EmergencyScreen(Screen):
    def __init__(self, ctx: PatientContext) -> None:
        super().__init__("Emergency", "")
        self.ctx = ctx
        self.subtitle_label.setVisible(False)
        self.advice = Banner("", "emergency", title="In an emergency, call for help now")
        self.content.addWidget(self.advice)
        row = QHBoxLayout()
        row.setSpacing(16)
        self.numbers = Card("Emergency numbers")
        row.addWidget(self.numbers, 1)
        self.signs = Card("Warning signs — call at once if you notice")
        row.addWidget(self.signs, 1)
        self.content.addLayout(row)
        self.doctor_card = Card("Not an emergency, but urgent?")
        self.doctor_card.body.addWidget(label(
            "Send your doctor a message marked urgent. It is saved at once and delivered as soon "
            "as this computer is connected.", None, wrap=True))
        self.urgent_button = button("Urgent message to my doctor", "danger")
        self.urgent_button.clicked.connect(self.compose_urgent)
        self.doctor_card.body.addWidget(self.urgent_button, 0, Qt.AlignmentFlag.AlignLeft)
        self.urgent_status = label("", "muted", wrap=True)
        self.urgent_status.setVisible(False)
        self.doctor_card.body.addWidget(self.urgent_status)
        self.content.addWidget(self.doctor_card)
        self.content.addStretch(1)
        self._template = ""
        self._loaded = False
        if not ctx.user.doctor:
            self.urgent_button.setEnabled(False)
            self.urgent_status.setText("No doctor is assigned to you yet, so please call your "
                                       "clinic or the numbers above.")
            self.urgent_status.setVisible(True)

    def refresh(self) -> None:
        if not self._loaded:
            self.run(lambda: self.ctx.services.content.emergency(), on_result=self._show)

    def _show(self, data: dict) -> None:
        self._loaded = True
        self.advice.set_text(data.get("advice") or "If you or someone with you has any of the "
                             "warning signs, call emergency services now.")
        self._template = data.get("urgent_message") or ""
        for entry in data.get("numbers", []):
            line = QHBoxLayout()
            line.setSpacing(12)
            phone = label("")
            phone.setPixmap(svg_pixmap("phone", 22, "#C62828"))
            number = label(entry["number"], "big")
            number.setAccessibleName(f"{entry.get('label', 'Emergency number')}: {entry['number']}")
            text = label(entry.get("label", ""), "section", wrap=True)
            column = QVBoxLayout()
            column.setSpacing(0)
            column.addWidget(text)
            if entry.get("note"):
                column.addWidget(label(entry["note"], "muted", wrap=True))
            line.addWidget(phone, 0, Qt.AlignmentFlag.AlignTop)
            line.addWidget(number, 0, Qt.AlignmentFlag.AlignTop)
            line.addLayout(column, 1)
            self.numbers.body.addLayout(line)
        self.numbers.body.addStretch(1)
        for sign in data.get("warning_signs", []):
            self.signs.body.addWidget(label(f"•  {sign}", None, wrap=True))
        self.signs.body.addStretch(1)

    def compose_urgent(self) -> None:
        doctor = self.ctx.user.doctor
        if not doctor:
            return
        dialog = UrgentMessageDialog(self._template, self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        self.send_urgent(dialog.message())

    def send_urgent(self, text: str) -> None:
        self.urgent_button.setEnabled(False)
        self.run(self.ctx.services.chat.send, self.ctx.username, self.ctx.user.doctor, text,
                 on_result=lambda _m: self._sent(), on_error=self._failed,
                 on_finished=lambda: self.urgent_button.setEnabled(True), pool=write_lane())

    def _sent(self) -> None:
        self.urgent_status.setText("Your urgent message is saved and will be delivered to your "
                                   "doctor. You can follow it in Chat.")
        self.urgent_status.setVisible(True)
        self.ctx.changed()

    def _failed(self, exc: Exception) -> None:
        self.urgent_status.setText(user_message_of(
            exc, "The message could not be saved. Please call your clinic."))
        self.urgent_status.setVisible(True)
