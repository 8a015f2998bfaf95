"""A scan the model cannot judge reads as "for your doctor" to the patient, with no numbers."""

from __future__ import annotations

from desktop_app.core.inference import InferenceEngine
from desktop_app.ui.patient.result_view import ABSTAINED_FINDING
from tests.core.test_abstention import SAMPLE, strict_models
from tests.ui.test_new_scan import window  # noqa: F401  (the patient's main window fixture)

from .conftest import settle


def abstained_prediction(tmp_path):
    """A real prediction from the shipped network under a rule that never gives a label."""
    prediction = InferenceEngine.load(strict_models(tmp_path)).predict_file(SAMPLE)
    assert prediction.abstained
    return prediction


def test_the_patient_reads_for_your_doctor_without_numbers(qtbot, services, window, tmp_path):  # noqa: F811
    report = services.reports.create("anna", SAMPLE.read_bytes(), "scan.jpg", abstained_prediction(tmp_path))
    assert report["abstained"] is True
    history = window.navigate("history")
    qtbot.waitUntil(lambda: history.model.rowCount() == 1, timeout=5000)
    history.open_report(report)
    finding = history.detail.finding
    assert finding.finding.text() == ABSTAINED_FINDING
    assert "cannot judge this scan" in finding.summary.text()
    assert finding.confidence.text() == "" and not finding.bars.isVisible()
    assert not finding.bars_caption.isVisible()
    settle(qtbot)
