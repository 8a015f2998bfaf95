"""The server names a report's finding with the app's label keys, whatever spelling the sender used."""

from __future__ import annotations

import pytest

from desktop_app.core import labels
from desktop_app.core.sync.wire import report_from_wire

SPELLINGS = ["Glioma", "Meningioma", "Pituitary tumor", "No Tumor", "pituitary tumour", "No tumour", "no_tumor"]


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_a_report_sent_without_label_key_gets_the_same_key_as_core(api, spelling):
    prediction = {"label": spelling, "confidence": 0.8, "is_brain_mri": True}  # a sender that gives no label_key
    answer = api.predict("alice", prediction=prediction)
    assert answer.status_code == 200, answer.json
    assert answer.json["label_key"] == labels.key_of(spelling)
    record = api.post("/list_reports", {"username": "alice"}, as_="alice").json["reports"][0]
    assert record["report"]["label_key"] == labels.key_of(spelling)
    # The device reading the wire record (label_key and all) files it under the same key.
    assert report_from_wire(record, doctor="dr_bob", now_ms=1)["label_key"] == labels.key_of(spelling)


def test_an_unknown_label_keeps_its_snake_case_key(api):
    answer = api.predict("alice", prediction={"label": "Cavernoma", "confidence": 0.8, "is_brain_mri": True})
    assert answer.status_code == 200 and answer.json["label_key"] == "cavernoma"
