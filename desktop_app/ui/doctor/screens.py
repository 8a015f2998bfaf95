"""The doctor's navigation entries, wired together: what the main window shows for a doctor."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QWidget

from desktop_app.ui.bridge import EventBridge, SyncStatusSource
from desktop_app.ui.doctor.chat_screen import DoctorChatScreen
from desktop_app.ui.doctor.dashboard import DoctorDashboard
from desktop_app.ui.doctor.data import DoctorData, DoctorSnapshot, show_screen
from desktop_app.ui.doctor.keys import bind_keys
from desktop_app.ui.doctor.patients_screen import PatientsScreen
from desktop_app.ui.doctor.profile_screen import DoctorProfileScreen
from desktop_app.ui.doctor.reports_screen import ReportsScreen
from desktop_app.ui.widgets.common import EmptyState, Screen
from desktop_app.ui.workers import run_in_background

if TYPE_CHECKING:
    from desktop_app.core.services import AppServices
    from desktop_app.ui.sync_worker import SyncWorker

log = logging.getLogger(__name__)

BadgeSetter = Callable[[str, int], None]  # (navigation key, count): the window's unread badges


def _federated_screen(services: AppServices, parent: QWidget | None) -> QWidget:
    """The federated-learning screen, or an explanation when this install cannot run it."""
    from desktop_app.core.errors import ServiceError
    from desktop_app.core.federated.errors import FederatedError

    try:
        from desktop_app.ui.federated.screen import FederatedScreen

        return FederatedScreen(services, parent)
    except (ImportError, FederatedError, ServiceError, OSError) as exc:
        # e.g. no model on this computer yet: say so instead of failing the whole window
        log.warning("federated learning screen unavailable: %s", exc)
        screen = Screen("Federated learning", "Improve the model with your clinic's reviewed "
                        "scans, without sharing any images.", parent)
        screen.content.addWidget(EmptyState(
            "federated", "Not available on this computer yet",
            "Federated learning needs the shipped model and a clinic server. "
            "Ask your IT contact to finish the setup.", screen), 1)
        return screen


class DoctorWorkspace(QObject):
    """Owns the shared data and connects the screens: open a report from anywhere, chat, etc.

    The main window lends what it already has: its event relay (`events`), its sync status
    (`sync_status`), the app's `sync_worker` and its navigation badges (`set_badge`). Screens
    hosted elsewhere (a plain stack) get an event relay and a status source of their own.
    """

    def __init__(self, services: AppServices, parent: QWidget | None, *,
                 events: EventBridge | None = None, sync_status: SyncStatusSource | None = None,
                 sync_worker: SyncWorker | None = None,
                 set_badge: BadgeSetter | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self._set_badge = set_badge
        user = services.accounts.current_user
        self.doctor = user.username if user else ""
        self.data = DoctorData(services, self.doctor, self, events)
        self.dashboard = DoctorDashboard(user.display_name if user else "Doctor", parent)
        self.reports = ReportsScreen(services, self.doctor, self.data.name_of, parent)
        self.patients = PatientsScreen(parent)
        self.chat = DoctorChatScreen(services, self.doctor, self.data.name_of, parent)
        self.federated = _federated_screen(services, parent)
        self.profile = DoctorProfileScreen(services, parent)
        self.sync_status = sync_status or SyncStatusSource(services, parent=self)
        self.dashboard.workspace = self  # keeps the workspace alive with its screens

        self.data.loaded.connect(self._on_loaded)
        self.data.load_failed.connect(self._on_load_failed)
        self.data.report_changed.connect(self._on_report_changed)
        self.data.messages_changed.connect(self.chat.refresh)
        self.reports.counts_changed.connect(self._refresh_dashboard)
        self.dashboard.open_queue.connect(self.open_queue)
        self.dashboard.open_report.connect(self.open_report)
        self.dashboard.open_chat.connect(lambda: show_screen(self.chat))
        self.dashboard.start_triage.connect(self.start_triage)
        self.patients.open_report.connect(self.open_report)
        self.patients.chat_with.connect(self.chat_with)
        self.chat.unread_changed.connect(self.dashboard.show_unread)
        self.chat.unread_changed.connect(lambda count: self._badge("chat", count))
        self.sync_status.changed.connect(self.dashboard.show_sync)
        self._wire_administrator(user)
        # Window-wide while the dashboard shows: right after sign-in focus is on the navigation,
        # not inside the dashboard, and the advertised key must work without a click first.
        bind_keys(self.dashboard, [(("Ctrl+Return", "Ctrl+Enter"), self.start_triage)],
                  context=Qt.ShortcutContext.WindowShortcut)
        if sync_worker is not None:
            sync_worker.sync_finished.connect(self.data.on_sync_finished)
            self.chat.panel.follow_sync(sync_worker)  # the open conversation polls the server
        self.data.reload()
        self.sync_status.refresh()

    def _wire_administrator(self, user) -> None:
        """This computer's administrator sees, until a code is set, that only they can let other
        doctors register, and a way to the Profile section where the code is set."""
        card = self.profile.enrollment
        if user is None or card is None:
            return
        self.dashboard.show_admin_notice(not self.services.settings.enrollment_code_configured)
        card.changed.connect(lambda configured: self.dashboard.show_admin_notice(not configured))
        self.dashboard.open_enrollment.connect(self.open_enrollment)

    def open_enrollment(self) -> None:
        show_screen(self.profile)
        if self.profile.enrollment is not None:
            self.profile.ensureWidgetVisible(self.profile.enrollment)
            self.profile.enrollment.focus_code()

    # ----- data ---------------------------------------------------------------------------
    def _on_loaded(self, snapshot: DoctorSnapshot) -> None:
        self.reports.set_reports(snapshot.reports)
        self.patients.show_patients(snapshot.patients, snapshot.reports)
        self.chat.set_patients(snapshot.patients)
        self._refresh_dashboard()

    def _on_load_failed(self, reason: str) -> None:
        self.reports.summary.setText(reason)

    def _on_report_changed(self, report: dict) -> None:
        self.reports.upsert(report)
        reports = [row.report for row in self.reports.model.rows()]
        self.patients.show_patients(self.data.patients, reports)

    def _badge(self, key: str, count: int) -> None:
        """Unread / pending counts next to the navigation entries, when the window shows them."""
        if self._set_badge is not None:
            self._set_badge(key, count)

    def _refresh_dashboard(self) -> None:
        self._badge("reports", self.reports.counts()["pending"])
        reports = [row.report for row in self.reports.model.rows()]
        self.dashboard.show_reports(reports, self.data.name_of, self.doctor)
        run_in_background(self.services.chat.unread_count, self.doctor,
                          on_result=self.dashboard.show_unread, owner=self.dashboard)

    # ----- navigation ---------------------------------------------------------------------
    def open_queue(self, status: str | None) -> None:
        self.reports.set_tab(status)
        self.reports.show_list()
        show_screen(self.reports)

    def open_report(self, report_id: str) -> None:
        if self.reports.open_report_id(report_id):
            show_screen(self.reports)

    def start_triage(self) -> None:
        if self.reports.open_oldest_pending():
            show_screen(self.reports)

    def chat_with(self, username: str) -> None:
        show_screen(self.chat)
        self.chat.open_conversation(username)


    def entries(self) -> list[tuple[str, QIcon | str, QWidget]]:
        """(title, icon, widget) in navigation order; each widget implements `ui.screen.Screen`."""
        return [
            ("Dashboard", "dashboard", self.dashboard),
            ("Reports", "reports", self.reports),
            ("Patients", "patients", self.patients),
            ("Chat", "chat", self.chat),
            ("Federated learning", "federated", self.federated),
            ("Profile", "profile", self.profile),
        ]


def doctor_screens(services: AppServices, parent: QWidget | None = None
                   ) -> list[tuple[str, QIcon | str, QWidget]]:
    """The signed-in doctor's screens in a plain host (no main window): the workspace's entries."""
    return DoctorWorkspace(services, parent).entries()
