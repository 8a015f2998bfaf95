"""The shared chat widget on its own: bubbles, states, retry, polling and the composer."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QStyleOptionViewItem

from desktop_app.ui.widgets.chat_view import INPUT_HINT, STATE_TEXT, ChatView, MessageRole

MESSAGES = [
    {"id": "1", "sender": "dr.lee", "receiver": "anna", "message": "How are you feeling today?",
     "timestamp": 1_700_000_000_000, "state": "sent", "read_by": ["dr.lee"]},
    {"id": "2", "sender": "anna", "receiver": "dr.lee", "message": "Better, thank you. " * 20,
     "timestamp": 1_700_000_060_000, "state": "failed", "read_by": ["anna"]},
]


def test_bubbles_states_and_retry(qtbot):
    view = ChatView("anna")
    qtbot.addWidget(view)
    view.resize(600, 500)
    view.show()
    assert view._stack.currentWidget() is view.empty
    view.set_messages(MESSAGES)
    assert view._stack.currentWidget() is view.list
    first, second = view.model.index(0), view.model.index(1)
    assert "You" not in first.data(Qt.ItemDataRole.AccessibleTextRole)
    assert STATE_TEXT["failed"] in second.data(Qt.ItemDataRole.AccessibleTextRole)
    # A long message wraps into a taller bubble instead of being cut off.
    delegate = view.list.itemDelegate()
    option = QStyleOptionViewItem()
    option.font = view.list.font()
    assert delegate.sizeHint(option, second).height() > delegate.sizeHint(option, first).height()

    with qtbot.waitSignal(view.retry_requested) as retry:
        rect = view.list.visualRect(second)
        qtbot.mouseClick(view.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert retry.args == ["2"]
    with qtbot.assertNotEmitted(view.retry_requested):  # their messages are never "retried"
        rect = view.list.visualRect(first)
        qtbot.mouseClick(view.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert second.data(MessageRole)["id"] == "2"


def test_composer_sends_trimmed_text_and_keeps_new_lines(qtbot):
    view = ChatView("anna")
    qtbot.addWidget(view)
    view.show()
    qtbot.keyClicks(view.input, "  first line")
    qtbot.keyClick(view.input, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClicks(view.input, "second line  ")
    with qtbot.waitSignal(view.send_requested) as sent:
        qtbot.keyClick(view.input, Qt.Key.Key_Return)
    assert sent.args == ["first line\nsecond line"]
    assert view.input.toPlainText() == ""
    with qtbot.assertNotEmitted(view.send_requested):
        qtbot.mouseClick(view.send_button, Qt.MouseButton.LeftButton)  # nothing typed


def test_polls_only_while_visible(qtbot):
    view = ChatView("anna")
    qtbot.addWidget(view)
    view.set_poll_seconds(1)
    with qtbot.waitSignal(view.poll, timeout=3000):
        view.show()
    view.hide()
    with qtbot.assertNotEmitted(view.poll, wait=1500):
        pass


def test_reenabling_brings_back_the_usual_hint(qtbot):
    view = ChatView("anna")
    qtbot.addWidget(view)
    view.set_enabled_for_sending(False, "No one to write to yet.")
    assert not view.input.isEnabled()
    assert view.input.placeholderText() == "No one to write to yet."
    view.set_enabled_for_sending(True)
    assert view.input.isEnabled() and view.send_button.isEnabled()
    assert view.input.placeholderText() == INPUT_HINT
