"""The status bar's sync line and "Sync now", and signing in again when the server ends a sign-in.

Against this project's real server on 127.0.0.1, through the fault proxy of the sync tests.
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt

from desktop_app.core.api_client import ApiClient
from desktop_app.core.sync import SyncStatus
from desktop_app.ui.sync_view import describe, relative_time
from devkit.sync_scenario import PASSWORDS

MINUTE = 60_000


def _write(qtbot, window, *texts: str) -> None:
    """Types messages to the doctor in the patient's chat screen, as the patient would."""
    chat = window.navigate("chat")
    for text in texts:
        qtbot.keyClicks(chat.panel.view.input, text)
        qtbot.keyClick(chat.panel.view.input, Qt.Key.Key_Return)


def _doctor_inbox(url: str) -> list[str]:
    doctor = ApiClient(url)
    doctor.login("dr_bob", PASSWORDS["doctor"])
    return [m["message"] for m in doctor.get_inbox().items]


def test_offline_then_sync_now_sends_everything(qtbot, online_device, project_proxy):
    services, open_window = online_device
    window = open_window()
    qtbot.waitUntil(lambda: window.status_connection.text() == "Online", timeout=15000)
    project_proxy.down = True  # the clinic's server is gone for now
    _write(qtbot, window, "Headache since Monday.", "Should I come in?")

    qtbot.waitUntil(lambda: (window.status_connection.text(), window.status_problem.text(),
                             window.status_pending.text())
                    == ("Offline", "Server unreachable", "2 changes waiting to sync"), timeout=15000)
    assert window.status_problem.isVisible()
    assert "kept" in window.status_problem.toolTip()
    assert window.status_last_sync.text() == "Synced just now"  # the last pass that got through

    project_proxy.down = False
    qtbot.waitUntil(window.sync_button.isEnabled, timeout=15000)
    qtbot.mouseClick(window.sync_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: (window.status_pending.text(), window.status_connection.text())
                    == ("All changes synced", "Online"), timeout=15000)
    assert window.status_last_sync.text() == "Synced just now"
    assert not window.status_problem.isVisible()
    assert sorted(_doctor_inbox(project_proxy.url)) == ["Headache since Monday.", "Should I come in?"]


def test_f5_syncs_now(qtbot, online_device, project_proxy):
    services, open_window = online_device
    window = open_window()
    qtbot.waitUntil(lambda: window.status_connection.text() == "Online", timeout=15000)
    project_proxy.down = True
    services.chat.send("alice", "dr_bob", "Written while the network was down.")
    qtbot.waitUntil(lambda: window.status_problem.text() == "Server unreachable", timeout=15000)
    project_proxy.down = False
    qtbot.waitUntil(window.sync_button.isEnabled, timeout=15000)
    qtbot.keyClick(window, Qt.Key.Key_F5)
    qtbot.waitUntil(lambda: window.status_pending.text() == "All changes synced", timeout=15000)
    assert _doctor_inbox(project_proxy.url) == ["Written while the network was down."]


def test_revoked_sign_in_asks_for_the_password_and_keeps_every_change(qtbot, online_device,
                                                                      project_proxy):
    services, open_window = online_device
    window = open_window()
    qtbot.waitUntil(lambda: window.status_connection.text() == "Online", timeout=15000)
    # The server ends this device's sign-in (as a password reset elsewhere or an administrator does).
    ApiClient(project_proxy.url, token=services.accounts.token("alice")).logout()
    _write(qtbot, window, "First question.", "Second question.")

    qtbot.waitUntil(lambda: window.relogin_dialog is not None and window.relogin_dialog.isVisible(),
                    timeout=15000)
    dialog = window.relogin_dialog
    assert dialog.user_label.text() == "alice"  # only the password is asked for
    assert len(services.store.outbox.pending()) == 2

    # "Work offline": the app goes on, the status bar says what is missing.
    qtbot.mouseClick(dialog.offline_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.relogin_dialog is None, timeout=5000)
    qtbot.waitUntil(lambda: window.status_connection.text() == "Sign-in needed", timeout=15000)
    assert window.status_problem.text() == "Sign in again to sync"
    assert window.sync_button.text() == "Sign in…"
    assert window.status_pending.text() == "2 changes waiting to sync"

    # The same button opens the dialog again; a wrong password says so and asks again.
    qtbot.mouseClick(window.sync_button, Qt.MouseButton.LeftButton)
    dialog = window.relogin_dialog
    assert dialog is not None and dialog.isVisible()
    qtbot.keyClicks(dialog.password, "not my password")
    qtbot.keyClick(dialog.password, Qt.Key.Key_Return)
    qtbot.waitUntil(dialog.error.isVisible, timeout=15000)
    assert "not correct" in dialog.error.text() and dialog.isVisible()

    qtbot.keyClicks(dialog.password, PASSWORDS["patient"])
    qtbot.mouseClick(dialog.sign_in_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.relogin_dialog is None, timeout=15000)
    qtbot.waitUntil(lambda: (window.status_pending.text(), window.status_connection.text())
                    == ("All changes synced", "Online"), timeout=15000)
    assert window.sync_button.text() == "Sync now"
    assert sorted(_doctor_inbox(project_proxy.url)) == ["First question.", "Second question."]


def test_the_doctor_window_syncs_the_same_way(qtbot, online_device, project_proxy):
    services, open_window = online_device
    window = open_window("dr_bob")
    qtbot.waitUntil(lambda: window.status_connection.text() == "Online", timeout=15000)
    services.chat.send("dr_bob", "alice", "Your results are ready.")  # a change saved here ...
    qtbot.waitUntil(lambda: not services.store.outbox.pending(), timeout=15000)
    qtbot.waitUntil(lambda: window.status_pending.text() == "All changes synced", timeout=15000)
    alice = ApiClient(project_proxy.url)  # ... reaches the server without anyone pressing a key
    alice.login("alice", PASSWORDS["patient"])
    assert [m["message"] for m in alice.get_inbox().items] == ["Your results are ready."]


def test_status_words_for_each_state():
    now = int(dt.datetime(2026, 3, 12, 15, 0).timestamp() * 1000)
    server = "http://clinic.example"
    assert describe(None, 0, now).synced == "No server configured — working offline"
    no_server = describe(None, 3, now)  # nothing "waits": nothing is sent until a server is connected
    assert not no_server.can_sync and no_server.pending == "Everything is kept on this computer"
    assert "nothing is sent" in no_server.problem_detail and "waiting" not in no_server.pending
    online = describe(SyncStatus(server_url=server, online=True, last_sync_at=now - 2 * MINUTE), 0, now)
    assert (online.pill, online.synced, online.pending) == ("Online", "Synced 2 min ago", "All changes synced")
    scans = describe(SyncStatus(server_url=server, online=True, scans_downloading=2), 1, now)
    assert scans.pending == "1 change waiting to sync · 2 scans still downloading"
    down = describe(SyncStatus(server_url=server, last_error="The server at x did not answer in time. "
                                                              "Your changes are kept."), 1, now)
    assert (down.pill, down.problem, down.pending) == ("Offline", "Server not answering (timed out)",
                                                      "1 change waiting to sync")
    failed = describe(SyncStatus(server_url=server, last_error="The server had a problem (error 500)."), 0, now)
    assert failed.problem == "Server error" and "kept on this computer" in failed.problem_detail
    refused = describe(SyncStatus(server_url=server, online=True, last_error="send message refused by the "
                                  "server: The server does not know that user name."), 0, now)
    assert (refused.pill, refused.problem) == ("Online", "A change was refused by the server")
    assert "does not know that user name" in refused.problem_detail
    expired = describe(SyncStatus(server_url=server, online=True, needs_login=frozenset({"alice"})), 2, now,
                       "alice")
    assert (expired.state, expired.pill) == ("needs_login", "Sign-in needed")
    assert describe(SyncStatus(server_url=server, needs_login=frozenset({"bob"})), 0, now, "alice").state != \
        "needs_login"


def test_relative_times():
    now = int(dt.datetime(2026, 3, 12, 15, 0).timestamp() * 1000)
    assert relative_time(now - 20_000, now) == "just now"
    assert relative_time(now - 59 * MINUTE, now) == "59 min ago"
    assert relative_time(now - 3 * 60 * MINUTE, now) == "3 h ago"
    assert relative_time(now - 20 * 60 * MINUTE, now) == "yesterday at 19:00"
    assert relative_time(now - 3 * 24 * 60 * MINUTE, now) == "09 Mar at 15:00"
