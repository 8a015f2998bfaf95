"""The single preprocessing path shared by training and the app: head crop, pad to square, resize."""

from __future__ import annotations

import numpy as np
from PIL import Image

# Side of the square image the model sees. Training caches images at this size too.
MODEL_INPUT_SIZE = 128
# A row/column belongs to the head when this share of its pixels is brighter than the background.
_MIN_BRIGHT_SHARE = 0.02
# Margin kept around the head's bounding box, as a share of its larger side.
_CROP_MARGIN = 0.02


def background_threshold(gray: np.ndarray) -> float:
    """Intensity separating the scanner's black background from tissue (robust to noise)."""
    hi = float(np.percentile(gray, 99))
    return max(8.0, 0.08 * hi)


def head_bounding_box(gray: np.ndarray) -> tuple[int, int, int, int]:
    """(top, bottom, left, right) of the head; the whole image when no clear background exists."""
    h, w = gray.shape
    bright = gray > background_threshold(gray)
    # Projections ignore thin burned-in text lines and isolated noise outside the head.
    rows = np.flatnonzero(bright.sum(axis=1) >= max(2, _MIN_BRIGHT_SHARE * w))
    cols = np.flatnonzero(bright.sum(axis=0) >= max(2, _MIN_BRIGHT_SHARE * h))
    if rows.size == 0 or cols.size == 0:
        return 0, h, 0, w
    top, bottom, left, right = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    margin = int(round(_CROP_MARGIN * max(bottom - top, right - left)))
    return max(0, top - margin), min(h, bottom + margin), max(0, left - margin), min(w, right + margin)


def pad_to_square(gray: np.ndarray) -> np.ndarray:
    """Centres the image on a black square canvas (keeps the aspect ratio of the anatomy)."""
    h, w = gray.shape
    side = max(h, w)
    canvas = np.zeros((side, side), dtype=gray.dtype)
    top, left = (side - h) // 2, (side - w) // 2
    canvas[top : top + h, left : left + w] = gray
    return canvas


def standardize(gray: np.ndarray, size: int = MODEL_INPUT_SIZE) -> np.ndarray:
    """uint8 grayscale H×W -> the model's uint8 size×size input (head crop, square pad, resize).

    The per-image intensity normalisation (zero mean, unit variance) is the model's first
    layer, so training (after augmentation) and the app use the very same arithmetic.
    """
    if gray.dtype != np.uint8 or gray.ndim != 2:
        raise ValueError("standardize expects a 2-D uint8 array")
    top, bottom, left, right = head_bounding_box(gray)
    square = pad_to_square(gray[top:bottom, left:right])
    resample = Image.Resampling.BILINEAR
    resized = Image.fromarray(square).resize((size, size), resample, reducing_gap=3.0)
    return np.asarray(resized, dtype=np.uint8)


def crop_box_in_original(gray: np.ndarray) -> tuple[int, int, int, int, int]:
    """(top, left, side, pad_top, pad_left) mapping the model's square back onto `gray` (heatmaps)."""
    top, bottom, left, right = head_bounding_box(gray)
    h, w = bottom - top, right - left
    side = max(h, w)
    return top, left, side, (side - h) // 2, (side - w) // 2
