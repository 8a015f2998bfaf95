"""The patient's screens driven as a patient would: every entry, chat, emergency, notifications."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from desktop_app.ui.app import build_main_window
from desktop_app.ui.patient.window import PATIENT_SCREENS, PatientWindow
from desktop_app.ui.widgets.chat_view import MessageRole

from .conftest import settle


@pytest.fixture
def window(qtbot, services, patient) -> PatientWindow:
    win = build_main_window(services, patient)
    qtbot.addWidget(win)
    win.show()
    settle(qtbot)
    yield win
    win.shutdown()


def test_every_entry_opens_a_real_screen_with_an_empty_state(qtbot, window):
    for key, *_ in PATIENT_SCREENS:
        screen = window.navigate(key)
        settle(qtbot)
        assert window.stack.currentWidget() is screen
        assert screen.isVisible()
        assert screen.title_label.text()  # every screen says what it is
    history = window.screen("history")
    assert history.list_stack.currentWidget() is history.empty
    notifications = window.screen("notifications")
    assert notifications.stack.currentWidget() is notifications.empty


def test_keyboard_moves_through_the_navigation(qtbot, window):
    window.nav.setFocus()
    window.nav.setCurrentRow(0)
    qtbot.keyClick(window.nav, Qt.Key.Key_Down)
    assert window.current_key() == "new_scan"
    qtbot.keyClick(window, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)
    assert window.current_key() == "history"


def test_dashboard_greets_by_name_and_says_no_scans_yet(qtbot, window):
    dashboard = window.navigate("dashboard")
    settle(qtbot)
    assert "Anna" in dashboard.title_label.text()
    assert dashboard.latest_label.text() == "No scans yet"
    seen: list = []
    _answer_file_dialog(seen)
    qtbot.mouseClick(dashboard.latest_open, Qt.MouseButton.LeftButton)
    assert window.current_key() == "new_scan" and len(seen) == 1


def test_my_doctor_shows_the_assigned_doctor_and_starts_a_chat(qtbot, window):
    screen = window.navigate("my_doctor")
    qtbot.waitUntil(lambda: screen.card.isVisible(), timeout=5000)
    assert screen.name.text() == "Dr. Mina Lee"
    assert screen.fields["specialty"].text() == "Neuroradiology"
    assert screen.fields["clinic"].text() == "Riverside Clinic"
    qtbot.mouseClick(screen.chat_button, Qt.MouseButton.LeftButton)
    assert window.current_key() == "chat"


def test_chat_send_saves_and_queues_the_message(qtbot, services, window):
    chat = window.navigate("chat")
    view = chat.panel.view
    qtbot.keyClicks(view.input, "Hello doctor, I uploaded my scan.")
    qtbot.keyClick(view.input, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: view.model.rowCount() == 1, timeout=5000)
    shown = view.model.index(0).data(MessageRole)
    assert shown["message"] == "Hello doctor, I uploaded my scan."
    assert shown["state"] == "sending"
    assert view.input.toPlainText() == ""
    kinds = [entry.kind for entry in services.store.outbox.pending()]
    assert "send_message" in kinds
    assert services.chat.conversation("anna", "dr.lee")[0]["receiver"] == "dr.lee"
    # no clinic server here: the message is kept, not "waiting to send" for ever
    spoken = view.model.index(0).data(Qt.ItemDataRole.AccessibleTextRole)
    assert "Kept on this computer" in spoken and "Waiting to send" not in spoken
    assert view.notice.isVisible() and "not connected to your clinic's server" in view.notice.text()


def test_chat_shows_the_doctors_reply_and_clears_the_unread_badge(qtbot, services, window):
    services.accounts.logout()
    services.accounts.login("dr.lee", "correct horse 1")
    services.chat.send("dr.lee", "anna", "Your scan arrived, I will review it today.")
    services.accounts.logout()
    services.accounts.login("anna", "correct horse 1")
    window.refresh_badges()
    qtbot.waitUntil(lambda: "(1)" in window.screens["chat"].item.text(), timeout=5000)
    chat = window.navigate("chat")
    qtbot.waitUntil(lambda: chat.panel.view.model.rowCount() == 1, timeout=5000)
    qtbot.waitUntil(lambda: window.screens["chat"].item.text() == "Chat", timeout=5000)
    assert services.chat.unread_count("anna") == 0


def test_failed_message_retries_on_click(qtbot, services, window):
    message = services.chat.send("anna", "dr.lee", "Are you there?")
    services.store.collection("messages").put(message["id"], {**message, "state": "failed"})
    chat = window.navigate("chat")
    view = chat.panel.view
    qtbot.waitUntil(lambda: view.model.rowCount() == 1
                    and view.model.index(0).data(MessageRole)["state"] == "failed", timeout=5000)
    rect = view.list.visualRect(view.model.index(0))
    qtbot.mouseClick(view.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: view.model.index(0).data(MessageRole)["state"] == "sending",
                    timeout=5000)


def test_emergency_shows_numbers_and_sends_an_urgent_message(qtbot, services, window):
    screen = window.navigate("emergency")
    qtbot.waitUntil(lambda: screen._loaded, timeout=5000)
    texts = [w.text() for w in screen.numbers.findChildren(type(screen.title_label))]
    assert "112" in texts
    assert screen.signs.findChildren(type(screen.title_label))
    screen.send_urgent("URGENT: sudden severe headache since this morning")
    qtbot.waitUntil(lambda: screen.urgent_status.isVisible(), timeout=5000)
    sent = services.chat.conversation("anna", "dr.lee")
    assert sent and sent[-1]["message"].startswith("URGENT:")


def test_emergency_numbers_follow_the_clinic_setting(qtbot, services, patient):
    services.settings.set("emergency_numbers", [{"label": "Riverside Clinic", "number": "0800 123"}])
    win = build_main_window(services, patient)
    qtbot.addWidget(win)
    screen = win.navigate("emergency")
    qtbot.waitUntil(lambda: screen._loaded, timeout=5000)
    texts = [w.text() for w in screen.numbers.findChildren(type(screen.title_label))]
    assert "0800 123" in texts and "112" not in texts
    win.shutdown()


def test_health_tips_come_from_the_shipped_content(qtbot, services, window):
    screen = window.navigate("tips")
    qtbot.waitUntil(lambda: screen._loaded, timeout=5000)
    titles = [t["title"] for t in services.content.health_tips()]
    assert titles and screen.grid.count() == len(titles)


def test_notifications_read_and_unread(qtbot, services, window):
    services.notifications.add("anna", "info", "Clinic closed on Friday", "Open again Monday.")
    services.notifications.add("anna", "new_message", "New message", "Dr. Lee wrote to you.")
    screen = window.navigate("notifications")
    qtbot.waitUntil(lambda: screen.model.rowCount() == 2, timeout=5000)
    qtbot.waitUntil(lambda: "(2)" in window.screens["notifications"].item.text(), timeout=5000)
    first_unread = screen.model.index(0, 0).data()
    assert first_unread == "●"
    qtbot.mouseClick(screen.mark_all, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: services.notifications.unread_count("anna") == 0, timeout=5000)
    qtbot.waitUntil(lambda: screen.model.index(0, 0).data() == "", timeout=5000)
    qtbot.waitUntil(lambda: window.screens["notifications"].item.text() == "Notifications",
                    timeout=5000)


def test_status_bar_shows_offline_pending_and_user(qtbot, services, window):
    services.chat.send("anna", "dr.lee", "one")
    window.sync_status.refresh()
    qtbot.waitUntil(lambda: window.status_pending.text() == "Everything is kept on this computer",
                    timeout=5000)
    services.chat.send("anna", "dr.lee", "two")
    window.sync_status.refresh()
    settle(qtbot, 100)
    assert window.status_pending.text() == "Everything is kept on this computer"  # no count growing
    assert "nothing is sent" in window.status_pending.toolTip()
    assert window.status_last_sync.text() == "No server configured — working offline"
    assert window.status_connection.text() == "Offline mode"
    assert not window.sync_button.isEnabled() and not window.sync_button.isVisible()
    assert "Anna Kowalska" in window.status_user.text()


def test_window_fits_the_minimum_size(qtbot, window):
    window.resize(1024, 700)
    assert window.minimumSize().width() <= 1024 and window.minimumSize().height() <= 700
    for key, *_ in PATIENT_SCREENS:
        window.navigate(key)
        settle(qtbot, 10)
        assert window.stack.currentWidget().width() > 600


def _answer_file_dialog(seen: list) -> None:
    """Closes the next file dialog once it is open, noting the folder it started in."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QFileDialog

    def close() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, QFileDialog):
            QTimer.singleShot(20, close)
            return
        seen.append((dialog.directory().absolutePath(), dialog.selectedFiles()))
        dialog.reject()

    QTimer.singleShot(0, close)


def test_every_upload_button_opens_the_file_dialog_in_the_users_folder(qtbot, window, monkeypatch):
    import os

    from desktop_app.ui.patient.files import user_folder

    monkeypatch.chdir(os.path.dirname(os.path.dirname(os.path.dirname(__file__))))  # the source tree
    dashboard = window.navigate("dashboard")
    settle(qtbot)
    quick = next(b for b in dashboard.findChildren(type(dashboard.latest_open))
                 if b.text() == "Upload a new scan")
    seen: list = []
    _answer_file_dialog(seen)
    qtbot.mouseClick(quick, Qt.MouseButton.LeftButton)
    assert window.current_key() == "new_scan" and len(seen) == 1
    assert seen[0][0] == str(user_folder("pictures")) != os.getcwd()
    window.navigate("dashboard")
    settle(qtbot)
    _answer_file_dialog(seen)
    qtbot.mouseClick(dashboard.latest_open, Qt.MouseButton.LeftButton)  # "Upload a scan" with no scans
    assert window.current_key() == "new_scan" and len(seen) == 2


def test_history_from_the_side_menu_shows_the_list_not_the_last_report(qtbot, services, window,
                                                                        mri_scan):
    prediction = services.engine.predict_bytes(mri_scan.read_bytes(), name=mri_scan.name)
    services.reports.create("anna", mri_scan.read_bytes(), mri_scan.name, prediction)
    history = window.navigate("history")
    qtbot.waitUntil(lambda: history.model.rowCount() == 1, timeout=5000)
    history._open_selected()
    assert history.pages.currentWidget() is history.detail
    assert history.detail.heading.text().startswith("Scan of ")
    assert "Today" not in history.detail.heading.text()  # "Scan of Today 10:04" read oddly
    window.navigate("dashboard")
    settle(qtbot)
    window.navigate("history")
    settle(qtbot)
    assert history.pages.currentWidget() is history.list_page


def test_pdf_export_suggests_a_dated_name_in_documents():
    import datetime as dt

    from desktop_app.ui.patient.files import pdf_file_name

    moment = dt.datetime(2026, 12, 6, 10, 4)
    assert pdf_file_name(moment.timestamp() * 1000) == "TumorPredict report 2026-12-06 10-04.pdf"


def test_a_near_certain_output_is_never_shown_as_100_percent(qtbot):
    from PySide6.QtWidgets import QLabel

    from desktop_app.ui.patient.result_view import FindingCard

    card = FindingCard()
    qtbot.addWidget(card)
    card.show_result(label_text="No Tumor", confidence=0.9996,
                     probabilities={"No Tumor": 0.9996, "Glioma": 0.0003, "Meningioma": 0.0001,
                                    "Pituitary tumor": 0.0},
                     model_version="tumornet-1.2", when_ms=None)
    assert card.finding.text() == "No tumor"
    assert card.confidence.text() == ">99% confidence"
    assert ">99%" in card.summary.text() and "100" not in card.summary.text()
    shown = {w.text() for w in card.bars.findChildren(QLabel)}
    assert ">99.9%" in shown and "<0.1%" in shown and not any(t.startswith(("100", "0.0")) for t in shown)
