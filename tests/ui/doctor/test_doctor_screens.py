"""Dashboard, Patients, Chat and Profile driven as a doctor uses them."""

from __future__ import annotations

import time
import uuid

from PySide6.QtCore import Qt

from desktop_app.ui.doctor.data import show_screen
from tests.ui.conftest import PASSWORD

TITLES = ["Dashboard", "Reports", "Patients", "Chat", "Federated learning", "Profile"]


def test_navigation_entries_in_order(services, clinic, qtbot):
    from desktop_app.ui.doctor.screens import doctor_screens

    entries = doctor_screens(services, None)
    for _title, _icon, widget in entries:
        qtbot.addWidget(widget)
    assert [title for title, _icon, _widget in entries] == TITLES
    assert all(isinstance(icon, str) and icon for _title, icon, _widget in entries)


def test_dashboard_counts_and_oldest_first(qtbot, services, clinic, desk):
    host, screens = desk
    dashboard, reports = screens["Dashboard"], screens["Reports"]
    qtbot.waitUntil(lambda: dashboard.pending_card.number.text() == "3", timeout=5000)
    assert dashboard.approved_card.number.text() == "1"
    assert dashboard.rejected_card.number.text() == "1"
    assert dashboard.today_card.number.text() == "0"
    assert dashboard.sync_card.number.text() == "Offline"
    oldest = clinic["pending"][0]
    first = dashboard.oldest_list.item(0)
    assert first.data(Qt.ItemDataRole.UserRole) == oldest["id"]
    assert first.text().startswith("Anna Kowalska")

    # Enter on the oldest opens its review on the Reports screen
    show_screen(dashboard)
    dashboard.oldest_list.setFocus()
    dashboard.oldest_list.setCurrentRow(0)
    qtbot.keyClick(dashboard.oldest_list, Qt.Key.Key_Return)
    assert host.currentWidget() is reports and reports.in_review()
    assert reports.review.report["id"] == oldest["id"]

    # a decision shows up as "reviewed today" and leaves the pending count
    reports.review.approve()
    qtbot.waitUntil(lambda: dashboard.today_card.number.text() == "1", timeout=5000)
    assert dashboard.pending_card.number.text() == "2"


def test_start_reviewing_opens_the_oldest_pending(qtbot, services, clinic, desk):
    host, screens = desk
    dashboard, reports = screens["Dashboard"], screens["Reports"]
    show_screen(dashboard)
    dashboard.start_button.setFocus()
    qtbot.keyClick(dashboard.start_button, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert host.currentWidget() is reports
    assert reports.review.report["id"] == clinic["pending"][0]["id"]


def test_patients_search_history_and_chat(qtbot, services, clinic, desk):
    host, screens = desk
    patients, chat, reports = screens["Patients"], screens["Chat"], screens["Reports"]
    show_screen(patients)
    qtbot.waitUntil(lambda: patients.proxy.rowCount() == 2, timeout=5000)
    qtbot.keyClick(patients, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(patients.search, "okafor")
    assert patients.proxy.rowCount() == 1
    assert patients.current_username() == "ben"
    assert patients.name_label.text() == "Ben Okafor"
    bens = clinic["by_patient"]["ben"]
    assert patients.history.count() == len(bens)
    newest = max(bens, key=lambda r: r["timestamp"])
    assert patients.history.item(0).data(Qt.ItemDataRole.UserRole) == newest["id"]

    # Enter on a report opens its review
    patients.history.setFocus()
    patients.history.setCurrentRow(0)
    qtbot.keyClick(patients.history, Qt.Key.Key_Return)
    assert host.currentWidget() is reports and reports.review.report["id"] == newest["id"]

    # Ctrl+T starts a chat with the patient; Enter sends
    show_screen(patients)
    qtbot.keyClick(patients.list, Qt.Key.Key_T, Qt.KeyboardModifier.ControlModifier)
    assert host.currentWidget() is chat
    assert chat.current_peer() == "ben" and chat.panel.peer == "ben"
    assert chat.panel.view.input.hasFocus()
    qtbot.keyClicks(chat.panel.view.input, "Your results are in; please book a follow-up.")
    qtbot.keyClick(chat.panel.view.input, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: len(services.chat.conversation("dr.lee", "ben")) == 1, timeout=5000)
    assert services.chat.conversation("dr.lee", "ben")[0]["message"].startswith("Your results")


def test_unread_messages_show_on_the_list_and_dashboard(qtbot, services, clinic, desk):
    _host, screens = desk
    chat, dashboard = screens["Chat"], screens["Dashboard"]
    now = int(time.time() * 1000)
    for text in ("Hello doctor", "Any news on my scan?"):  # as a sync pull delivers them
        message_id = uuid.uuid4().hex
        services.store.collection("messages").put(message_id, {
            "id": message_id, "server_id": None, "sender": "anna", "receiver": "dr.lee",
            "message": text, "timestamp": now, "state": "sent", "read_by": ["anna"]})
    chat.refresh()
    qtbot.waitUntil(lambda: any("(2 new)" in chat.conversations.item(i).text()
                                for i in range(chat.conversations.count())), timeout=5000)
    qtbot.waitUntil(lambda: dashboard.unread_card.number.text() == "2", timeout=5000)
    # opening the conversation reads it
    show_screen(chat)
    chat.select_peer("anna")
    qtbot.waitUntil(lambda: services.chat.unread_count("dr.lee") == 0, timeout=5000)


def test_profile_details_password_and_sign_out(qtbot, services, clinic, desk):
    _host, screens = desk
    profile = screens["Profile"]
    show_screen(profile)
    assert profile.full_name.text() == "Mina Lee"
    assert profile.specialty.text() == "Neuroradiology"
    profile.clinic.setText("Northside Imaging Centre")
    profile.save_button.click()
    qtbot.waitUntil(lambda: profile.details_message.text() == "Details saved.", timeout=5000)
    assert services.accounts.current_user.clinic == "Northside Imaging Centre"

    profile.old_password.setText(PASSWORD)
    profile.new_password.setText("a new long passphrase")
    profile.confirm_password.setText("a new long passphrase!")
    profile.password_button.click()
    assert profile.password_message.text() == "The two new passwords are not the same."
    profile.confirm_password.setText("a new long passphrase")
    qtbot.keyClick(profile.confirm_password, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: profile.password_message.text() == "Password changed.", timeout=15000)
    assert profile.old_password.text() == ""
    services.accounts.logout()
    assert services.accounts.login("dr.lee", "a new long passphrase").username == "dr.lee"

    with qtbot.waitSignal(profile.logout_requested, timeout=1000):
        profile.logout_button.click()


def test_inside_the_doctor_main_window(qtbot, services, clinic):
    from tests.ui.doctor.conftest import doctor_main_window

    window, reports = doctor_main_window(qtbot, services, clinic)
    qtbot.waitUntil(lambda: window.screens["reports"].item.text() == "Reports  (3)", timeout=5000)
    dashboard = window.screens["dashboard"].widget
    dashboard.start_triage.emit()
    assert window.current_key() == "reports" and reports.in_review()
    with qtbot.waitSignal(window.logout_requested, timeout=1000):
        window.screens["profile"].widget.logout_button.click()
    if hasattr(window, "shutdown"):
        window.shutdown()


def test_a_sync_pass_shows_pulled_decisions(qtbot, services, clinic, desk):
    from desktop_app.core.sync.status import SyncReport

    _host, screens = desk
    reports = screens["Reports"]
    pulled = dict(clinic["pending"][0])
    pulled.update(status="approved", reviewed_by="dr.lee", doctor_notes="Reviewed on the ward PC.")
    services.store.collection("reports").put(pulled["id"], pulled)  # as a sync pull writes it
    workspace = screens["Dashboard"].workspace
    workspace.data.on_sync_finished(SyncReport(reports_pulled=1, changed_reports={pulled["id"]}))
    qtbot.waitUntil(lambda: reports.model.report(pulled["id"])["status"] == "approved",
                    timeout=5000)
    assert pulled["id"] not in reports.pending_ids()


def test_the_first_doctor_is_told_they_are_the_administrator_and_sets_the_code(qtbot, services, clinic):
    from desktop_app.ui.app import build_main_window

    assert services.accounts.current_user.is_admin  # dr.lee was the first doctor here
    window = build_main_window(services, services.accounts.current_user)
    qtbot.addWidget(window)
    window.resize(1100, 760)
    window.show()
    dashboard = window.screens["dashboard"].widget
    profile = window.screens["profile"].widget
    assert dashboard.admin_banner.isVisible()
    assert "administrator" in dashboard.admin_banner.title_label.text()
    qtbot.mouseClick(dashboard.set_code_button, Qt.MouseButton.LeftButton)
    assert window.current_key() == "profile"
    card = profile.enrollment
    assert card is not None and card.isVisible() and "No code is set" in card.state.text()
    qtbot.waitUntil(lambda: card.code.hasFocus(), timeout=2000)
    qtbot.keyClicks(card.code, "short")
    qtbot.mouseClick(card.set_button, Qt.MouseButton.LeftButton)
    assert "at least 6" in card.message.text()
    card.code.clear()
    qtbot.keyClicks(card.code, "clinic-code-42")
    qtbot.keyClicks(card.repeat, "clinic-code-42")
    qtbot.keyClick(card.repeat, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "was set" in card.message.text(), timeout=5000)
    assert services.settings.check_enrollment_code("clinic-code-42")
    assert "A code is set" in card.state.text() and not dashboard.admin_banner.isVisible()
    window.shutdown()


def test_a_doctor_who_is_not_the_administrator_has_no_code_section(qtbot, services, clinic):
    from desktop_app.ui.app import build_main_window

    services.accounts.set_enrollment_code("clinic-code-42")
    services.accounts.logout()
    services.accounts.register("dr.kim", "kim@clinic.example", PASSWORD, "doctor",
                               enrollment_code="clinic-code-42")
    window = build_main_window(services, services.accounts.current_user)
    qtbot.addWidget(window)
    window.show()
    assert window.screens["profile"].widget.enrollment is None
    assert not window.screens["dashboard"].widget.admin_banner.isVisible()
    window.shutdown()
