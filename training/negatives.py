"""Generated pictures that are not brain MRIs, for *fitting* the brain-MRI check.

None of them is one of the held-out test pictures of `training.non_mri` (those judge the check and
are never fitted on): no scikit-image sample used there, no crop of one, and the noise, chest and
screen generators below are different code with random parameters.

Kinds: noise (uniform, Gaussian, salt-and-pepper, smoothed, fractal, coloured), gradients, text
pages and terminals, UI screens and charts, random shapes and binary blobs, textured discs on black
(microscopy-, coin- and moon-like), chest radiographs, stained-tissue colours, faces and terrain.
"""

from __future__ import annotations

import io
from collections.abc import Callable

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

Rng = np.random.Generator
WORDS = ("patient", "report", "total", "invoice", "date", "name", "scan", "clinic", "value", "result",
         "error", "file", "system", "status", "ready", "lorem", "ipsum", "dolor", "amet", "data")


def _encode(picture: Image.Image | np.ndarray, rng: Rng) -> bytes:
    """PNG or JPEG (random quality), as such pictures reach the app."""
    if isinstance(picture, np.ndarray):
        picture = Image.fromarray(picture)
    buffer = io.BytesIO()
    if rng.random() < 0.4:
        picture.convert("RGB" if picture.mode not in ("L", "RGB") else picture.mode).save(
            buffer, format="JPEG", quality=int(rng.integers(40, 96)))
    else:
        picture.save(buffer, format="PNG")
    return buffer.getvalue()


def _size(rng: Rng, lo: int = 160, hi: int = 520) -> tuple[int, int]:
    return int(rng.integers(lo, hi)), int(rng.integers(lo, hi))


def _u8(x: np.ndarray) -> np.ndarray:
    return np.clip(x, 0, 255).astype(np.uint8)


def _smooth(rng: Rng, h: int, w: int, sigma: float) -> np.ndarray:
    """Gaussian-smoothed white noise scaled to 0..1."""
    noise = Image.fromarray(_u8(rng.normal(128, 60, (h, w))))
    x = np.asarray(noise.filter(ImageFilter.GaussianBlur(sigma)), dtype=np.float32)
    return (x - x.min()) / max(1e-6, float(np.ptp(x)))


def _fractal(rng: Rng, h: int, w: int) -> np.ndarray:
    """1/f^beta noise (clouds, terrain-like), 0..1."""
    fy, fx = np.meshgrid(np.fft.fftfreq(h), np.fft.rfftfreq(w), indexing="ij")
    f = np.hypot(fy, fx)
    f[0, 0] = 1.0
    spectrum = (rng.normal(size=f.shape) + 1j * rng.normal(size=f.shape)) / f ** rng.uniform(0.8, 1.6)
    x = np.fft.irfft2(spectrum, s=(h, w))
    return (x - x.min()) / max(1e-9, float(np.ptp(x)))


def noise(rng: Rng) -> np.ndarray:
    h, w = _size(rng)
    kind = rng.integers(6)
    if kind == 0:
        return rng.integers(0, 256, (h, w), dtype=np.uint8)
    if kind == 1:
        return _u8(rng.normal(rng.uniform(40, 200), rng.uniform(10, 70), (h, w)))
    if kind == 2:
        x = np.full((h, w), rng.uniform(0, 255))
        x[rng.random((h, w)) < rng.uniform(0.02, 0.3)] = 0
        x[rng.random((h, w)) < rng.uniform(0.02, 0.3)] = 255
        return _u8(x)
    if kind == 3:
        return _u8(_smooth(rng, h, w, rng.uniform(1, 12)) * rng.uniform(120, 255) + rng.uniform(0, 60))
    if kind == 4:
        return _u8(_fractal(rng, h, w) * 255)
    return rng.integers(0, 256, (h, w, 3), dtype=np.uint8) if rng.random() < 0.5 else _u8(
        np.stack([_fractal(rng, h, w) for _ in range(3)], axis=-1) * 255)


def gradient(rng: Rng) -> np.ndarray:
    h, w = _size(rng)
    yy, xx = np.mgrid[:h, :w].astype(np.float32)
    if rng.random() < 0.5:
        angle = rng.uniform(0, np.pi)
        x = np.cos(angle) * xx + np.sin(angle) * yy
    else:
        x = -np.hypot(xx - rng.uniform(0, w), yy - rng.uniform(0, h))
    x = (x - x.min()) / max(1e-6, float(np.ptp(x)))
    lo, hi = sorted(rng.uniform(0, 255, 2))
    return _u8(lo + (hi - lo) * x + rng.normal(0, rng.uniform(0, 8), x.shape))


def _font(rng: Rng, lo: int = 9, hi: int = 28) -> ImageFont.ImageFont:
    return ImageFont.load_default(size=int(rng.integers(lo, hi)))


def _sentence(rng: Rng, n: int) -> str:
    return " ".join(str(rng.choice(WORDS)) if rng.random() < 0.85 else str(rng.integers(0, 9999)) for _ in range(n))


def text_page(rng: Rng) -> Image.Image:
    """A document, a form or a terminal: lines of text, light or dark background."""
    w, h = _size(rng, 200, 640)
    dark = rng.random() < 0.4
    paper, ink = (int(rng.integers(0, 50)), int(rng.integers(170, 256))) if dark else (
        int(rng.integers(200, 256)), int(rng.integers(0, 90)))
    page = Image.new("L", (w, h), paper)
    draw = ImageDraw.Draw(page)
    font = _font(rng)
    y = int(rng.integers(2, 30))
    step = font.size + int(rng.integers(2, 14))
    while y < h - 5:
        draw.text((int(rng.integers(2, 40)), y), _sentence(rng, int(rng.integers(2, 12))), fill=ink, font=font)
        if rng.random() < 0.1:
            draw.line((10, y + step - 3, w - 10, y + step - 3), fill=ink)
        y += step
    return page


def ui_screen(rng: Rng) -> Image.Image:
    """An application window: title bar, panels, buttons, table rows, text; gray or colour."""
    w, h = _size(rng, 240, 700)
    colour = rng.random() < 0.6
    def tone(lo: int, hi: int):
        return tuple(int(v) for v in rng.integers(lo, hi, 3)) if colour else int(rng.integers(lo, hi))
    screen = Image.new("RGB" if colour else "L", (w, h), tone(0, 256))
    draw = ImageDraw.Draw(screen)
    draw.rectangle((0, 0, w, int(rng.integers(18, 40))), fill=tone(0, 256))
    for _ in range(int(rng.integers(3, 14))):
        x0, y0 = int(rng.integers(0, w - 20)), int(rng.integers(20, h - 10))
        x1, y1 = x0 + int(rng.integers(20, w // 2)), y0 + int(rng.integers(10, h // 3))
        draw.rectangle((x0, y0, x1, y1), fill=tone(0, 256), outline=tone(0, 256))
        draw.text((x0 + 4, y0 + 2), _sentence(rng, int(rng.integers(1, 5))), fill=tone(0, 256), font=_font(rng, 9, 18))
    return screen


def chart(rng: Rng) -> Image.Image:
    """A plot as in a slide or a report (lines, bars or an image plot with axes)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(rng.uniform(2.5, 6), rng.uniform(2, 5)), dpi=int(rng.integers(60, 110)))
    kind = rng.integers(3)
    if kind == 0:
        for _ in range(int(rng.integers(1, 4))):
            ax.plot(np.cumsum(rng.normal(size=50)))
    elif kind == 1:
        bars = int(rng.integers(3, 12))
        ax.bar(range(bars), rng.uniform(1, 10, bars))
    else:
        ax.imshow(_smooth(rng, 40, 40, 3), cmap=str(rng.choice(["gray", "viridis", "magma"])))
    ax.set_title(_sentence(rng, 3))
    if rng.random() < 0.3:
        fig.patch.set_facecolor("black")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")


def shapes(rng: Rng) -> Image.Image:
    """Random rectangles, ellipses, polygons and lines on a plain or noisy background."""
    w, h = _size(rng)
    picture = Image.new("L", (w, h), int(rng.integers(0, 256)))
    draw = ImageDraw.Draw(picture)
    for _ in range(int(rng.integers(1, 25))):
        box = sorted(rng.integers(0, w, 2)), sorted(rng.integers(0, h, 2))
        xy = (int(box[0][0]), int(box[1][0]), int(box[0][1]) + 2, int(box[1][1]) + 2)
        fill = int(rng.integers(0, 256))
        kind = rng.integers(4)
        if kind == 0:
            draw.rectangle(xy, fill=fill)
        elif kind == 1:
            draw.ellipse(xy, fill=fill if rng.random() < 0.7 else None, outline=int(rng.integers(0, 256)), width=int(rng.integers(1, 6)))
        elif kind == 2:
            draw.polygon([(int(rng.integers(0, w)), int(rng.integers(0, h))) for _ in range(int(rng.integers(3, 7)))], fill=fill)
        else:
            draw.line((xy[0], xy[1], xy[2], xy[3]), fill=fill, width=int(rng.integers(1, 10)))
    return picture


def blobs(rng: Rng) -> np.ndarray:
    """Binary or two-tone blobs (thresholded smooth noise), sometimes blurred."""
    h, w = _size(rng)
    x = _smooth(rng, h, w, rng.uniform(3, 20)) > rng.uniform(0.3, 0.7)
    lo, hi = sorted(rng.integers(0, 256, 2))
    image = np.where(x, hi, lo).astype(np.uint8)
    if rng.random() < 0.4:
        image = np.asarray(Image.fromarray(image).filter(ImageFilter.GaussianBlur(rng.uniform(0.5, 3))))
    return image


def textured_discs(rng: Rng) -> np.ndarray:
    """Bright textured discs or cells on a dark background (microscopy, coins, planets)."""
    h, w = _size(rng)
    yy, xx = np.mgrid[:h, :w].astype(np.float32)
    mask = np.zeros((h, w), dtype=np.float32)
    for _ in range(int(rng.integers(1, 12)) if rng.random() < 0.6 else 1):
        cx, cy = rng.uniform(0, w), rng.uniform(0, h)
        rx, ry = rng.uniform(8, w / 2), rng.uniform(8, h / 2)
        mask = np.maximum(mask, (((xx - cx) / rx) ** 2 + ((yy - cy) / ry) ** 2 < 1).astype(np.float32))
    texture = rng.choice([_fractal(rng, h, w), _smooth(rng, h, w, rng.uniform(1, 6)), rng.random((h, w))])
    base = rng.uniform(10, 60)
    return _u8(base * rng.random() + mask * (rng.uniform(60, 200) + rng.uniform(20, 90) * texture)
               + rng.normal(0, rng.uniform(0, 10), (h, w)))


def chest_radiograph(rng: Rng) -> np.ndarray:
    """Chest-radiograph layout with random anatomy: torso, two lungs, ribs, spine, heart, clavicles."""
    h, w = int(rng.integers(240, 520)), int(rng.integers(240, 520))
    yy, xx = np.mgrid[:h, :w].astype(np.float32) / np.array([h, w], np.float32)[:, None, None]
    body = np.full((h, w), rng.uniform(0, 60), dtype=np.float32)
    torso = np.abs(xx - 0.5) < rng.uniform(0.35, 0.5) - 0.1 * (1 - yy)
    body[torso] = rng.uniform(140, 210)
    lung_level = rng.uniform(40, 110)
    for side in (-1, 1):
        cx = 0.5 + side * rng.uniform(0.15, 0.22)
        lung = ((xx - cx) / rng.uniform(0.1, 0.17)) ** 2 + ((yy - rng.uniform(0.45, 0.55)) / rng.uniform(0.25, 0.38)) ** 2 < 1
        body[lung] = lung_level
    ribs = (np.sin((yy + 0.15 * np.abs(xx - 0.5) ** 1.5) * rng.uniform(40, 70)) > 0.6) & (body < 130)
    body[ribs] += rng.uniform(30, 70)
    body[np.abs(xx - 0.5) < rng.uniform(0.03, 0.06)] = rng.uniform(200, 250)
    heart = ((xx - 0.55) / rng.uniform(0.1, 0.16)) ** 2 + ((yy - 0.65) / rng.uniform(0.1, 0.16)) ** 2 < 1
    body[heart] = np.maximum(body[heart], rng.uniform(150, 220))
    image = _u8(body + rng.normal(0, rng.uniform(2, 12), body.shape))
    image = np.asarray(Image.fromarray(image).filter(ImageFilter.GaussianBlur(rng.uniform(0.5, 4))))
    return 255 - image if rng.random() < 0.15 else image


def stained_tissue(rng: Rng) -> np.ndarray:
    """Pink/brown/blue stained-section colours over a cell-like texture (histology, IHC-like)."""
    h, w = _size(rng)
    texture = _smooth(rng, h, w, rng.uniform(1, 5))
    nuclei = _smooth(rng, h, w, rng.uniform(1, 3)) > rng.uniform(0.6, 0.75)
    background = np.array(rng.uniform(200, 250, 3))
    stain = np.array(rng.uniform(60, 230, 3))
    dots = np.array(rng.uniform(30, 150, 3))
    rgb = background * (1 - texture[..., None]) + stain * texture[..., None]
    rgb[nuclei] = dots
    return _u8(rgb + rng.normal(0, 6, rgb.shape))


def face_or_terrain(rng: Rng) -> np.ndarray:
    """A face (skimage's LFW faces, upscaled) or a shaded elevation map (matplotlib sample data)."""
    if rng.random() < 0.5:
        import skimage.data

        faces = skimage.data.lfw_subset()
        face = faces[int(rng.integers(len(faces)))]
        side = int(rng.integers(128, 400))
        return np.asarray(Image.fromarray(_u8(face * 255)).resize((side, side), Image.Resampling.BICUBIC))
    from matplotlib import cbook

    elevation = cbook.get_sample_data("jacksboro_fault_dem.npz")["elevation"]
    top, left = int(rng.integers(0, elevation.shape[0] // 2)), int(rng.integers(0, elevation.shape[1] // 2))
    crop = elevation[top : top + int(rng.integers(60, 170)), left : left + int(rng.integers(60, 200))]
    crop = (crop - crop.min()) / max(1e-6, float(np.ptp(crop))) * 255
    side = int(rng.integers(160, 480))
    return np.asarray(Image.fromarray(_u8(crop)).resize((side, side), Image.Resampling.BILINEAR))


GENERATORS: dict[str, Callable[[Rng], np.ndarray | Image.Image]] = {
    "noise": noise, "gradient": gradient, "text_page": text_page, "ui_screen": ui_screen, "chart": chart,
    "shapes": shapes, "blobs": blobs, "textured_discs": textured_discs, "chest_radiograph": chest_radiograph,
    "stained_tissue": stained_tissue, "face_or_terrain": face_or_terrain,
}


def generated_negatives(per_kind: int = 40, seed: int = 1) -> dict[str, bytes]:
    """`per_kind` encoded pictures of every kind (charts: a quarter of that, they are slow to draw)."""
    rng = np.random.default_rng(seed)
    pictures = {}
    for kind, make in GENERATORS.items():
        for i in range(max(1, per_kind // 4) if kind == "chart" else per_kind):
            pictures[f"{kind}:{i}"] = _encode(make(rng), rng)
    return pictures
