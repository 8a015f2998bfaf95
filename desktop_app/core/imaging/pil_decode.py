"""Decoding raster files (PNG, JPEG, BMP, TIFF, 16-bit, palette, RGBA, EXIF orientation) to grayscale."""

from __future__ import annotations

import io
import logging

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from desktop_app.core.imaging.errors import ImageError
from desktop_app.core.imaging.limits import MAX_KEPT_SIDE, MAX_PIXELS, check_pixel_count

log = logging.getLogger(__name__)


def to_uint8(values: np.ndarray) -> np.ndarray:
    """Any-range intensities -> uint8, stretching the 0.5–99.5 percentile range (16-bit, float)."""
    values = values.astype(np.float32, copy=False)
    lo, hi = np.percentile(values, [0.5, 99.5])
    if hi <= lo:
        lo, hi = float(values.min()), float(values.max())
    if hi <= lo:
        return np.zeros(values.shape, dtype=np.uint8)
    scaled = (values - lo) * (255.0 / (hi - lo))
    return np.clip(scaled + 0.5, 0, 255).astype(np.uint8)


def pil_to_gray(image: Image.Image) -> np.ndarray:
    """A decoded Pillow image -> uint8 grayscale, honouring EXIF orientation and transparency."""
    image = ImageOps.exif_transpose(image) or image
    if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        return to_uint8(np.asarray(image))
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        # Transparent areas are background: composite onto black, like the scanner's air.
        rgba = image.convert("RGBA")
        black = Image.new("RGBA", rgba.size, (0, 0, 0, 255))
        image = Image.alpha_composite(black, rgba)
    if image.mode == "L":  # most scans: no conversion copy
        return np.asarray(image, dtype=np.uint8)
    return np.asarray(image.convert("L"), dtype=np.uint8)


# Modes Image.reduce works on; others (palette, 16-bit) are small per pixel and converted as they are.
_REDUCIBLE = {"L", "LA", "RGB", "RGBA", "I", "F", "CMYK", "YCbCr"}


def reduce_large(image: Image.Image, max_side: int = MAX_KEPT_SIDE) -> Image.Image:
    """`image` box-reduced by a whole factor until its longer side is at most `max_side` (a copy a
    fraction of the size); the decoded original can then be freed before any conversion."""
    factor = -(-max(image.size) // max_side)
    if factor <= 1 or image.mode not in _REDUCIBLE:
        return image
    return image.reduce(factor)


def decode_raster(data: bytes, max_pixels: int = MAX_PIXELS) -> tuple[np.ndarray, Image.Image]:
    """(uint8 grayscale, colour preview source) from encoded bytes; ImageError when unusable.

    Decoded once: JPEGs are decoded at a reduced scale when they are large (DCT draft mode), other
    rasters reduced right after decoding, so transparency and colour conversion work on the small copy.
    """
    try:
        image = Image.open(io.BytesIO(data))
    except UnidentifiedImageError as exc:
        raise ImageError(
            "This file is not an image the app can read. Please choose a PNG, JPEG, TIFF, BMP or DICOM file.",
            reason="not_an_image",
        ) from exc
    except Image.DecompressionBombError as exc:
        raise _too_large() from exc
    # The header already tells the size: refuse huge images before any pixel is decoded.
    check_pixel_count(image.size[0], image.size[1], max_pixels=max_pixels)
    try:
        if image.format == "JPEG" and max(image.size) > MAX_KEPT_SIDE:
            image.draft(image.mode, (MAX_KEPT_SIDE, MAX_KEPT_SIDE))
        image.load()
        image = reduce_large(image)
    except (OSError, SyntaxError, ValueError) as exc:
        log.info("decode failed: %s", exc)
        raise ImageError(
            "This image file is damaged or incomplete (it may not have finished copying). "
            "Please export or copy it again.",
            reason="truncated",
        ) from exc
    except Image.DecompressionBombError as exc:
        raise _too_large() from exc
    return pil_to_gray(image), image


def _too_large() -> ImageError:
    return ImageError(
        f"This image is too large to analyse safely (over {MAX_PIXELS // 1_000_000} megapixels). "
        "Please export a single slice at normal resolution.",
        reason="too_large",
    )
