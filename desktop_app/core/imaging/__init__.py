"""Reading scans (raster files and DICOM) and the shared preprocessing the model expects."""

from desktop_app.core.imaging.errors import ImageError
from desktop_app.core.imaging.limits import MAX_PIXELS
from desktop_app.core.imaging.preprocess import MODEL_INPUT_SIZE, standardize
from desktop_app.core.imaging.scan import Scan, load_gray, load_scan

__all__ = ["ImageError", "MAX_PIXELS", "MODEL_INPUT_SIZE", "Scan", "load_gray", "load_scan", "standardize"]
