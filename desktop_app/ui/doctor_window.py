"""The doctor's main window: the shell, filled by `desktop_app.ui.doctor.screens` when installed.

Plug-in contract: `desktop_app.ui.doctor.screens.doctor_screens(services, window)` returns
`[(title, icon, widget), ...]` in navigation order; icon is a QIcon or the name of a file in
`resources/icons/`. A widget with a `logout_requested` signal signs the doctor out.
`window.open_screen(key)` navigates (key: the title in lower case, spaces as underscores);
`window.events.event(topic, data)` relays core events on the UI thread.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from desktop_app.ui.shell import MainWindow
from desktop_app.ui.widgets.common import EmptyState, Screen

if TYPE_CHECKING:
    from desktop_app.core.services import AppServices
    from desktop_app.core.users import User
    from desktop_app.ui.sync_worker import SyncWorker

log = logging.getLogger(__name__)

DOCTOR_PLACES = (
    ("Dashboard", "dashboard", "Your day at a glance will appear here."),
    ("Reports", "reports", "Scans waiting for your review will appear here."),
    ("Patients", "patients", "Patients who chose you as their doctor appear here."),
    ("Chat", "chat", "Conversations with your patients appear here."),
    ("Federated learning", "federated",
     "Improve the model with this clinic's reviewed cases, without sharing images."),
    ("Profile", "profile", "Your name, specialty and clinic."),
)


def _empty_screen(title: str, icon_name: str, body: str) -> Screen:
    screen = Screen(title)
    screen.content.addWidget(EmptyState(icon_name, f"Nothing in {title.lower()} yet", body), 1)
    return screen


class DoctorWindow(MainWindow):
    def __init__(self, services: AppServices, user: User, *,
                 sync_worker: SyncWorker | None = None) -> None:
        super().__init__(services, user, role_title="Doctor")
        self.sync_worker = sync_worker
        for title, icon_name, widget in self._screens():
            self.add_screen(title.lower().replace(" ", "_"), title, icon_name, widget)

    def _screens(self) -> list[tuple]:
        try:
            from desktop_app.ui.doctor.screens import DoctorWorkspace
        except ModuleNotFoundError as exc:
            if exc.name not in ("desktop_app.ui.doctor.screens", "desktop_app.ui.doctor"):
                raise  # a real bug inside the doctor screens must not hide behind empty ones
            log.info("doctor screens not installed; showing empty screens")
        else:
            self.workspace = DoctorWorkspace(
                self.services, self, events=self.events, sync_status=self.sync_status,
                sync_worker=self.sync_worker, set_badge=self.set_badge)
            self.workspace.profile.logout_requested.connect(self.logout_requested.emit)
            return self.workspace.entries()
        return [(title, icon_name, _empty_screen(title, icon_name, body))
                for title, icon_name, body in DOCTOR_PLACES]
