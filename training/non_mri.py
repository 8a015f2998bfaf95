"""Pictures that are not brain MRIs (package sample images and synthetic ones), for the MRI check."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageDraw

SKIMAGE_SAMPLES = (
    "astronaut", "coffee", "chelsea", "camera", "page", "retina", "text", "coins", "moon", "horse",
    "hubble_deep_field", "immunohistochemistry", "microaneurysms", "rocket", "grass", "gravel",
    "brick", "checkerboard", "clock", "cell", "colorwheel", "logo", "binary_blobs",
)


def _png(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


def package_samples() -> dict[str, bytes]:
    import skimage.data
    from matplotlib import cbook

    images = {}
    for name in SKIMAGE_SAMPLES:
        array = getattr(skimage.data, name)()
        if array.dtype != np.uint8:
            array = (array.astype(np.float32) / max(1.0, float(array.max())) * 255).astype(np.uint8)
        images[f"skimage:{name}"] = _png(array)
    with cbook.get_sample_data("grace_hopper.jpg") as f:
        images["matplotlib:grace_hopper"] = f.read()
    with cbook.get_sample_data("logo2.png") as f:
        images["matplotlib:logo2"] = f.read()
    return images


def synthetic(seed: int = 0) -> dict[str, bytes]:
    """Noise, gradients, a text screenshot, a form, a chest-X-ray-like and a ring phantom."""
    rng = np.random.default_rng(seed)
    images = {
        "synthetic:uniform_noise": _png(rng.integers(0, 256, (256, 256), dtype=np.uint8)),
        "synthetic:gaussian_noise": _png(np.clip(rng.normal(128, 40, (300, 300)), 0, 255).astype(np.uint8)),
        "synthetic:colour_noise": _png(rng.integers(0, 256, (200, 260, 3), dtype=np.uint8)),
        "synthetic:horizontal_gradient": _png(np.tile(np.linspace(0, 255, 256, dtype=np.uint8), (256, 1))),
        "synthetic:radial_gradient": _png(_radial(256)),
    }
    screenshot = Image.new("RGB", (640, 400), (240, 240, 245))
    draw = ImageDraw.Draw(screenshot)
    draw.rectangle((0, 0, 640, 30), fill=(40, 90, 160))
    for row in range(12):
        draw.text((20, 45 + row * 28), f"Patient list entry {row}: appointment 10:{row:02d} confirmed", fill=(20, 20, 20))
    images["synthetic:screenshot"] = _encode_jpeg(screenshot)
    dark_text = Image.new("L", (500, 300), 0)
    draw = ImageDraw.Draw(dark_text)
    for row in range(10):
        draw.text((10, 10 + row * 28), "TERMINAL OUTPUT  $ ls -la  /var/log  " * 2, fill=230)
    images["synthetic:dark_terminal"] = _png(np.asarray(dark_text))
    images["synthetic:chest_xray_like"] = _png(_chest_like(rng))
    return images


def _radial(size: int) -> np.ndarray:
    yy, xx = np.mgrid[:size, :size] - size / 2
    return np.clip(255 - np.hypot(xx, yy) * 2, 0, 255).astype(np.uint8)


def _chest_like(rng: np.random.Generator) -> np.ndarray:
    """Bright body, two dark lung fields, a spine: the layout of a chest radiograph."""
    yy, xx = np.mgrid[:320, :320].astype(np.float32)
    body = 170 + 20 * np.sin(xx / 40)
    for cx in (100, 220):
        lung = ((xx - cx) / 55) ** 2 + ((yy - 170) / 110) ** 2 < 1
        body[lung] = 60
    body[:, 150:170] = 220
    return np.clip(body + rng.normal(0, 6, body.shape), 0, 255).astype(np.uint8)


def _encode_jpeg(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def all_non_mri() -> dict[str, bytes]:
    return {**package_samples(), **synthetic()}
