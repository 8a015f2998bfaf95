"""The doctor's open conversation follows the server: a patient's new message shows up by itself.

Against this project's real server on 127.0.0.1 (through the sync suite's fault proxy), with the
window's real SyncWorker; the patient writes from their own client.
"""

from __future__ import annotations

from desktop_app.core.api_client import ApiClient
from devkit.sync_scenario import PASSWORDS


def _shown(chat) -> list[str]:
    return [m["message"] for m in chat.panel.view.model.messages()]


def test_patients_message_appears_in_the_doctors_open_chat(qtbot, online_device, project_proxy):
    services, open_window = online_device
    alice = ApiClient(project_proxy.url)
    alice.login("alice", PASSWORDS["patient"])
    alice.send_message("alice", "dr_bob", "Hello doctor", client_message_id="c-1")

    window = open_window("dr_bob")
    worker = window.sync_worker
    worker.chat_poll_s = 0.3  # the fixture's worker never polls on its own timers otherwise
    qtbot.waitUntil(lambda: window.status_connection.text() == "Online", timeout=15000)
    chat = window.open_screen("chat")
    qtbot.waitUntil(lambda: chat.current_peer() == "alice" and _shown(chat) == ["Hello doctor"], timeout=15000)
    assert worker.polled_chat == ("dr_bob", "alice")

    alice.send_message("alice", "dr_bob", "Is my scan ok?", client_message_id="c-2")
    # Nothing is pressed on the doctor's side: the poll of the open conversation brings it in.
    qtbot.waitUntil(lambda: _shown(chat) == ["Hello doctor", "Is my scan ok?"], timeout=15000)
    assert services.chat.unread_count("dr_bob") == 0  # it was on screen, so it counts as read

    window.open_screen("dashboard")
    qtbot.waitUntil(lambda: worker.polled_chat is None, timeout=5000)  # hidden: no more polling
    window.open_screen("chat")
    qtbot.waitUntil(lambda: worker.polled_chat == ("dr_bob", "alice"), timeout=5000)
