"""Find in PACS over DIMSE: C-FIND studies and MR series of a patient, C-GET or C-MOVE a series here."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from desktop_app.core.dicom.inbox import Inbox, InstanceRefused, describe
from desktop_app.core.dicom.node import PacsConfig

log = logging.getLogger(__name__)


class PacsError(Exception):
    """The PACS could not be asked or did not deliver, in words an IT admin can act on."""


@dataclass(frozen=True)
class SeriesMatch:
    patient_id: str
    patient_name: str
    study_uid: str
    study_date: str
    study_description: str
    series_uid: str
    series_description: str
    modality: str
    instances: int | None

    def line(self) -> str:
        count = f"{self.instances} images" if self.instances is not None else "images: ?"
        return (f"{self.study_date or '????????'}  {self.patient_name or '?'} ({self.patient_id})  "
                f"{self.study_description or '-'} / {self.series_description or '-'}  {count}  "
                f"{self.study_uid} {self.series_uid}")  # the two UIDs `tumorpredict dicom get` takes


@dataclass(frozen=True)
class PatientQuery:
    """What a doctor searches by: name (wildcards `*`), ID, and a study date range (YYYYMMDD)."""

    patient_name: str = ""
    patient_id: str = ""
    date_from: str = ""
    date_to: str = ""

    @property
    def date_range(self) -> str:
        return f"{self.date_from}-{self.date_to}" if self.date_from or self.date_to else ""


def _text(ds, name: str) -> str:
    return str(ds.get(name, "") or "").strip()


def _associate(pacs: PacsConfig, local_ae: str, contexts, *, storage_scp: bool = False):
    from pynetdicom import AE, build_role

    if not pacs.has_dimse:
        raise PacsError("No DIMSE PACS is set: tumorpredict config set pacs AE_TITLE@host:port")
    ae = AE(ae_title=local_ae)
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = 30
    for context in contexts:
        ae.add_requested_context(context)
    roles = []
    if storage_scp:
        from desktop_app.core.dicom.scp import mr_storage_classes

        for sop_class in mr_storage_classes():
            ae.add_requested_context(sop_class)
            roles.append(build_role(sop_class, scp_role=True))
    assoc = ae.associate(pacs.host, pacs.port, ae_title=pacs.ae_title, ext_neg=roles or None)
    if not assoc.is_established:
        raise PacsError(f"The PACS {pacs.ae_title} at {pacs.host}:{pacs.port} did not accept the connection "
                        "(is it running, and does it know this computer's AE title?).")
    return assoc


def find_series(pacs: PacsConfig, query: PatientQuery, local_ae: str) -> list[SeriesMatch]:
    """Every MR series of the matching studies, newest study first."""
    from pydicom.dataset import Dataset
    from pynetdicom.sop_class import StudyRootQueryRetrieveInformationModelFind as FIND

    assoc = _associate(pacs, local_ae, [FIND])
    try:
        study_q = Dataset()
        study_q.QueryRetrieveLevel = "STUDY"
        study_q.PatientName, study_q.PatientID = query.patient_name, query.patient_id
        study_q.StudyDate, study_q.StudyInstanceUID, study_q.StudyDescription = query.date_range, "", ""
        study_q.ModalitiesInStudy = "MR"
        studies = [ds for ds in _find(assoc, study_q, FIND)]
        matches = []
        for study in studies:
            series_q = Dataset()
            series_q.QueryRetrieveLevel = "SERIES"
            series_q.StudyInstanceUID = _text(study, "StudyInstanceUID")
            series_q.SeriesInstanceUID, series_q.SeriesDescription, series_q.Modality = "", "", "MR"
            series_q.NumberOfSeriesRelatedInstances = ""
            for series in _find(assoc, series_q, FIND):
                count = _text(series, "NumberOfSeriesRelatedInstances")
                matches.append(SeriesMatch(_text(study, "PatientID"), _text(study, "PatientName").replace("^", " "),
                                           series_q.StudyInstanceUID, _text(study, "StudyDate"),
                                           _text(study, "StudyDescription"), _text(series, "SeriesInstanceUID"),
                                           _text(series, "SeriesDescription"), _text(series, "Modality"),
                                           int(count) if count.isdigit() else None))
    finally:
        assoc.release()
    return sorted(matches, key=lambda m: (m.study_date, m.series_description), reverse=True)


def _find(assoc, identifier, model):
    for status, answer in assoc.send_c_find(identifier, model):
        if status is None or "Status" not in status:
            raise PacsError("The PACS stopped answering the search.")
        code = int(status.Status)
        if code in (0xFF00, 0xFF01) and answer is not None:
            yield answer
        elif code not in (0x0000, 0xFF00, 0xFF01):
            raise PacsError(f"The PACS refused the search (status 0x{code:04X}).")


def _retrieve_identifier(match_study_uid: str, series_uid: str):
    from pydicom.dataset import Dataset

    ds = Dataset()
    ds.QueryRetrieveLevel = "SERIES"
    ds.StudyInstanceUID, ds.SeriesInstanceUID = match_study_uid, series_uid
    return ds


def get_series(pacs: PacsConfig, study_uid: str, series_uid: str, local_ae: str, inbox: Inbox) -> int:
    """C-GET: the PACS sends the series back on this connection (no address needed on the PACS); how many kept."""
    from pynetdicom import evt
    from pynetdicom.sop_class import StudyRootQueryRetrieveInformationModelGet as GET

    kept = []

    def store(event) -> int:
        data = event.encoded_dataset()
        try:
            info = describe(data)
            inbox.keep(data, info)
        except InstanceRefused as exc:
            return exc.status
        except OSError as exc:
            log.error("retrieved instance not kept: %s", exc.strerror or exc)
            return 0xA700
        kept.append(info.sop_uid)
        return 0x0000

    assoc = _associate(pacs, local_ae, [GET], storage_scp=True)
    assoc.bind(evt.EVT_C_STORE, store)
    try:
        _check_retrieve(assoc.send_c_get(_retrieve_identifier(study_uid, series_uid), GET), "C-GET")
    finally:
        assoc.release()
    return len(kept)


def move_series(pacs: PacsConfig, study_uid: str, series_uid: str, local_ae: str) -> int:
    """C-MOVE: the PACS sends the series to this node's listener (it must know our AE title and port)."""
    from pynetdicom.sop_class import StudyRootQueryRetrieveInformationModelMove as MOVE

    assoc = _associate(pacs, local_ae, [MOVE])
    try:
        return _check_retrieve(assoc.send_c_move(_retrieve_identifier(study_uid, series_uid), local_ae, MOVE),
                               "C-MOVE")
    finally:
        assoc.release()


def _check_retrieve(responses, what: str) -> int:
    """The number of instances the PACS says it sent; PacsError for a refusal or failures."""
    completed, last = 0, None
    for status, _ in responses:
        if status is None or "Status" not in status:
            raise PacsError(f"The PACS stopped answering the {what}.")
        last = int(status.Status)
        completed = int(status.get("NumberOfCompletedSuboperations", completed) or completed)
    if last == 0xA801:
        raise PacsError("The PACS does not know where to send the series: add this computer's AE title, "
                        "address and port to the PACS's list of DICOM nodes (see docs/dicom.md).")
    if last not in (0x0000, 0xB000):
        raise PacsError(f"The PACS did not send the series ({what} status 0x{(last or 0):04X}).")
    return completed
