"""Size limits that protect the app from decompression bombs and absurd inputs."""

from __future__ import annotations

from desktop_app.core.imaging.errors import ImageError

# Largest image accepted (50 megapixels); a brain MRI slice is well under 1 MP.
MAX_PIXELS = 50_000_000
# Largest file accepted at all, before any parsing.
MAX_FILE_BYTES = 200 * 1024 * 1024
# Smallest side that can still show anatomy.
MIN_SIDE = 16
# Longest side kept after decoding: the model sees a few hundred pixels, a screen a few thousand.
# Larger rasters are box-reduced right after decoding, before any colour conversion copies them.
MAX_KEPT_SIDE = 2048


def check_pixel_count(width: int, height: int, frames: int = 1, max_pixels: int = MAX_PIXELS) -> None:
    """ImageError when the declared dimensions are too large or too small (checked before decoding)."""
    if width * height > max_pixels or width * height * max(1, frames) > 4 * max_pixels:
        raise ImageError(
            f"This image is too large to analyse safely ({width}×{height} pixels, over "
            f"{max_pixels // 1_000_000} megapixels). Please export a single slice at normal resolution.",
            reason="too_large",
        )
    if min(width, height) < MIN_SIDE:
        raise ImageError(
            f"This image is too small to analyse ({width}×{height} pixels).", reason="too_small"
        )
