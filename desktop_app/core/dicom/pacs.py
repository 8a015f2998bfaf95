"""Find in PACS for the app and the CLI: search the configured PACS, pull a series, triage it here."""

from __future__ import annotations

import logging
from typing import Any

from desktop_app.core.dicom import dicomweb, query
from desktop_app.core.dicom.inbox import Inbox
from desktop_app.core.dicom.node import PacsConfig, listener_from_settings, pacs_from_settings
from desktop_app.core.dicom.query import PacsError, PatientQuery, SeriesMatch
from desktop_app.core.dicom.triage import SeriesTriage

log = logging.getLogger(__name__)
METHODS = ("get", "move", "dicomweb")


class Pacs:
    """The configured PACS; `method` is get (C-GET), move (C-MOVE to the listener) or dicomweb."""

    def __init__(self, services, pacs: PacsConfig | None = None):
        self.services = services
        self.config = pacs or pacs_from_settings(services.settings)
        if self.config is None:
            raise PacsError("No PACS is set up: tumorpredict config set pacs AE_TITLE@host:port "
                            "(or a DICOMweb URL https://…/dicom-web).")
        self.local_ae = listener_from_settings(services.settings).ae_title
        self.inbox = Inbox(services.data_dir)

    @property
    def default_method(self) -> str:
        return "get" if self.config.has_dimse else "dicomweb"

    def find(self, search: PatientQuery) -> list[SeriesMatch]:
        if not (search.patient_name or search.patient_id):
            raise PacsError("Give a patient name or ID to search for.")
        if self.config.has_dimse:
            return query.find_series(self.config, search, self.local_ae)
        return dicomweb.find_series(self.config.dicomweb_url, search)

    def retrieve(self, study_uid: str, series_uid: str, method: str | None = None) -> dict[str, Any] | None:
        """Pulls the series and triages it; the pending report (None if nothing could be read).

        With `move` the listener receives and triages the series itself; None is returned here.
        """
        method = method or self.default_method
        if method == "move":
            sent = query.move_series(self.config, study_uid, series_uid, self.local_ae)
            log.info("PACS sent %d instances to this computer's listener", sent)
            return None
        if method == "get":
            kept = query.get_series(self.config, study_uid, series_uid, self.local_ae, self.inbox)
        elif method == "dicomweb":
            if not self.config.dicomweb_url:
                raise PacsError("No DICOMweb address is set for the PACS.")
            kept = dicomweb.get_series(self.config.dicomweb_url, study_uid, series_uid, self.inbox)
        else:
            raise PacsError(f"Unknown retrieve method “{method}”: use {', '.join(METHODS)}.")
        if not kept:
            raise PacsError("The PACS sent no image of this series.")
        services = self.services
        triage = SeriesTriage(self.inbox, services.reports, services.accounts, lambda: services.engine)
        return triage.triage(study_uid, series_uid)
