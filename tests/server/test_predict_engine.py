"""/predict with the real inference engine (LiteRT): a brain MRI gets a report, anything else a clear 422."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from server.app import state_of

REPO = Path(__file__).resolve().parents[2]
SAMPLE_DIRS = [REPO / "resources" / "samples", Path("/work/shared/data/brain-mri/Training/glioma")]


def _sample_mri() -> bytes | None:
    for folder in SAMPLE_DIRS:
        if folder.is_dir():
            for path in sorted(folder.iterdir()):
                if path.suffix.lower() in (".jpg", ".jpeg", ".png"):
                    return path.read_bytes()
    return None


@pytest.fixture
def engine_ready(app):
    if not (REPO / "models" / "model.json").exists():
        pytest.skip("the shipped model is not in models/ yet")
    if _sample_mri() is None:
        pytest.skip("no sample MRI to predict on")
    return state_of(app).engine.get()


def _document_png() -> bytes:
    """A scanned letter: white page, dark lines of text. Not a brain MRI."""
    image = Image.new("RGB", (420, 560), "white")
    draw = ImageDraw.Draw(image)
    for row in range(40, 520, 22):
        draw.rectangle((40, row, 380 - (row * 7) % 120, row + 9), fill=(20, 20, 30))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def test_predict_runs_the_real_model(api, engine_ready):
    body = {"username": "alice", "image_b64": base64.b64encode(_sample_mri()).decode()}
    answer = api.post("/predict", body, as_="alice")
    assert answer.status_code == 200, answer.json
    labels = set(engine_ready.display_names)
    assert answer.json["label"] in labels
    assert abs(sum(answer.json["probabilities"].values()) - 1.0) < 1e-3
    assert answer.json["model_version"] == engine_ready.model_version
    assert answer.json["is_brain_mri"] is True and answer.json["report_id"]
    record = api.post("/list_reports", {"username": "alice"}, as_="alice").json["reports"][0]
    assert record["source"] == "server" and record["report"]["label"] == answer.json["label"]


def test_non_mri_is_refused(api, app, engine_ready):
    body = {"username": "alice", "image_b64": base64.b64encode(_document_png()).decode()}
    answer = api.post("/predict", body, as_="alice")
    assert answer.status_code == 422 and answer.json["error"] == "not_brain_mri" and answer.json["message"]
    assert state_of(app).storage.counts()["reports"] == 0
