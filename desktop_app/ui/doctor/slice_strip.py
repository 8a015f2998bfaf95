"""The slice strip of a received series: every slice read, with its result; the key slice first."""

from __future__ import annotations

import io
import logging
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import QListView, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from desktop_app.ui.doctor.formatting import confidence_text, label_text
from desktop_app.ui.widgets.common import label
from desktop_app.ui.widgets.image_view import array_to_qimage
from desktop_app.ui.workers import run_in_background

if TYPE_CHECKING:
    from desktop_app.core.services import AppServices

log = logging.getLogger(__name__)

THUMB_SIDE = 96
SLICE_ROLE = Qt.ItemDataRole.UserRole + 1


def ordered_for_strip(series: dict) -> list[tuple[dict, bool]]:
    """(slice, is key) with the key slice first, then the others in anatomical order."""
    slices = list(series.get("slices") or [])
    key = series.get("key_slice")
    if key is None or not 0 <= key < len(slices):
        return [(s, False) for s in slices]
    return [(slices[key], True)] + [(s, False) for i, s in enumerate(slices) if i != key]


def slice_text(item: dict, is_key: bool) -> str:
    """'★ Key · slice 15' over 'Glioma 91%' (or the verdict that replaced a finding)."""
    where = f"slice {item.get('index', 0) + 1}"
    if item.get("abstained"):
        result = "Model abstained"
    elif item.get("is_brain_mri") is False:
        result = "Not a brain MRI"
    else:
        result = f"{label_text(item.get('label_key'), item.get('label'))} {confidence_text(item.get('confidence'))}"
    return f"{'★ Key · ' if is_key else ''}{where}\n{result}"


def slice_note(item: dict) -> str:
    """One line under the image: where the slice is, its result, its tumour probability."""
    return (slice_text(item, False).replace("\n", ": ")
            + f" · tumour probability {confidence_text(item.get('tumour_probability'))}")


def read_png(store, digest: str | None) -> np.ndarray | None:
    """A kept PNG as a uint8 grey array, or None (runs on a worker thread)."""
    if not digest:
        return None
    with Image.open(io.BytesIO(store.blobs.get(digest))) as picture:
        return np.asarray(picture.convert("L"))


def slice_pictures(store, item: dict) -> tuple[np.ndarray, np.ndarray | None]:
    """A slice's picture and heatmap (0..1) from the store (worker thread); KeyError when missing."""
    gray = read_png(store, item.get("model_image_hash"))
    if gray is None:
        raise KeyError("no picture kept for this slice")
    heat = read_png(store, item.get("heatmap_hash"))
    return gray, None if heat is None else heat.astype(np.float32) / 255.0


def _thumbnails(store, slices: list[dict]) -> list[np.ndarray | None]:
    pictures = []
    for item in slices:
        try:
            gray = read_png(store, item.get("model_image_hash"))
        except (KeyError, OSError) as exc:
            log.warning("slice picture missing: %s", exc)
            gray = None
        if gray is not None:
            thumb = Image.fromarray(gray)
            thumb.thumbnail((THUMB_SIDE, THUMB_SIDE))
            gray = np.asarray(thumb)
        pictures.append(gray)
    return pictures


class SliceStrip(QWidget):
    """Hidden for a single-image report. Arrow keys move through the slices.

    `slice_chosen(slice, is_key)` at once; for a slice other than the key one, its picture and
    heatmap follow as `slice_ready(slice, gray, heat or None)` (or `slice_failed(reason)`).
    """

    slice_chosen = Signal(dict, bool)
    slice_ready = Signal(dict, object, object)
    slice_failed = Signal(str)

    def __init__(self, services: AppServices, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self._report_id: str | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        self.caption = label("", "muted", wrap=True)
        self.caption.setAccessibleName("Series summary")
        layout.addWidget(self.caption)
        self.list = QListWidget(self)
        self.list.setAccessibleName("Slices of this series, key slice first")
        self.list.setViewMode(QListView.ViewMode.IconMode)
        self.list.setFlow(QListView.Flow.LeftToRight)
        self.list.setWrapping(False)
        self.list.setIconSize(QSize(THUMB_SIDE, THUMB_SIDE))
        self.list.setFixedHeight(THUMB_SIDE + 64)
        self.list.setMovement(QListView.Movement.Static)
        self.list.currentItemChanged.connect(self._on_current)
        layout.addWidget(self.list)
        self.setVisible(False)

    def show_report(self, report: dict) -> None:
        self.list.blockSignals(True)
        self.list.clear()
        self.list.blockSignals(False)
        series = report.get("series") or {}
        self._report_id = report.get("id")
        entries = ordered_for_strip(series)
        self.setVisible(bool(entries))
        if not entries:
            return
        self.caption.setText(f"Series “{series.get('series_description') or 'MR'}”: "
                             f"{series.get('instance_count', len(entries))} images, {len(entries)} read by the model. "
                             f"{series.get('summary', '')}")
        self.list.blockSignals(True)
        for item, is_key in entries:
            widget_item = QListWidgetItem(slice_text(item, is_key))
            widget_item.setData(SLICE_ROLE, (item, is_key))
            widget_item.setToolTip(f"Tumour probability {confidence_text(item.get('tumour_probability'))}")
            self.list.addItem(widget_item)
        self.list.setCurrentRow(0)  # the key slice: what the report opened with
        self.list.blockSignals(False)
        report_id = self._report_id
        run_in_background(_thumbnails, self.services.store, [item for item, _ in entries], owner=self,
                          on_result=lambda pictures: self._set_thumbnails(report_id, pictures))

    def _set_thumbnails(self, report_id: str | None, pictures: list) -> None:
        if report_id != self._report_id:
            return  # another report opened meanwhile
        for row, gray in enumerate(pictures):
            if gray is not None and row < self.list.count():
                self.list.item(row).setIcon(QIcon(QPixmap.fromImage(array_to_qimage(gray))))

    def current_slice(self) -> tuple[dict, bool] | None:
        item = self.list.currentItem()
        return item.data(SLICE_ROLE) if item is not None else None

    def _on_current(self, current: QListWidgetItem | None, _previous=None) -> None:
        if current is None:
            return
        item, is_key = current.data(SLICE_ROLE)
        self.slice_chosen.emit(item, is_key)
        if not is_key:
            run_in_background(slice_pictures, self.services.store, item, owner=self,
                              on_result=lambda pictures: self.slice_ready.emit(item, *pictures),
                              on_error=lambda exc: self.slice_failed.emit("This slice's picture is missing "
                                                                          "on this computer."))
