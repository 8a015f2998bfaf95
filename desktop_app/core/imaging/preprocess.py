"""The single preprocessing path shared by training and the app: head crop, pad to square, resize."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

# Side of the square input a training run starts at (and the default of tools without a model);
# the engine takes its model's own size from model.json.
MODEL_INPUT_SIZE = 128
# A row/column belongs to the head when this share of its pixels is brighter than the background.
_MIN_BRIGHT_SHARE = 0.02
# Margin kept around the head's bounding box, as a share of its larger side.
_CROP_MARGIN = 0.02


@dataclass(frozen=True)
class HeadBox:
    """The head's bounding box in the decoded image and the square it is padded to."""

    top: int
    bottom: int
    left: int
    right: int

    def square(self) -> tuple[int, int, int, int, int]:
        """(top, left, side, pad_top, pad_left): where the model's square lies on the decoded image."""
        h, w = self.bottom - self.top, self.right - self.left
        side = max(h, w)
        return self.top, self.left, side, (side - h) // 2, (side - w) // 2


def intensity_histogram(gray: np.ndarray) -> np.ndarray:
    """Pixel count of each of the 256 gray levels (Pillow's C loop: several times faster than bincount)."""
    return np.asarray(Image.fromarray(np.ascontiguousarray(gray)).histogram(), dtype=np.int64)


def histogram_percentile(histogram: np.ndarray, q: float) -> float:
    """Exactly np.percentile(pixels, q) (linear interpolation), read from the histogram without a sort."""
    cumulative = np.cumsum(histogram)
    n = int(cumulative[-1])
    position = q / 100.0 * (n - 1)
    below = int(np.floor(position))
    lo = int(np.searchsorted(cumulative, below, side="right"))  # the below-th smallest pixel
    hi = int(np.searchsorted(cumulative, min(below + 1, n - 1), side="right"))
    return lo + (position - below) * (hi - lo)


def background_threshold(gray: np.ndarray, histogram: np.ndarray | None = None) -> float:
    """Intensity separating the scanner's black background from tissue (robust to noise)."""
    hi = histogram_percentile(intensity_histogram(gray) if histogram is None else histogram, 99)
    return max(8.0, 0.08 * hi)


def head_bounding_box(gray: np.ndarray, histogram: np.ndarray | None = None) -> HeadBox:
    """The head's box (2% margin); the whole image when no clear background exists."""
    h, w = gray.shape
    bright = (gray > background_threshold(gray, histogram)).view(np.uint8)
    # Projections ignore thin burned-in text lines and isolated noise outside the head.
    rows = np.flatnonzero(bright.sum(axis=1, dtype=np.int32) >= max(2, _MIN_BRIGHT_SHARE * w))
    cols = np.flatnonzero(bright.sum(axis=0, dtype=np.int32) >= max(2, _MIN_BRIGHT_SHARE * h))
    if rows.size == 0 or cols.size == 0:
        return HeadBox(0, h, 0, w)
    top, bottom, left, right = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
    margin = int(round(_CROP_MARGIN * max(bottom - top, right - left)))
    return HeadBox(max(0, top - margin), min(h, bottom + margin), max(0, left - margin), min(w, right + margin))


def pad_to_square(gray: np.ndarray) -> np.ndarray:
    """Centres the image on a black square canvas (keeps the aspect ratio of the anatomy)."""
    h, w = gray.shape
    if h == w:
        return gray
    side = max(h, w)
    canvas = np.zeros((side, side), dtype=gray.dtype)
    top, left = (side - h) // 2, (side - w) // 2
    canvas[top : top + h, left : left + w] = gray
    return canvas


def prepare(
    gray: np.ndarray, size: int = MODEL_INPUT_SIZE, histogram: np.ndarray | None = None
) -> tuple[np.ndarray, HeadBox]:
    """(the model's uint8 size×size input, the head box it was cut from); see `standardize`."""
    if gray.dtype != np.uint8 or gray.ndim != 2:
        raise ValueError("standardize expects a 2-D uint8 array")
    box = head_bounding_box(gray, histogram)
    square = pad_to_square(gray[box.top : box.bottom, box.left : box.right])
    resample = Image.Resampling.BILINEAR
    resized = Image.fromarray(np.ascontiguousarray(square)).resize((size, size), resample, reducing_gap=3.0)
    return np.asarray(resized, dtype=np.uint8), box


def standardize(gray: np.ndarray, size: int = MODEL_INPUT_SIZE) -> np.ndarray:
    """uint8 grayscale H×W -> the model's uint8 size×size input (head crop, square pad, resize).

    The per-image intensity normalisation (zero mean, unit variance) is the model's first
    layer, so training (after augmentation) and the app use the very same arithmetic.
    """
    return prepare(gray, size)[0]


def crop_box_in_original(gray: np.ndarray) -> tuple[int, int, int, int, int]:
    """(top, left, side, pad_top, pad_left) mapping the model's square back onto `gray` (heatmaps)."""
    return head_bounding_box(gray).square()
