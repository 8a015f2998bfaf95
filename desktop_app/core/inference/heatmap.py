"""Class-activation heatmap: the last feature map weighted by the head's column for one class."""

from __future__ import annotations

import numpy as np
from PIL import Image

from desktop_app.core.imaging.preprocess import crop_box_in_original


def class_activation(features: np.ndarray, class_weights: np.ndarray) -> np.ndarray:
    """(h, w, C) feature map · (C,) weights -> (h, w) map in 0..1 (only evidence *for* the class)."""
    cam = np.maximum(features @ class_weights, 0.0)
    peak = float(cam.max())
    return (cam / peak if peak > 0 else cam).astype(np.float32)


def aligned_heatmap(cam: np.ndarray, gray: np.ndarray) -> np.ndarray:
    """Places the model-square map back over the decoded image (undoing crop, pad and resize)."""
    top, left, side, pad_top, pad_left = crop_box_in_original(gray)
    square = np.asarray(
        Image.fromarray(cam, mode="F").resize((side, side), Image.Resampling.BILINEAR), dtype=np.float32
    )
    heatmap = np.zeros(gray.shape, dtype=np.float32)
    h = min(gray.shape[0] - top, side - pad_top)
    w = min(gray.shape[1] - left, side - pad_left)
    heatmap[top : top + h, left : left + w] = square[pad_top : pad_top + h, pad_left : pad_left + w]
    return np.clip(heatmap, 0.0, 1.0)
