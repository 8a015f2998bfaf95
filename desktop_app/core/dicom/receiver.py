"""The DICOM node as one object: the storage server, the settle timer and series triage, wired together."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from desktop_app.core.dicom.completion import SeriesCompletion
from desktop_app.core.dicom.inbox import Inbox
from desktop_app.core.dicom.node import ListenerConfig
from desktop_app.core.dicom.scp import StorageServer
from desktop_app.core.dicom.triage import SeriesTriage

log = logging.getLogger(__name__)


class DicomReceiver:
    """`start()` listens; every complete series becomes a pending report; `stop()` finishes what arrived.

    `on_report(doc)` is told about each report (from the triage thread).
    """

    def __init__(self, services, config: ListenerConfig, *, on_report: Callable[[dict], Any] = lambda doc: None):
        self.config = config
        self.inbox = Inbox(services.data_dir)
        self.inbox.clean_temps()
        self._on_report = on_report
        self._triage = SeriesTriage(self.inbox, services.reports, services.accounts, lambda: services.engine)
        self.completion = SeriesCompletion(self._complete, settle_seconds=config.settle_seconds)
        self.server = StorageServer(config, self.inbox, on_instance=self.completion.touch,
                                    on_released=self.completion.finish)

    @property
    def port(self) -> int:
        return self.server.port

    def start(self) -> None:
        self.server.start()

    def _complete(self, key) -> None:
        doc = self._triage(key)
        if doc is not None:
            self._on_report(doc)

    def stop(self, finish_timeout: float = 30.0) -> None:
        """Stops listening, then triages the series already received before returning."""
        self.server.stop()
        self.completion.finish_all()
        if not self.completion.wait_idle(finish_timeout):
            log.warning("DICOM receiver stopped before every received series was triaged; "
                        "they are kept in the inbox")
        self.completion.close()
