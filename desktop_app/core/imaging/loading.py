"""The checks on a scan file around decoding: is it DICOM, is it usable at all, is the picture blank."""

from __future__ import annotations

import numpy as np

from desktop_app.core.imaging.errors import ImageError
from desktop_app.core.imaging.limits import MAX_FILE_BYTES


def looks_like_dicom(data: bytes, name: str | None = None) -> bool:
    return data[128:132] == b"DICM" or (name or "").lower().endswith((".dcm", ".dicom"))


def read_checked(data: bytes) -> None:
    """ImageError for an empty or oversized file, before any parsing."""
    if not data:
        raise ImageError("This file is empty.", reason="not_an_image")
    if len(data) > MAX_FILE_BYTES:
        raise ImageError(
            f"This file is too large to analyse ({len(data) // (1024 * 1024)} MB).", reason="too_large"
        )


def check_not_blank(histogram: np.ndarray) -> None:
    """ImageError for an empty or single-colour picture (nothing to analyse), from its 256-level histogram."""
    levels = np.flatnonzero(histogram)
    n = int(histogram.sum())
    values = np.arange(len(histogram), dtype=np.float64)
    mean = float(histogram @ values) / max(1, n)
    std = float(np.sqrt(max(0.0, float(histogram @ values**2) / max(1, n) - mean * mean)))
    if n == 0 or levels[-1] - levels[0] < 8 or std < 2.0:
        raise ImageError(
            "This image is blank or a single colour, so there is nothing to analyse.", reason="blank"
        )
