"""Find in PACS over DICOMweb (QIDO-RS to search, WADO-RS to retrieve) for PACS that speak HTTP."""

from __future__ import annotations

import io
import logging

from desktop_app.core.dicom.inbox import Inbox, InstanceRefused, describe
from desktop_app.core.dicom.query import PacsError, PatientQuery, SeriesMatch

log = logging.getLogger(__name__)


def _client(url: str):
    from dicomweb_client.api import DICOMwebClient

    return DICOMwebClient(url=url)


def _value(item: dict, tag: str) -> str:
    values = (item.get(tag) or {}).get("Value") or [""]
    value = values[0]
    if isinstance(value, dict):  # PN values are {"Alphabetic": "Doe^Jane"}
        value = value.get("Alphabetic", "")
    return str(value).strip()


def find_series(url: str, query: PatientQuery) -> list[SeriesMatch]:
    import requests

    filters = {k: v for k, v in (("PatientName", query.patient_name), ("PatientID", query.patient_id),
                                 ("StudyDate", query.date_range), ("ModalitiesInStudy", "MR")) if v}
    client = _client(url)
    try:
        studies = client.search_for_studies(search_filters=filters)
        matches = []
        for study in studies:
            study_uid = _value(study, "0020000D")
            for series in client.search_for_series(study_uid, search_filters={"Modality": "MR"}):
                count = _value(series, "00201209")
                matches.append(SeriesMatch(_value(study, "00100020"), _value(study, "00100010").replace("^", " "),
                                           study_uid, _value(study, "00080020"), _value(study, "00081030"),
                                           _value(series, "0020000E"), _value(series, "0008103E"),
                                           _value(series, "00080060"), int(count) if count.isdigit() else None))
    except requests.RequestException as exc:
        raise PacsError(f"The DICOMweb server at {url} did not answer the search ({exc}).") from exc
    return sorted(matches, key=lambda m: (m.study_date, m.series_description), reverse=True)


def get_series(url: str, study_uid: str, series_uid: str, inbox: Inbox) -> int:
    """WADO-RS: every instance of the series into the inbox; how many were kept."""
    import requests

    kept = 0
    try:
        for ds in _client(url).iter_series(study_uid, series_uid):
            buffer = io.BytesIO()
            ds.save_as(buffer, enforce_file_format=True)
            data = buffer.getvalue()
            try:
                inbox.keep(data, describe(data))
                kept += 1
            except InstanceRefused as exc:
                log.warning("retrieved instance refused: %s", exc)
    except requests.RequestException as exc:
        raise PacsError(f"The DICOMweb server at {url} did not send the series ({exc}).") from exc
    return kept
