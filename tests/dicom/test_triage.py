"""Whole-series triage with the shipped model: one pending report per series, key slice, honest verdicts."""

from __future__ import annotations

from desktop_app.core.dicom.triage import report_id_for
from desktop_app.core.dicom.verdict import key_slice_index, slice_result, summarise
from desktop_app.core.sync.outbox_kinds import CreateReport
from devkit.dicom_scu import send
from devkit.dicom_series import make_series


def _triaged(receiver_factory, series, **kwargs):
    reports = []
    receiver = receiver_factory(on_report=reports.append, **kwargs)
    assert send(receiver.port, series) == [0] * len(series)
    assert receiver.completion.wait_idle(120)
    return receiver, reports


def test_a_series_becomes_one_pending_report_with_its_key_slice(receiver_factory, clinic):
    series = make_series("glioma_1.jpg", slices=12, size=256, blank_ends=2)
    _, reports = _triaged(receiver_factory, series)
    assert len(reports) == 1
    report = clinic.reports.raw(report_id_for(series[0].SeriesInstanceUID))
    assert report["status"] == "pending" and report["username"] == "pat001" and report["doctor"] == "dr_bob"
    info = report["series"]
    assert info["series_description"] == "AX T1 POST" and info["patient_id"] == "PAT001"
    assert info["instance_count"] == 12
    slices = info["slices"]
    assert slices and all(s["index"] not in (0, 1, 10, 11) for s in slices)  # blank ends skipped
    key = slices[info["key_slice"]]
    assert key["tumour_probability"] == max(s["tumour_probability"] for s in slices)
    assert report["label_key"] == key["label_key"] and report["image_name"] == f"{key['sop_uid']}.dcm"
    assert all(s["model_image_hash"] and s["heatmap_hash"] for s in slices)
    assert clinic.store.outbox.get(CreateReport.key(report["id"])) is not None  # goes to the clinic's server


def test_a_series_of_an_unknown_patient_stays_on_this_computer(receiver_factory, clinic):
    series = make_series(slices=5, size=128, patient_id="NOBODY-42")
    _, reports = _triaged(receiver_factory, series)
    report = reports[0]
    assert report["username"] is None and report["series"]["patient_id"] == "NOBODY-42"
    assert clinic.store.outbox.get(CreateReport.key(report["id"])) is None


def test_a_series_sent_twice_keeps_one_report(receiver_factory, clinic):
    series = make_series(slices=4, size=128)
    receiver, reports = _triaged(receiver_factory, series[:2])
    assert send(receiver.port, series[2:]) == [0, 0]
    assert receiver.completion.wait_idle(120)
    assert len(reports) == 2 and reports[0]["id"] == reports[1]["id"]
    assert clinic.reports.raw(reports[0]["id"])["series"]["instance_count"] == 4
    assert len([r for r in clinic.store.collection("reports").all() if r.get("source") == "dicom"]) == 1


def _prediction(label_key, label, tumour, **extra):
    probabilities = {"Glioma": tumour, "Meningioma": 0.0, "Pituitary tumor": 0.0, "No Tumor": 1 - tumour}
    return {"label_key": label_key, "label": label, "confidence": max(tumour, 1 - tumour),
            "probabilities": probabilities, "is_brain_mri": True, **extra}


def test_disagreeing_slices_say_so_and_abstentions_are_counted():
    results = [slice_result(p) for p in (
        _prediction("glioma", "Glioma", 0.9),
        _prediction("notumor", "No Tumor", 0.2),
        _prediction("glioma", "Glioma", 0.97, abstained=True),  # a newer model may abstain
        {**_prediction("not_brain_mri", "Not a brain MRI", 0.99), "is_brain_mri": False},
        _prediction("notumor", "No Tumor", 0.1),
    )]
    assert key_slice_index(results) == 0  # the abstained 0.97 slice is not the key slice
    summary = summarise(results)
    assert not summary["agree"]
    assert summary["summary"] == ("Slices disagree: 2 No Tumor, 1 Glioma. The model abstained on 1 of 5 slices. "
                                  "1 of 5 slices do not look like a brain MRI.")


def test_slices_that_agree_say_so_and_no_assessable_slice_gives_no_key():
    agreeing = [slice_result(_prediction("glioma", "Glioma", t)) for t in (0.8, 0.9)]
    assert summarise(agreeing)["summary"] == "All 2 assessable slices read as Glioma."
    abstaining = [slice_result({"label_key": "abstained", "label": "Uncertain", "probabilities": {}})]
    assert key_slice_index(abstaining) is None
    assert summarise(abstaining)["summary"].startswith("No slice could be assessed")
