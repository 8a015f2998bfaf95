"""What one picture may cost the server: a pixel budget read from the header, one decode reduced early, few at once."""

from __future__ import annotations

import base64
import io
import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from desktop_app.core.imaging import load_scan
from server.app import state_of
from server.inference import DecodeGate
from tests.server.conftest import device_prediction

REPO = Path(__file__).resolve().parents[2]


def _picture(side: tuple[int, int], mode: str, fmt: str) -> bytes:
    image = Image.new(mode, side, (0,) * len(mode))
    ImageDraw.Draw(image).ellipse((side[0] // 8, side[1] // 8, side[0] * 7 // 8, side[1] * 7 // 8),
                                  fill=(180,) * len(mode))
    ImageDraw.Draw(image).ellipse((side[0] // 3, side[1] // 3, side[0] // 2, side[1] // 2), fill=(60,) * len(mode))
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return buffer.getvalue()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/status")
def test_a_7000_px_rgba_png_costs_at_most_300_mb_above_idle():
    if not (REPO / "models" / "model.json").exists():
        pytest.skip("the shipped model is not in models/")
    run = subprocess.run([sys.executable, str(REPO / "benchmarks" / "predict_memory.py"), "--json"],
                         capture_output=True, text=True, timeout=300, cwd=REPO,
                         env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO), "HOME": str(REPO)})
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result["status"] == 400 and result["reason"] == "too_large"
    assert result["above_idle_mb"] <= 300, result


def test_the_pixel_budget_is_read_from_the_header_with_a_clear_message(api):
    picture = _picture((5000, 4000), "L", "PNG")  # 20 MP: over the server's 16 MP
    answer = api.post("/predict", {"username": "alice", "image_b64": base64.b64encode(picture).decode(),
                                   "image_name": "big.png", "prediction": device_prediction()}, as_="alice")
    assert answer.status_code == 400 and answer.json["reason"] == "too_large"
    assert "5000×4000 pixels" in answer.json["message"] and "16 megapixels" in answer.json["message"]


@pytest.mark.parametrize(("fmt", "mode"), [("PNG", "RGBA"), ("JPEG", "RGB"), ("PNG", "L")])
def test_large_pictures_are_reduced_right_after_decoding(fmt, mode):
    scan = load_scan(_picture((3000, 2400), mode, fmt), f"scan.{fmt.lower()}")
    assert max(scan.gray.shape) <= 2048
    assert scan.gray.shape[1] / scan.gray.shape[0] == pytest.approx(3000 / 2400, rel=0.01)


def test_a_picture_within_the_budget_still_gets_a_report(api):
    picture = _picture((3000, 3000), "RGBA", "PNG")
    answer = api.post("/predict", {"username": "alice", "image_b64": base64.b64encode(picture).decode(),
                                   "image_name": "scan.png", "prediction": device_prediction()}, as_="alice")
    assert answer.status_code == 200, answer.json


def test_decodes_beyond_the_per_worker_limit_wait_then_get_503(api, app):
    gate = DecodeGate(1, wait_s=0.3)
    state_of(app).decodes = gate
    answers = []
    with gate.slot():  # another request is decoding
        worker = threading.Thread(target=lambda: answers.append(api.predict("alice")))
        worker.start()
        worker.join(timeout=30)
    assert answers[0].status_code == 503 and answers[0].json["error"] == "server_busy"
    assert answers[0].headers["Retry-After"] == "5" and answers[0].json["message"]
    assert api.predict("alice").status_code == 200  # free again
