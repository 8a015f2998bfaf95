"""Two messages typed and sent quickly in the chat panel are shown and queued in the order they were sent."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from desktop_app.ui.widgets.chat_view import ConversationPanel
from desktop_app.ui.workers import wait_for_background
from tests.helpers.chat_race import first_append_held, first_call_held, queued_message_ids


@pytest.mark.parametrize("held", ["before-the-service", "before-the-outbox"])
def test_two_quick_sends_appear_and_are_queued_in_order(qtbot, services, patient, doctor, held):
    """The first message is held up (before it reaches the chat service, or after it was stamped
    and before it is queued) while the second is typed and sent."""
    panel = ConversationPanel(services.chat, patient.username, doctor.username)
    qtbot.addWidget(panel)
    panel.resize(600, 500)
    panel.show()
    qtbot.waitExposed(panel)
    holding = (first_call_held(services.chat, "send") if held == "before-the-service"
               else first_append_held(services.store.outbox))
    with holding:
        for text in ("first", "second"):
            qtbot.keyClicks(panel.view.input, text)
            qtbot.keyClick(panel.view.input, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: len(panel.view.model.messages()) == 2, timeout=10_000)
        wait_for_background()
    shown = panel.view.model.messages()
    assert [m["message"] for m in shown] == ["first", "second"]
    assert queued_message_ids(services.store.outbox) == [m["id"] for m in shown]
