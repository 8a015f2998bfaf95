"""One table of labels: read from the shipped model.json, every stored spelling back to its key."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from desktop_app.core import labels
from desktop_app.core.sync.wire import report_from_wire
from desktop_app.core.wording import finding_text
from desktop_app.paths import models_dir

REPO = Path(__file__).resolve().parents[2]
SHIPPED = json.loads((models_dir() / "model.json").read_text(encoding="utf-8"))["labels"]


@pytest.fixture
def fresh_tables():
    """Forget the tables read so far, before and after (a test may point them at another folder)."""
    labels.labels.cache_clear()
    labels._spellings.cache_clear()
    yield
    labels.labels.cache_clear()
    labels._spellings.cache_clear()


def test_the_model_json_labels_round_trip():
    assert labels.model_json_entries() == SHIPPED
    assert list(labels.keys()) == [entry["key"] for entry in SHIPPED]
    assert labels.display_names() == {entry["key"]: entry["display"] for entry in SHIPPED}
    for entry in SHIPPED:
        for spelling in (entry["key"], entry["display"], labels.label_texts()[entry["key"]]):
            assert labels.key_of(spelling) == entry["key"]


@pytest.mark.parametrize("spelling,key", [
    ("No Tumor", "notumor"), ("no tumor", "notumor"), ("No tumour", "notumor"), ("no_tumor", "notumor"),
    ("NO_TUMOR", "notumor"), (" notumor ", "notumor"),
    ("Pituitary tumor", "pituitary"), ("pituitary tumour", "pituitary"), ("pituitary_tumor", "pituitary"),
    ("pituitary", "pituitary"), ("Glioma", "glioma"), ("glioma", "glioma"), ("Meningioma", "meningioma"),
    ("Not assessable", "not_assessable"), ("not_assessable", "not_assessable"),
    ("Not assessable — needs another scan", "not_assessable"),
])
def test_every_legacy_spelling_maps_to_its_key(spelling, key):
    assert labels.key_of(spelling) == key


def test_what_older_servers_derived_maps_back():
    # Servers used to store the display name in snake case as label_key ("no_tumor").
    for entry in SHIPPED:
        assert labels.key_of(entry["display"].lower().replace(" ", "_")) == entry["key"]


def test_unknown_labels_keep_the_servers_snake_case():
    assert labels.key_of("banana") is None and labels.key_of("") is None and labels.key_of(None) is None
    assert labels.wire_label_key("Not a brain MRI") == "not_a_brain_mri"
    assert labels.wire_label_key("No Tumor") == "notumor" and labels.wire_label_key(None) is None


def test_tumour_or_not():
    assert [key for key in labels.keys() if labels.is_tumour(key)] == ["glioma", "meningioma", "pituitary"]
    assert not labels.is_tumour("No Tumor") and labels.is_tumour("Pituitary tumor")
    assert not labels.is_tumour("not_assessable") and not labels.is_tumour("banana")


def test_the_app_writes_findings_in_sentence_case_tumours_first():
    assert labels.label_texts() == {"glioma": "Glioma", "meningioma": "Meningioma",
                                    "pituitary": "Pituitary tumor", "notumor": "No tumor"}
    assert list(labels.finding_texts())[-1] == labels.NOT_ASSESSABLE
    assert labels.Label("x", "Suspected MRI Artefact").text == "Suspected MRI artefact"


def test_an_install_without_model_json_still_reads_its_stored_reports(tmp_path, monkeypatch, fresh_tables, caplog):
    monkeypatch.setattr(labels, "models_dir", lambda: tmp_path)
    assert labels.labels() == ()
    assert "could not be read" in caplog.text
    assert finding_text("Glioma") == "Glioma"  # the stored text, as it was saved
    assert labels.key_of("not_assessable") == "not_assessable"


def test_a_wire_report_without_label_key_gets_cores_key():
    record = {"id": "r1", "username": "alice", "report": {"label": "Pituitary tumor", "confidence": 0.8}}
    assert report_from_wire(record, doctor="dr_bob", now_ms=1)["label_key"] == "pituitary"


def test_the_table_needs_neither_qt_nor_numpy():
    code = ("import sys; from desktop_app.core import labels; labels.key_of('No Tumor'); "
            "print(sorted(m for m in ('PySide6', 'numpy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)},
                         capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
