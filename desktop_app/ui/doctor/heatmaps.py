"""Scans and model heatmaps for the review screen, loaded off the UI thread and cached per report."""

from __future__ import annotations

import io
import logging
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image
from PySide6.QtCore import QObject, Signal

from desktop_app.core.errors import user_message_of
from desktop_app.core.imaging.preprocess import crop_box_in_original
from desktop_app.core.imaging.scan import load_gray
from desktop_app.ui.workers import run_in_background

if TYPE_CHECKING:
    from desktop_app.core.services import AppServices

log = logging.getLogger(__name__)

CACHE_SIZE = 24  # a morning's queue; each entry is a few hundred KB at most

Region = tuple[float, float, float, float]


@dataclass(frozen=True)
class ScanPixels:
    """A decoded scan and where the model's square input lies on it (for the heatmap)."""

    report_id: str
    pixels: np.ndarray  # uint8 grey H×W
    model_region: Region  # x, y, width, height in scan pixels
    image_bytes: bytes
    image_name: str


def decode_scan(services: AppServices, report_id: str) -> ScanPixels:
    """Read and decode one report's scan, raster or DICOM (runs on a worker thread)."""
    report = services.reports.get(report_id) or {}
    name = report.get("image_name") or "scan"
    data = services.reports.image(report_id)
    gray = load_gray(data, name)
    top, left, side, pad_top, pad_left = crop_box_in_original(gray)
    region = (float(left - pad_left), float(top - pad_top), float(side), float(side))
    return ScanPixels(report_id, gray, region, data, name)


def compute_heatmap(services: AppServices, report_id: str, scan: ScanPixels | None) -> np.ndarray:
    """The report's heatmap: the one kept with the report, else the model is run on the scan.

    Runs on a worker thread (the engine is safe to call from there).
    """
    stored = services.reports.heatmap_png(report_id)
    if stored:
        with Image.open(io.BytesIO(stored)) as picture:
            return np.asarray(picture.convert("L"), dtype=np.float32) / 255.0
    if scan is not None:
        data, name = scan.image_bytes, scan.image_name
    else:
        data, name = services.reports.image(report_id), "scan"
    prediction = services.engine.predict_bytes(data, name=name)
    return np.asarray(prediction.heatmap, dtype=np.float32)


class _Lru(OrderedDict):
    def remember(self, key: str, value) -> None:
        self[key] = value
        self.move_to_end(key)
        while len(self) > CACHE_SIZE:
            self.popitem(last=False)


class ScanLoader(QObject):
    """Loads scans and heatmaps in the background; results arrive as signals on the UI thread."""

    scan_ready = Signal(object)  # ScanPixels
    scan_failed = Signal(str, str)  # report id, plain-words reason
    heatmap_ready = Signal(str, object)  # report id, float32 H×W array in 0..1
    heatmap_failed = Signal(str, str)

    def __init__(self, services: AppServices, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._services = services
        self._scans: _Lru = _Lru()
        self._heatmaps: _Lru = _Lru()
        self._running: set[tuple[str, str]] = set()  # (kind, report id): never load twice at once

    def cached_scan(self, report_id: str) -> ScanPixels | None:
        return self._scans.get(report_id)

    def cached_heatmap(self, report_id: str) -> np.ndarray | None:
        return self._heatmaps.get(report_id)

    # ----- scans --------------------------------------------------------------------------
    def load_scan(self, report_id: str) -> None:
        cached = self._scans.get(report_id)
        if cached is not None:
            self.scan_ready.emit(cached)
            return
        if not self._start("scan", report_id):
            return
        run_in_background(
            decode_scan, self._services, report_id, owner=self,
            on_result=self._on_scan, on_error=lambda exc: self._fail_scan(report_id, exc),
        )

    def _on_scan(self, scan: ScanPixels) -> None:
        self._running.discard(("scan", scan.report_id))
        self._scans.remember(scan.report_id, scan)
        self.scan_ready.emit(scan)

    def _fail_scan(self, report_id: str, exc: Exception) -> None:
        self._running.discard(("scan", report_id))
        log.warning("scan of report %s could not be loaded: %s", report_id, exc)
        self.scan_failed.emit(report_id,
                              user_message_of(exc, "The scan for this report cannot be shown."))

    # ----- heatmaps -----------------------------------------------------------------------
    def load_heatmap(self, report_id: str) -> None:
        cached = self._heatmaps.get(report_id)
        if cached is not None:
            self.heatmap_ready.emit(report_id, cached)
            return
        if not self._start("heatmap", report_id):
            return
        run_in_background(
            compute_heatmap, self._services, report_id, self._scans.get(report_id), owner=self,
            on_result=lambda heat: self._on_heatmap(report_id, heat),
            on_error=lambda exc: self._fail_heatmap(report_id, exc),
        )

    def _on_heatmap(self, report_id: str, heat: np.ndarray) -> None:
        self._running.discard(("heatmap", report_id))
        self._heatmaps.remember(report_id, heat)
        self.heatmap_ready.emit(report_id, heat)

    def _fail_heatmap(self, report_id: str, exc: Exception) -> None:
        self._running.discard(("heatmap", report_id))
        log.warning("heatmap for report %s failed: %s", report_id, exc)
        self.heatmap_failed.emit(report_id, user_message_of(
            exc, "The heatmap could not be computed for this scan."))

    def _start(self, kind: str, report_id: str) -> bool:
        if (kind, report_id) in self._running:
            return False
        self._running.add((kind, report_id))
        return True
