"""Reading scans: every raster flavour, EXIF orientation, the shared preprocessing and every refusal."""

from __future__ import annotations

import io
import struct
import time
import tracemalloc
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from desktop_app.core.imaging import ImageError, load_gray, load_scan, standardize
from desktop_app.paths import resources_dir

SAMPLE = resources_dir() / "samples" / "glioma_1.jpg"


def sample_gray() -> np.ndarray:
    return np.asarray(Image.open(SAMPLE).convert("L"))


def encode(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "BMP", "TIFF"])
def test_common_formats_decode_to_the_same_grayscale(fmt):
    gray = sample_gray()
    decoded = load_gray(encode(Image.fromarray(gray), fmt))
    assert decoded.shape == gray.shape and decoded.dtype == np.uint8
    assert np.abs(decoded.astype(int) - gray).mean() < 3  # JPEG re-encoding loses a little


def test_16_bit_grayscale_is_stretched_to_8_bit():
    gray16 = (sample_gray().astype(np.uint16) * 16 + 100).astype(np.uint16)
    decoded = load_gray(encode(Image.fromarray(gray16), "PNG"))
    assert decoded.dtype == np.uint8 and decoded.max() == 255
    assert np.corrcoef(decoded.ravel(), sample_gray().ravel())[0, 1] > 0.99


def test_palette_and_rgba_images():
    rgb = Image.fromarray(sample_gray()).convert("RGB")
    palette = rgb.convert("P", palette=Image.Palette.ADAPTIVE, colors=64)
    assert load_gray(encode(palette, "PNG")).shape == sample_gray().shape
    rgba = rgb.convert("RGBA")
    alpha = np.full(sample_gray().shape, 255, np.uint8)
    alpha[:, :20] = 0  # transparent strip becomes black background
    rgba.putalpha(Image.fromarray(alpha))
    decoded = load_gray(encode(rgba, "PNG"))
    assert decoded[:, :20].max() == 0


def test_exif_orientation_is_applied():
    image = Image.fromarray(sample_gray()[:, :200])  # not square, so a rotation shows
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    decoded = load_gray(encode(image, "JPEG", exif=exif.tobytes()))
    assert decoded.shape == (200, sample_gray().shape[0])


def test_colour_photo_has_saturation_and_gray_scan_has_none():
    assert load_scan(SAMPLE.read_bytes()).colour_saturation < 0.05
    photo = np.zeros((64, 64, 3), np.uint8)
    photo[..., 0], photo[..., 1] = 220, np.arange(64)[:, None] * 3
    assert load_scan(encode(Image.fromarray(photo), "PNG")).colour_saturation > 0.5


def test_standardize_crops_borders_away():
    gray = sample_gray()
    framed = np.zeros((gray.shape[0] * 2, gray.shape[1] * 2), np.uint8)
    framed[gray.shape[0] // 2 : gray.shape[0] // 2 + gray.shape[0], gray.shape[1] // 2 : gray.shape[1] // 2 + gray.shape[1]] = gray
    a, b = standardize(gray).astype(int), standardize(framed).astype(int)
    assert a.shape == (128, 128)
    assert np.abs(a - b).mean() < 4


@pytest.mark.parametrize("seed", range(5))
def test_histogram_percentile_is_exactly_numpys_percentile(seed):
    from desktop_app.core.imaging.preprocess import histogram_percentile, intensity_histogram

    rng = np.random.default_rng(seed)
    gray = rng.integers(0, int(rng.integers(2, 256)), (int(rng.integers(16, 300)), int(rng.integers(16, 300))), dtype=np.uint8)
    histogram = intensity_histogram(gray)
    assert histogram.sum() == gray.size and np.array_equal(histogram, np.bincount(gray.ravel(), minlength=256))
    for q in (0.0, 0.5, 50.0, 99.0, 99.5, 100.0):
        assert histogram_percentile(histogram, q) == pytest.approx(float(np.percentile(gray, q)), abs=1e-9)


def test_head_box_matches_a_direct_numpy_reference():
    """The fast crop (histogram threshold, uint8 projections) finds the very same box as plain numpy."""
    from desktop_app.core.imaging.preprocess import head_bounding_box

    gray = sample_gray()
    framed = np.zeros((gray.shape[0] + 61, gray.shape[1] + 140), np.uint8)
    framed[40 : 40 + gray.shape[0], 100 : 100 + gray.shape[1]] = gray
    for image in (gray, framed):
        threshold = max(8.0, 0.08 * float(np.percentile(image, 99)))
        bright = image > threshold
        h, w = image.shape
        rows = np.flatnonzero(bright.sum(axis=1) >= max(2, 0.02 * w))
        cols = np.flatnonzero(bright.sum(axis=0) >= max(2, 0.02 * h))
        top, bottom, left, right = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
        margin = int(round(0.02 * max(bottom - top, right - left)))
        box = head_bounding_box(image)
        assert (box.top, box.bottom, box.left, box.right) == (
            max(0, top - margin), min(h, bottom + margin), max(0, left - margin), min(w, right + margin))


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "not_an_image"),
        (b"hello, this is a text file\n" * 20, "not_an_image"),
        (b"%PDF-1.4\n" + bytes(200), "not_an_image"),
    ],
)
def test_not_an_image(data, reason):
    with pytest.raises(ImageError) as err:
        load_gray(data, name="scan.jpg")
    assert err.value.reason == reason and "image" in err.value.user_message.lower() or "empty" in err.value.user_message


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_truncated_file(fmt):
    data = encode(Image.fromarray(sample_gray()), fmt)
    with pytest.raises(ImageError) as err:
        load_gray(data[: len(data) // 2])
    assert err.value.reason == "truncated"
    assert "damaged or incomplete" in err.value.user_message


def test_blank_and_constant_images():
    for value in (0, 128, 255):
        with pytest.raises(ImageError) as err:
            load_gray(encode(Image.new("L", (256, 256), value), "PNG"))
        assert err.value.reason == "blank" and "blank" in err.value.user_message


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares a huge size (IHDR) but carries almost no data: a decompression bomb."""

    def chunk(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 1000)) + chunk(b"IEND", b"")


def test_decompression_bomb_is_refused_fast_without_allocating():
    data = _png_header_only(20_000, 20_000)
    tracemalloc.start()
    started = time.perf_counter()
    with pytest.raises(ImageError) as err:
        load_gray(data)
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert err.value.reason == "too_large" and "too large" in err.value.user_message
    assert peak < 20 * 1024 * 1024  # 400 MP would need 400 MB
    assert elapsed < 5  # generous: refused from the header, not after decoding


def test_tiny_image_is_refused():
    with pytest.raises(ImageError) as err:
        load_gray(encode(Image.fromarray(sample_gray()[:8, :8]), "PNG"))
    assert err.value.reason == "too_small"


def test_folder_is_not_an_image(tmp_path: Path):
    from desktop_app.core.inference import InferenceEngine

    engine = InferenceEngine.load()
    with pytest.raises(ImageError):
        engine.predict_file(tmp_path)
