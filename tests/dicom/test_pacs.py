"""Query/retrieve against a real Orthanc: C-FIND, C-GET, C-MOVE, DICOMweb, and Orthanc pushing to the listener."""

from __future__ import annotations

import pytest

from desktop_app.core.dicom.node import PacsConfig
from desktop_app.core.dicom.pacs import Pacs
from desktop_app.core.dicom.query import PacsError, PatientQuery
from devkit.dicom_series import encode, make_series
from tests.dicom.orthanc import AE_TITLE


@pytest.fixture(scope="module")
def patient_history(orthanc):
    """Two studies of PAT777 in the PACS (2024 and 2026) and one of another patient."""
    older = make_series("meningioma_1.jpg", slices=6, size=128, patient_id="PAT777", patient_name="Roe^Ann",
                        study_date="20240315", description="AX T1 2024")
    newer = make_series("meningioma_2.jpg", slices=6, size=128, patient_id="PAT777", patient_name="Roe^Ann",
                        study_date="20261120", description="AX T1 2026")
    other = make_series(slices=3, size=64, patient_id="PAT888", patient_name="Else^Body")
    for ds in older + newer + other:
        orthanc.upload(encode(ds))
    return {"older": older, "newer": newer}


def _pacs(clinic, orthanc, **kwargs):
    return Pacs(clinic, PacsConfig(ae_title=AE_TITLE, host="127.0.0.1", port=orthanc.dicom_port, **kwargs))


def test_find_by_patient_id_and_date_range(clinic, orthanc, patient_history):
    pacs = _pacs(clinic, orthanc)
    matches = pacs.find(PatientQuery(patient_id="PAT777"))
    assert [m.series_description for m in matches] == ["AX T1 2026", "AX T1 2024"]  # newest first
    assert matches[0].patient_name == "Roe Ann" and matches[0].instances == 6
    older_only = pacs.find(PatientQuery(patient_name="Roe*", date_from="20230101", date_to="20251231"))
    assert [m.study_date for m in older_only] == ["20240315"]


def test_c_get_pulls_an_older_study_and_triages_it(clinic, orthanc, patient_history):
    pacs = _pacs(clinic, orthanc)
    older = pacs.find(PatientQuery(patient_id="PAT777", date_to="20251231"))[0]
    report = pacs.retrieve(older.study_uid, older.series_uid, "get")
    assert report["status"] == "pending" and report["series"]["instance_count"] == 6
    assert report["series"]["study_date"] == "20240315"


def test_dicomweb_finds_and_retrieves(clinic, orthanc, patient_history):
    if orthanc.plugin is None:
        pytest.skip("the Orthanc DICOMweb plugin is not installed (apt-get install orthanc-dicomweb)")
    pacs = Pacs(clinic, PacsConfig(dicomweb_url=orthanc.dicomweb_url))
    matches = pacs.find(PatientQuery(patient_id="PAT777"))
    assert [m.series_description for m in matches] == ["AX T1 2026", "AX T1 2024"]
    report = pacs.retrieve(matches[0].study_uid, matches[0].series_uid)
    assert report["series"]["series_description"] == "AX T1 2026" and report["series"]["instance_count"] == 6


def test_c_move_sends_the_series_to_the_listener(clinic, orthanc, patient_history, receiver_factory):
    reports = []
    receiver = receiver_factory(on_report=reports.append, allow=[])
    orthanc.add_modality("tumorpredict", "TUMORPREDICT", receiver.port)
    pacs = _pacs(clinic, orthanc)
    newer = pacs.find(PatientQuery(patient_id="PAT777"))[0]
    assert pacs.retrieve(newer.study_uid, newer.series_uid, "move") is None
    assert receiver.completion.wait_idle(120)
    assert [r["series"]["series_description"] for r in reports] == ["AX T1 2026"]


def test_orthanc_pushes_a_series_to_the_listening_app(clinic, orthanc, receiver_factory):
    from desktop_app.core.dicom.node import parse_allow_list

    series = make_series("glioma_2.jpg", slices=30, size=512, patient_id="PAT001", description="AX T2 PUSHED")
    for ds in series:
        orthanc.upload(encode(ds))
    reports = []
    receiver = receiver_factory(on_report=reports.append, allow=parse_allow_list("ORTHANC@127.0.0.1"))
    orthanc.add_modality("tumorpredict", "TUMORPREDICT", receiver.port)
    orthanc.send_to("tumorpredict", [orthanc.series_id(series[0].SeriesInstanceUID)])
    assert receiver.completion.wait_idle(120)
    assert len(reports) == 1
    report = reports[0]
    assert report["username"] == "pat001" and report["series"]["series_description"] == "AX T2 PUSHED"
    assert report["series"]["instance_count"] == 30


def test_an_unreachable_pacs_is_a_clear_error(clinic):
    from tests.dicom.orthanc import free_port

    pacs = Pacs(clinic, PacsConfig(ae_title="NOPACS", host="127.0.0.1", port=free_port()))
    with pytest.raises(PacsError, match="did not accept the connection"):
        pacs.find(PatientQuery(patient_id="X"))


def test_a_search_needs_a_name_or_id(clinic):
    pacs = Pacs(clinic, PacsConfig(ae_title="NOPACS", host="127.0.0.1", port=1))
    with pytest.raises(PacsError, match="patient name or ID"):
        pacs.find(PatientQuery())
