"""The patient's main window: the shell filled with the patient screens, badges and tray messages."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QSystemTrayIcon

from desktop_app.ui.patient.chat import ChatScreen
from desktop_app.ui.patient.context import PatientContext
from desktop_app.ui.patient.dashboard import DashboardScreen
from desktop_app.ui.patient.emergency import EmergencyScreen
from desktop_app.ui.patient.history import HistoryScreen
from desktop_app.ui.patient.my_doctor import MyDoctorScreen
from desktop_app.ui.patient.new_scan import NewScanScreen
from desktop_app.ui.patient.notifications import NotificationsScreen
from desktop_app.ui.patient.tips import HealthTipsScreen
from desktop_app.ui.shell import MainWindow
from desktop_app.ui.theme import app_icon
from desktop_app.ui.workers import run_in_background

if TYPE_CHECKING:
    from desktop_app.core.services import AppServices
    from desktop_app.core.users import User
    from desktop_app.ui.sync_worker import SyncWorker

log = logging.getLogger(__name__)

# (key, navigation title, icon, screen class), in navigation order.
PATIENT_SCREENS = (
    ("dashboard", "Dashboard", "dashboard", DashboardScreen),
    ("new_scan", "New scan", "scan", NewScanScreen),
    ("history", "History", "history", HistoryScreen),
    ("chat", "Chat", "chat", ChatScreen),
    ("my_doctor", "My doctor", "doctor", MyDoctorScreen),
    ("tips", "Health tips", "tips", HealthTipsScreen),
    ("emergency", "Emergency", "emergency", EmergencyScreen),
    ("notifications", "Notifications", "notifications", NotificationsScreen),
)
# Events that change what a patient's screens show.
_REFRESH_TOPICS = ("report.", "message.", "notification.")


class PatientWindow(MainWindow):
    def __init__(self, services: AppServices, user: User, *, kiosk: bool = False,
                 import_roots: list[Path] | None = None,
                 sync_worker: SyncWorker | None = None) -> None:
        super().__init__(services, user, role_title="Patient", kiosk=kiosk,
                         sync_worker=sync_worker)
        self.ctx = PatientContext(services, user, navigate=self.navigate, kiosk=kiosk,
                                  import_roots=import_roots, sync_worker=sync_worker)
        self.ctx.on_changed.append(self.refresh_badges)
        for key, title, icon_name, screen_class in PATIENT_SCREENS:
            self.add_screen(key, title, icon_name, screen_class(self.ctx))
        self.events.event.connect(self._on_event)
        self.tray: QSystemTrayIcon | None = None
        if not kiosk and QSystemTrayIcon.isSystemTrayAvailable():
            self.tray = QSystemTrayIcon(app_icon(), self)
            self.tray.setToolTip("TumorPredict")
            self.tray.messageClicked.connect(lambda: self.open_screen("notifications"))
            self.tray.show()
        self.refresh_badges()

    def navigate(self, key: str):
        """Opens a screen by key and returns it (so callers can e.g. open one report)."""
        return self.open_screen(key) if key in self.screens else None

    def screen(self, key: str):
        return self.screens[key].widget

    def _on_event(self, topic: str, data: dict) -> None:
        if not topic.startswith(_REFRESH_TOPICS):
            return
        if topic == "notification.added" and data.get("username") == self.username:
            self._announce(data.get("id"))
        self.refresh_badges()
        key = self.current_key()
        if key in ("dashboard", "history", "notifications"):
            self.screens[key].screen.refresh()

    def _announce(self, notification_id: str | None) -> None:
        """A system tray message for a new notification, where the desktop has a tray."""
        if self.tray is None or not notification_id:
            return
        services, me = self.services, self.username

        def find() -> dict | None:
            return next((n for n in services.notifications.for_user(me)
                         if n.get("id") == notification_id), None)

        def show(item: dict | None) -> None:
            if item is not None:
                self.tray.showMessage(item.get("title") or "TumorPredict", item.get("body") or "",
                                      QSystemTrayIcon.MessageIcon.Information, 8000)

        run_in_background(find, owner=self, on_result=show)

    def refresh_badges(self) -> None:
        services, me = self.services, self.username

        def counts() -> tuple[int, int]:
            return services.chat.unread_count(me), services.notifications.unread_count(me)

        run_in_background(counts, owner=self, on_result=self._show_badges)
        self.sync_status.refresh()

    def _show_badges(self, values: tuple[int, int]) -> None:
        unread_messages, unread_notifications = values
        self.set_badge("chat", unread_messages)
        self.set_badge("notifications", unread_notifications)

    def shutdown(self) -> None:
        if self.tray is not None:
            self.tray.hide()
        super().shutdown()
