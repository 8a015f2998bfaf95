"""My doctor: who reviews my scans, how to reach them, and a way to start a chat."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFormLayout, QHBoxLayout, QLabel, QVBoxLayout

from desktop_app.ui.patient.context import PatientContext
from desktop_app.ui.theme import svg_pixmap
from desktop_app.ui.widgets.common import Card, EmptyState, Screen, button, label


class MyDoctorScreen(Screen):
    def __init__(self, ctx: PatientContext) -> None:
        super().__init__("My doctor", "The doctor who reviews your scans and answers your messages.")
        self.ctx = ctx
        self.card = Card()
        row = QHBoxLayout()
        row.setSpacing(20)
        picture = QLabel(self)
        picture.setPixmap(svg_pixmap("doctor", 72, "#1F6FD1"))
        row.addWidget(picture, 0, Qt.AlignmentFlag.AlignTop)
        details = QFormLayout()
        details.setVerticalSpacing(8)
        details.setHorizontalSpacing(24)
        self.name = label("", "big")
        self.fields = {}
        for key, text in (("specialty", "Specialty"), ("clinic", "Clinic"), ("phone", "Phone"),
                          ("email", "Email")):
            value = label("")
            value.setAccessibleName(text)
            self.fields[key] = value
            details.addRow(label(text, "label"), value)
        column = QVBoxLayout()
        column.setSpacing(10)
        column.addWidget(self.name)
        column.addLayout(details)
        row.addLayout(column, 1)
        self.card.body.addLayout(row)
        self.chat_button = button("Start a chat", "primary", accessible="Start a chat with my doctor")
        self.chat_button.clicked.connect(lambda: self.ctx.navigate("chat"))
        self.card.body.addWidget(self.chat_button, 0, Qt.AlignmentFlag.AlignLeft)
        self.content.addWidget(self.card)
        self.empty = EmptyState("doctor", "No doctor assigned yet",
                                "Your clinic will assign a doctor to review your scans. You can "
                                "still upload scans; they wait safely for review.")
        self.content.addWidget(self.empty)
        self.content.addStretch(1)
        self.card.setVisible(False)
        self.empty.setVisible(False)

    def refresh(self) -> None:
        doctor = self.ctx.user.doctor
        if not doctor:
            self._show(None)
            return
        self.run(self.ctx.services.accounts.get, doctor, on_result=self._show)

    def _show(self, doctor) -> None:
        self.card.setVisible(doctor is not None)
        self.empty.setVisible(doctor is None)
        if doctor is None:
            return
        self.name.setText(doctor.display_name)
        values = {"specialty": doctor.specialty, "clinic": doctor.clinic, "phone": doctor.phone,
                  "email": doctor.email}
        for key, value_label in self.fields.items():
            value_label.setText(values[key] or "—")
