"""What the doctor's screens share: their reports, patients' names, and live change events."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QStackedWidget, QWidget

from desktop_app.ui.bridge import EventBridge
from desktop_app.ui.shell import MainWindow
from desktop_app.ui.workers import run_in_background

if TYPE_CHECKING:
    from desktop_app.core.services import AppServices
    from desktop_app.core.sync.status import SyncReport

log = logging.getLogger(__name__)


@dataclass
class DoctorSnapshot:
    """Everything read from the store in one background pass."""

    reports: list[dict]
    patients: list = field(default_factory=list)  # accounts.User of the doctor's patients
    names: dict[str, str] = field(default_factory=dict)


def read_snapshot(services: AppServices, doctor: str) -> DoctorSnapshot:
    """Runs on a worker thread: the doctor's reports and the names to show for usernames."""
    patients = services.accounts.patients_of(doctor)
    names = {user.username: user.display_name for user in services.accounts.doctors()}
    names.update({user.username: user.full_name or user.username for user in patients})
    return DoctorSnapshot(services.reports.queue(), patients, names)


class DoctorData(QObject):
    """Loads the doctor's data off the UI thread and turns store events into Qt signals."""

    loaded = Signal(object)  # DoctorSnapshot
    report_changed = Signal(dict)
    messages_changed = Signal()
    patients_changed = Signal()
    load_failed = Signal(str)

    def __init__(self, services: AppServices, doctor: str, parent: QObject | None = None,
                 bridge: EventBridge | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.doctor = doctor
        self.names: dict[str, str] = {}
        self.patients: list = []
        self.loaded_once = False
        # The main window already relays core events; a bridge of our own only without one.
        self.bridge = bridge if bridge is not None else EventBridge(services, self)
        self.bridge.event.connect(self._on_event)

    def name_of(self, username: str) -> str:
        return self.names.get(username) or username

    def reload(self) -> None:
        run_in_background(read_snapshot, self.services, self.doctor,
                          on_result=self._on_loaded, on_error=self._on_error, owner=self)

    def _on_loaded(self, snapshot: DoctorSnapshot) -> None:
        self.names = snapshot.names
        self.patients = snapshot.patients
        self.loaded_once = True
        self.loaded.emit(snapshot)

    def _on_error(self, exc: Exception) -> None:
        if self.services.accounts.current_user is None:
            return  # signed out while reading: the window is going away, nothing to show
        log.warning("doctor data could not be loaded: %s", exc)
        self.load_failed.emit("Reports could not be read from this computer's storage.")

    def _on_event(self, topic: str, data: dict) -> None:
        if topic.startswith("report.") and topic != "report.draft_saved":
            report_id = data.get("report_id") or data.get("id")
            if report_id:
                run_in_background(self.services.reports.get, report_id,
                                  on_result=self._on_report, owner=self)
            else:
                self.reload()
        elif topic.startswith("message."):
            self.messages_changed.emit()
        elif topic == "account.signed_out":
            return  # the window is closing; there is no one to load for
        elif topic.startswith("account."):
            self.reload()
            self.patients_changed.emit()
        elif topic.startswith("sync."):
            self.reload()

    def on_sync_finished(self, report: SyncReport) -> None:
        """A sync pass moved reports or messages: show them without waiting for a restart."""
        changed = report.changed_reports
        if len(changed) > 50:  # a first sync of a big clinic: one read beats many
            self.reload()
        else:
            for report_id in changed:
                run_in_background(self.services.reports.get, report_id,
                                  on_result=self._on_report, owner=self)
        if report.changed_messages:
            self.messages_changed.emit()

    def _on_report(self, report: dict | None) -> None:
        if report is not None:
            self.report_changed.emit(report)


def show_screen(widget: QWidget) -> None:
    """Bring one of the doctor's screens to the front of the main window."""
    window = widget.window()
    if isinstance(window, MainWindow) and window.open_widget(widget):
        return
    parent = widget.parentWidget()
    if isinstance(parent, QStackedWidget):
        parent.setCurrentWidget(widget)
