"""Peak memory one /predict costs the server, above its idle size, for a large picture.

    PYTHONPATH=. .venv/bin/python benchmarks/predict_memory.py [--side 7000] [--mode RGBA] [--max-pixels N]

Runs the real app (SQLite in a temporary folder, the shipped model) in this process: one ordinary
scan first so the model is loaded, then the peak resident size is reset (Linux /proc/self/clear_refs)
and the large picture is sent. Prints the answer, the idle and peak resident sizes, and their
difference. Linux only.
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import sys
import tempfile
from pathlib import Path

from PIL import Image, ImageDraw

REPO = Path(__file__).resolve().parents[1]


def large_png(side: int, mode: str) -> bytes:
    """A compressible picture of `side`² pixels: dark background, a bright ellipse, transparent margins."""
    image = Image.new(mode, (side, side), (0,) * len(mode))
    draw = ImageDraw.Draw(image)
    fill = (200,) * (len(mode) - 1) + (255,) if mode.endswith("A") else (200,) * len(mode)
    draw.ellipse((side // 8, side // 6, side * 7 // 8, side * 5 // 6), fill=fill)
    draw.ellipse((side // 3, side // 3, side // 2, side // 2), fill=(90,) * (len(mode) - 1) + (255,))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=False, compress_level=9)
    return buffer.getvalue()


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} missing from /proc/self/status")


def _reset_peak() -> None:
    Path("/proc/self/clear_refs").write_text("5")  # VmHWM := VmRSS


def measure(side: int, mode: str, overrides: dict) -> dict:
    sys.path.insert(0, str(REPO))
    from server.app import create_app, state_of

    picture = large_png(side, mode)
    sample = (REPO / "resources" / "samples" / "glioma_1.jpg").read_bytes()
    with tempfile.TemporaryDirectory(prefix="predict-memory-") as folder:
        config = {"data_dir": Path(folder), "scrypt_n": 2**12, **overrides}
        app = create_app(config)
        client = app.test_client()
        client.post("/register", json={"username": "pat", "email": "p@x.test", "password": "a long password 1"})
        token = client.post("/login", json={"username": "pat", "password": "a long password 1"}).json["token"]
        headers = {"Authorization": f"Bearer {token}"}

        def predict(data: bytes, name: str):
            return client.post("/predict", headers=headers,
                               json={"username": "pat", "image_b64": base64.b64encode(data).decode(), "image_name": name})

        warm = predict(sample, "warm.jpg")
        body = {"username": "pat", "image_b64": base64.b64encode(picture).decode(), "image_name": "large.png"}
        encoded = json.dumps(body).encode()
        idle_kb = _status_kb("VmRSS")
        _reset_peak()
        answer = client.post("/predict", headers=headers, data=encoded, content_type="application/json")
        peak_kb = _status_kb("VmHWM")
        state_of(app).storage.close()
    return {
        "picture": f"{side}×{side} {mode} PNG, {len(picture) // 1024} KB",
        "warm_up_status": warm.status_code,
        "status": answer.status_code,
        "answer": answer.json.get("error") or answer.json.get("label"),
        "reason": answer.json.get("reason"),
        "idle_mb": round(idle_kb / 1024, 1),
        "peak_mb": round(peak_kb / 1024, 1),
        "above_idle_mb": round((peak_kb - idle_kb) / 1024, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--side", type=int, default=7000)
    parser.add_argument("--mode", default="RGBA", choices=["L", "RGB", "RGBA"])
    parser.add_argument("--max-pixels", type=int, help="the server's max_image_pixels (default: its own)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    overrides = {"max_image_pixels": args.max_pixels} if args.max_pixels else {}
    result = measure(args.side, args.mode, overrides)
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>14}: {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
