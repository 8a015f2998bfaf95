"""The doctor's main window: the shell filled with the doctor's screens (`screens.DoctorWorkspace`).

The window lends the workspace its event relay, sync status, sync worker and navigation badges;
`window.open_screen(key)` navigates (key: the title in lower case, spaces as underscores), and the
Profile screen's "Sign out" signs the doctor out.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from desktop_app.ui.doctor.screens import DoctorWorkspace
from desktop_app.ui.shell import MainWindow

if TYPE_CHECKING:
    from desktop_app.core.services import AppServices
    from desktop_app.core.users import User
    from desktop_app.ui.sync_worker import SyncWorker


class DoctorWindow(MainWindow):
    def __init__(self, services: AppServices, user: User, *,
                 sync_worker: SyncWorker | None = None) -> None:
        super().__init__(services, user, role_title="Doctor")
        self.sync_worker = sync_worker
        self.workspace = DoctorWorkspace(
            services, self, events=self.events, sync_status=self.sync_status,
            sync_worker=self.sync_worker, set_badge=self.set_badge)
        self.workspace.profile.logout_requested.connect(self.logout_requested.emit)
        for title, icon_name, widget in self.workspace.entries():
            self.add_screen(title.lower().replace(" ", "_"), title, icon_name, widget)
