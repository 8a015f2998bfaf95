"""A scan the patient's device could not judge reaches the doctor's device still marked so."""

from __future__ import annotations

from tests.core.test_abstention import SAMPLE, strict_models
from tests.sync.test_faults import _doctor, _patient


def test_the_doctor_on_another_device_sees_the_abstention(devices, project_server, tmp_path):
    from desktop_app.core.inference import InferenceEngine

    patient = _patient(devices, project_server)
    doctor = _doctor(devices, project_server, "doctor")
    prediction = InferenceEngine.load(strict_models(tmp_path)).predict_file(SAMPLE)
    patient.app.reports.create("alice", SAMPLE.read_bytes(), SAMPLE.name, prediction)
    assert patient.sync().ok
    assert doctor.sync().reports_pulled == 1
    on_desk = doctor.app.reports.queue("pending")[0]
    assert on_desk["abstained"] is True and on_desk["label"] == prediction.label
