"""A decoded scan: the grayscale pixels plus what the brain-MRI check needs to know about the file."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from desktop_app.core.imaging.limits import MAX_PIXELS
from desktop_app.core.imaging.loading import check_not_blank, looks_like_dicom, read_checked
from desktop_app.core.imaging.pil_decode import decode_raster
from desktop_app.core.imaging.preprocess import intensity_histogram

# Side of the thumbnail the colour saturation is measured on.
_SATURATION_THUMB = 96


@dataclass(frozen=True)
class Scan:
    gray: np.ndarray  # uint8 H×W, EXIF-oriented
    colour_saturation: float  # mean HSV saturation of lit pixels, 0 for grayscale sources
    source: str  # "dicom" or "raster"
    histogram: np.ndarray  # pixel count per gray level (256): blank check, head crop, MRI check


def colour_saturation(image: Image.Image) -> float:
    """How colourful a picture is (MRIs are gray, photos and screenshots are not); on a thumbnail."""
    if image.mode not in ("RGB", "RGBA", "P", "CMYK", "YCbCr"):
        return 0.0
    # Box-reduce first: converting only the thumbnail is far cheaper than the whole picture.
    factor = max(1, min(image.size) // _SATURATION_THUMB)
    thumb = (image.reduce(factor) if factor > 1 and image.mode in ("RGB", "RGBA") else image).convert("RGB")
    thumb.thumbnail((_SATURATION_THUMB, _SATURATION_THUMB))
    hsv = np.asarray(thumb.convert("HSV"), dtype=np.float32) / 255.0
    lit = hsv[..., 2] > 0.1
    return float(hsv[..., 1][lit].mean()) if lit.any() else 0.0


def load_scan(data: bytes, name: str | None = None, frame: int | None = None,
              max_pixels: int = MAX_PIXELS) -> Scan:
    """Decodes raster or DICOM bytes into a Scan; ImageError with plain words when unusable.

    `max_pixels` caps the decoded size (checked from the header, before decoding).
    """
    read_checked(data)
    if looks_like_dicom(data, name):
        from desktop_app.core.imaging.dicom import decode_dicom

        gray, saturation, source = decode_dicom(data, frame=frame, max_pixels=max_pixels), 0.0, "dicom"
    else:
        gray, image = decode_raster(data, max_pixels)
        saturation, source = colour_saturation(image), "raster"
    histogram = intensity_histogram(gray)
    check_not_blank(histogram)
    return Scan(gray=gray, colour_saturation=saturation, source=source, histogram=histogram)


def load_gray(data: bytes, name: str | None = None, frame: int | None = None) -> np.ndarray:
    """uint8 grayscale H×W from raster or DICOM bytes; ImageError with plain words otherwise."""
    return load_scan(data, name, frame).gray
