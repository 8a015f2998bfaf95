"""Class-activation heatmap: the last feature map weighted by the head's column for one class."""

from __future__ import annotations

import numpy as np
from PIL import Image

from desktop_app.core.imaging.preprocess import HeadBox


def class_activation(features: np.ndarray, class_weights: np.ndarray) -> np.ndarray:
    """(h, w, C) feature map · (C,) weights -> (h, w) map in 0..1 (only evidence *for* the class)."""
    cam = np.maximum(features @ class_weights, 0.0)
    peak = float(cam.max())
    return (cam / peak if peak > 0 else cam).astype(np.float32)


def aligned_heatmap(cam: np.ndarray, shape: tuple[int, int], box: HeadBox) -> np.ndarray:
    """Places the model-square map back over the decoded image of `shape` (undoing crop, pad, resize)."""
    top, left, side, pad_top, pad_left = box.square()
    heatmap = np.zeros(shape, dtype=np.float32)
    h = min(shape[0] - top, side - pad_top)
    w = min(shape[1] - left, side - pad_left)
    # Only the part of the square that lies on the image is resized (the padding is never shown).
    region = (pad_left, pad_top, pad_left + w, pad_top + h)
    scale = cam.shape[0] / side
    source_box = tuple(v * scale for v in region)
    square = Image.fromarray(cam, mode="F").resize((w, h), Image.Resampling.BILINEAR, box=source_box)
    # Bilinear weights are a convex combination, so values stay in 0..1.
    heatmap[top : top + h, left : left + w] = np.asarray(square, dtype=np.float32)
    return heatmap
