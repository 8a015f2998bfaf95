"""The robustness table's perturbations, applied to the original image file as a clinic would send it."""

from __future__ import annotations

import io
from collections.abc import Callable

import numpy as np
from PIL import Image


def _encode(image: Image.Image, fmt: str = "PNG", **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def _border(share: float) -> Callable[[Image.Image], bytes]:
    def apply(image: Image.Image) -> bytes:
        w, h = image.size
        dx, dy = int(round(w * share)), int(round(h * share))
        canvas = Image.new(image.mode, (w + 2 * dx, h + 2 * dy), 0)
        canvas.paste(image, (dx, dy))
        return _encode(canvas)
    return apply


def _gamma(g: float) -> Callable[[Image.Image], bytes]:
    def apply(image: Image.Image) -> bytes:
        x = np.asarray(image, dtype=np.float32) / 255.0
        return _encode(Image.fromarray(np.clip(255.0 * x**g + 0.5, 0, 255).astype(np.uint8)))
    return apply


def _downscale(side: int) -> Callable[[Image.Image], bytes]:
    def apply(image: Image.Image) -> bytes:
        w, h = image.size
        scale = side / max(w, h)
        return _encode(image.resize((round(w * scale), round(h * scale)), Image.Resampling.BILINEAR))
    return apply


def _rotate(degrees: float) -> Callable[[Image.Image], bytes]:
    return lambda image: _encode(image.rotate(degrees, Image.Resampling.BILINEAR, fillcolor=0))


PERTURBATIONS: dict[str, Callable[[Image.Image], bytes]] = {
    "clean (grayscale PNG)": lambda image: _encode(image),
    "RGB JPEG (q95)": lambda image: _encode(image.convert("RGB"), "JPEG", quality=95),
    "border 25%": _border(0.25),
    "border 50%": _border(0.50),
    "downscale to 150 px": _downscale(150),
    "gamma 0.6": _gamma(0.6),
    "gamma 1.6": _gamma(1.6),
    "JPEG quality 30": lambda image: _encode(image, "JPEG", quality=30),
    "rotation +15°": _rotate(15),
    "rotation -15°": _rotate(-15),
}


def perturbed(data: bytes, name: str) -> bytes:
    """`data` (an image file) re-encoded under the named perturbation."""
    with Image.open(io.BytesIO(data)) as image:
        return PERTURBATIONS[name](image.convert("L"))
