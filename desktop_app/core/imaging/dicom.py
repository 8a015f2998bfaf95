"""DICOM slices through pydicom: photometric interpretation, rescale, windowing, multi-frame."""

from __future__ import annotations

import io
import logging

import numpy as np

from desktop_app.core.counting import count_text
from desktop_app.core.imaging.errors import ImageError
from desktop_app.core.imaging.limits import MAX_PIXELS, check_pixel_count
from desktop_app.core.imaging.pil_decode import to_uint8

log = logging.getLogger(__name__)


def _unsupported(detail: str) -> ImageError:
    return ImageError(
        f"This DICOM file cannot be analysed: {detail}. Please export the slice as PNG or JPEG, "
        "or as an uncompressed DICOM.",
        reason="dicom",
    )


def _first(value) -> float | None:
    """Window centre/width may be multi-valued; the first pair is the default view."""
    if value is None:
        return None
    try:
        return float(value[0]) if hasattr(value, "__len__") and not isinstance(value, str) else float(value)
    except (TypeError, ValueError, IndexError):
        return None


def decode_dicom(data: bytes, frame: int | None = None, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """uint8 grayscale of one frame (the middle one unless `frame` is given)."""
    import pydicom
    from pydicom.errors import InvalidDicomError

    try:
        ds = pydicom.dcmread(io.BytesIO(data), force=True)
    except (InvalidDicomError, EOFError, OSError, ValueError, AttributeError, KeyError) as exc:
        raise ImageError(
            "This file looks like DICOM but is damaged or incomplete. Please export it again.",
            reason="truncated",
        ) from exc
    if "PixelData" not in ds:
        raise _unsupported("it holds no image (it may be a report or a series index)")
    rows, cols = int(ds.get("Rows", 0)), int(ds.get("Columns", 0))
    frames = int(ds.get("NumberOfFrames", 1) or 1)
    check_pixel_count(cols, rows, frames, max_pixels)  # before the pixel data is decoded
    if frame is not None and not 0 <= frame < frames:
        raise ImageError(
            f"This DICOM file has {count_text(frames, 'frame')}; frame {frame + 1} does not exist.",
            reason="frame",
        )
    try:
        pixels = ds.pixel_array
    except (NotImplementedError, RuntimeError) as exc:
        log.info("DICOM pixel decoding unavailable: %s", exc)
        syntax = getattr(getattr(ds, "file_meta", None), "TransferSyntaxUID", None)
        name = getattr(syntax, "name", None) or "this compression"
        raise _unsupported(f"its compression ({name}) is not supported") from exc
    except (ValueError, EOFError, OSError, AttributeError, KeyError) as exc:
        raise ImageError(
            "This DICOM file's image data is damaged or incomplete. Please export it again.",
            reason="truncated",
        ) from exc
    photometric = str(ds.get("PhotometricInterpretation", "MONOCHROME2")).upper()
    samples = int(ds.get("SamplesPerPixel", 1) or 1)
    if frames > 1:
        pixels = pixels[frames // 2 if frame is None else frame]
    if samples > 1 or pixels.ndim == 3:
        if photometric.startswith("YBR"):
            from pydicom.pixels import convert_color_space

            pixels = convert_color_space(pixels, photometric, "RGB")
        pixels = pixels[..., :3].astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)
        return to_uint8(pixels)
    if pixels.ndim != 2:
        raise _unsupported("its image layout is not a single 2-D slice")
    values = pixels.astype(np.float32)
    slope = float(ds.get("RescaleSlope", 1) or 1)
    intercept = float(ds.get("RescaleIntercept", 0) or 0)
    values = values * slope + intercept
    gray = _window(values, _first(ds.get("WindowCenter")), _first(ds.get("WindowWidth")))
    if photometric == "MONOCHROME1":  # 0 is white in MONOCHROME1
        gray = 255 - gray
    return gray


def _window(values: np.ndarray, centre: float | None, width: float | None) -> np.ndarray:
    """The file's own window when it has one (what the radiologist saw), else a percentile stretch."""
    if centre is None or width is None or width <= 1:
        return to_uint8(values)
    lo, hi = centre - width / 2.0, centre + width / 2.0
    scaled = (values - lo) * (255.0 / (hi - lo))
    return np.clip(scaled + 0.5, 0, 255).astype(np.uint8)
