"""Chat with my doctor, on the shared conversation widget."""

from __future__ import annotations

from desktop_app.ui.patient.context import PatientContext
from desktop_app.ui.widgets.chat_view import ConversationPanel
from desktop_app.ui.widgets.common import EmptyState, Screen


class ChatScreen(Screen):
    def __init__(self, ctx: PatientContext) -> None:
        super().__init__("Chat", "")
        self.ctx = ctx
        doctor = ctx.user.doctor
        self.panel = ConversationPanel(ctx.services.chat, ctx.username, doctor, parent=self)
        self.panel.view.list.setMinimumHeight(320)
        self.panel.view.set_poll_seconds(ctx.services.settings.get("chat_poll_seconds", 3))
        self.panel.view.set_no_server(ctx.services.sync is None)
        self.panel.changed.connect(ctx.changed)
        self.empty = EmptyState("chat", "No doctor to write to yet",
                                "Once your clinic assigns you a doctor, you can message them here.")
        self.content.addWidget(self.panel, 1)
        self.content.addWidget(self.empty, 1)
        self.panel.setVisible(bool(doctor))
        self.empty.setVisible(not doctor)
        self.subtitle_label.setVisible(True)
        self.subtitle_label.setText(
            f"Messages with {doctor}. They are saved here at once and delivered when this "
            f"computer is connected." if doctor else "")
        if ctx.sync_worker is not None and doctor:
            self.panel.follow_sync(ctx.sync_worker)  # polls the server while the chat is shown
        self.setWidgetResizable(True)

    def set_doctor_name(self, name: str) -> None:
        self.subtitle_label.setText(f"Messages with {name}. They are saved here at once and "
                                    f"delivered when this computer is connected.")

    def refresh(self) -> None:
        if self.ctx.user.doctor:
            self.panel.refresh()
            self.run(self.ctx.services.accounts.get, self.ctx.user.doctor,
                     on_result=lambda doc: doc and self.set_doctor_name(doc.display_name))
