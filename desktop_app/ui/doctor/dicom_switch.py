"""The doctor's switch to receive series from the scanner or PACS, and the Find in PACS button."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QHBoxLayout, QWidget

from desktop_app.ui.widgets.common import button, label
from desktop_app.ui.workers import run_in_background

if TYPE_CHECKING:
    from desktop_app.core.services import AppServices

log = logging.getLogger(__name__)


class ReceiverHandle:
    """Holds the running receiver outside Qt, so it is stopped even after the widgets are gone."""

    def __init__(self) -> None:
        self.receiver = None

    def start(self, services: AppServices):
        from desktop_app.core.dicom.node import listener_from_settings
        from desktop_app.core.dicom.receiver import DicomReceiver

        receiver = DicomReceiver(services, listener_from_settings(services.settings))
        receiver.start()  # OSError in words when the port is taken
        self.receiver = receiver
        return receiver

    def stop(self, *_args) -> None:
        receiver, self.receiver = self.receiver, None
        if receiver is not None:
            receiver.stop()


class DicomSwitch(QWidget):
    """'Receive from scanner' (on/off) and 'Find in PACS…'. New reports reach the queue by the usual events."""

    def __init__(self, services: AppServices, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.handle = ReceiverHandle()
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.status = label("", "muted")
        self.status.setAccessibleName("DICOM receiver state")
        self.listen_button = button("Receive from scanner", accessible="Receive MRI series from the scanner or PACS")
        self.listen_button.setCheckable(True)
        self.listen_button.toggled.connect(self._on_toggled)
        self.pacs_button = button("Find in PACS…", accessible="Search the PACS for a patient's studies")
        self.pacs_button.clicked.connect(self.find_in_pacs)
        row.addWidget(self.status)
        row.addWidget(self.listen_button)
        row.addWidget(self.pacs_button)
        self.destroyed.connect(self.handle.stop)

    @property
    def receiver(self):
        return self.handle.receiver

    def _on_toggled(self, on: bool) -> None:
        if on:
            try:
                receiver = self.handle.start(self.services)
            except OSError as exc:
                self.status.setText(exc.strerror or str(exc))
                self.listen_button.blockSignals(True)
                self.listen_button.setChecked(False)
                self.listen_button.blockSignals(False)
                return
            config = receiver.config
            self.status.setText(f"Receiving as {config.ae_title} on port {receiver.port}")
        else:
            self.status.setText("Stopping: reading what already arrived…")
            self.listen_button.setEnabled(False)
            receiver, self.handle.receiver = self.handle.receiver, None
            run_in_background(receiver.stop, owner=self, on_finished=self._stopped)

    def _stopped(self) -> None:
        self.status.setText("")
        self.listen_button.setEnabled(True)

    def find_in_pacs(self) -> None:
        from desktop_app.ui.doctor.pacs_dialog import PacsDialog

        PacsDialog(self.services, parent=self).open()
