"""A medical image viewer: zoom, pan, fit, window/level and a heatmap overlay with opacity."""

from __future__ import annotations

import logging

import numpy as np
from PySide6.QtCore import QPoint, QRectF, Qt, Signal
from PySide6.QtGui import QImage, QKeySequence, QPainter, QPixmap, QShortcut, QTransform
from PySide6.QtWidgets import (
    QCheckBox,
    QGraphicsItem,
    QGraphicsPixmapItem,
    QGraphicsRectItem,
    QGraphicsScene,
    QGraphicsView,
    QHBoxLayout,
    QLabel,
    QSlider,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

log = logging.getLogger(__name__)

MIN_ZOOM = 0.05
MAX_ZOOM = 32.0
ZOOM_STEP = 1.25
PAN_STEP_PX = 40
FULL_WINDOW = 255
MID_LEVEL = 128

# Anchor colours of the overlay colour map (blue → cyan → yellow → red), interpolated to 256 steps.
_HEAT_ANCHORS = np.array(
    [[0, 0, 0, 255], [0, 128, 255, 255], [0, 255, 200, 255], [255, 230, 0, 255], [255, 0, 0, 255]],
    dtype=np.float32,
)


def _heat_lut() -> np.ndarray:
    """256×4 RGBA table; alpha grows with heat so cool regions leave the anatomy visible."""
    positions = np.linspace(0.0, 1.0, len(_HEAT_ANCHORS))
    steps = np.linspace(0.0, 1.0, 256)
    lut = np.stack([np.interp(steps, positions, _HEAT_ANCHORS[:, c]) for c in range(3)], axis=1)
    alpha = np.clip(steps * 1.6 - 0.15, 0.0, 1.0) * 255.0
    return np.concatenate([lut, alpha[:, None]], axis=1).astype(np.uint8)


HEAT_LUT = _heat_lut()


def window_level_lut(window: int, level: int) -> np.ndarray:
    """The 256-entry grey-level table for a display window (width) centred on level."""
    window = max(1, int(window))
    low = level - window / 2.0
    values = (np.arange(256, dtype=np.float32) - low) * (255.0 / window)
    return np.clip(values, 0, 255).astype(np.uint8)


def array_to_qimage(pixels: np.ndarray) -> QImage:
    """uint8 H×W (grey), H×W×3 (RGB) or H×W×4 (RGBA) array → an owning QImage."""
    pixels = np.ascontiguousarray(pixels)
    height, width = pixels.shape[:2]
    if pixels.ndim == 2:
        fmt, channels = QImage.Format.Format_Grayscale8, 1
    elif pixels.shape[2] == 3:
        fmt, channels = QImage.Format.Format_RGB888, 3
    elif pixels.shape[2] == 4:
        fmt, channels = QImage.Format.Format_RGBA8888, 4
    else:
        raise ValueError(f"unsupported image shape {pixels.shape}")
    image = QImage(pixels.data, width, height, width * channels, fmt)
    return image.copy()  # detach from the numpy buffer, which may be freed


def qimage_to_array(image: QImage) -> np.ndarray:
    """Any QImage → uint8 grey (H×W) or RGB (H×W×3) array."""
    if image.isGrayscale():
        image = image.convertToFormat(QImage.Format.Format_Grayscale8)
        channels = 1
    else:
        image = image.convertToFormat(QImage.Format.Format_RGB888)
        channels = 3
    width, height = image.width(), image.height()
    raw = np.frombuffer(image.constBits(), dtype=np.uint8, count=image.bytesPerLine() * height)
    rows = raw.reshape(height, image.bytesPerLine())[:, : width * channels]
    shape = (height, width) if channels == 1 else (height, width, 3)
    return rows.reshape(shape).copy()


MIN_HEAT_PEAK = 0.1  # how far the hottest spot must rise above the typical (median) level


def is_flat_heatmap(heatmap: np.ndarray) -> bool:
    """True when nothing stands out above the typical level: the map points nowhere."""
    heat = np.asarray(heatmap, dtype=np.float32)
    if heat.size == 0:
        return True
    step = max(1, max(heat.shape) // 64)  # a 64×64 sample gives the median at a fraction of the cost
    typical = float(np.nanmedian(heat[::step, ::step]))
    return float(np.nanmax(heat)) - typical < MIN_HEAT_PEAK


def heatmap_to_rgba(heatmap: np.ndarray) -> np.ndarray:
    """float H×W → coloured RGBA uint8 overlay, stretched to its own range.

    A heatmap says where the model looked *relative to the rest of the image*, so its values
    are rescaled to 0..1 before colouring; a flat map is drawn fully transparent rather than
    as one misleading coloured block.
    """
    heat = np.nan_to_num(np.asarray(heatmap, dtype=np.float32), nan=0.0)
    if is_flat_heatmap(heat):
        heat = np.zeros_like(heat)
    else:
        low, high = float(heat.min()), float(heat.max())
        heat = (heat - low) / (high - low)
    indices = (np.clip(heat, 0.0, 1.0) * 255.0).astype(np.uint8)
    return HEAT_LUT[indices]


class _Canvas(QGraphicsView):
    """The graphics view: wheel zoom under the cursor, left-drag pan, right-drag window/level."""

    zoom_changed = Signal(float)
    window_drag = Signal(int, int)  # (dx, dy) in pixels while the right button is held

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        self.setRenderHints(QPainter.RenderHint.SmoothPixmapTransform)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setBackgroundBrush(Qt.GlobalColor.black)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._fit_mode = True
        self._right_drag_origin: QPoint | None = None

    def zoom(self) -> float:
        return self.transform().m11()

    def set_zoom(self, factor: float, *, keep_fit: bool = False) -> None:
        factor = min(MAX_ZOOM, max(MIN_ZOOM, factor))
        current = self.zoom()
        if current <= 0:
            return
        self.scale(factor / current, factor / current)
        self._fit_mode = keep_fit
        self.zoom_changed.emit(self.zoom())

    def fit(self) -> None:
        rect = self.sceneRect()
        if rect.isEmpty():
            return
        self.resetTransform()
        self.fitInView(rect, Qt.AspectRatioMode.KeepAspectRatio)
        self._fit_mode = True
        self.zoom_changed.emit(self.zoom())

    def pan(self, dx: int, dy: int) -> None:
        self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() + dx)
        self.verticalScrollBar().setValue(self.verticalScrollBar().value() + dy)

    def wheelEvent(self, event) -> None:  # noqa: N802 (Qt override)
        steps = event.angleDelta().y() / 120.0
        if steps:  # the wheel zooms around the cursor; keys and buttons around the centre
            self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
            self.set_zoom(self.zoom() * (ZOOM_STEP**steps))
            self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        event.accept()

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        if self._fit_mode:  # keep a fitted image fitted when the window changes size
            self.fit()

    def mousePressEvent(self, event) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.RightButton:
            self._right_drag_origin = event.position().toPoint()
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event) -> None:  # noqa: N802
        if self._right_drag_origin is not None:
            point = event.position().toPoint()
            delta = point - self._right_drag_origin
            self._right_drag_origin = point
            self.window_drag.emit(delta.x(), delta.y())
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.RightButton:
            self._right_drag_origin = None
            event.accept()
            return
        super().mouseReleaseEvent(event)


class ImageView(QWidget):
    """Scan viewer with a toolbar. Keys: +/- zoom, 0 fit, 1 actual size, arrows pan,
    H heatmap, R reset brightness/contrast. Mouse: wheel zoom, drag pan, right-drag window/level."""

    zoom_changed = Signal(float)
    window_level_changed = Signal(int, int)
    heatmap_toggled = Signal(bool)

    def __init__(self, parent: QWidget | None = None, *, show_toolbar: bool = True) -> None:
        super().__init__(parent)
        self.setAccessibleName("Scan viewer")
        self._pixels: np.ndarray | None = None  # the original pixels, window/level applied on top
        self._window = FULL_WINDOW
        self._level = MID_LEVEL
        self._heat_opacity = 0.45
        self._heat_region: tuple[float, float, float, float] | None = None

        self.canvas = _Canvas(self)
        self.canvas.setAccessibleName("Scan image")
        self.canvas.setAccessibleDescription(
            "Plus and minus zoom, 0 fits, arrow keys pan, H toggles the heatmap"
        )
        self._image_item = QGraphicsPixmapItem()
        self._image_item.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
        self._heat_item = QGraphicsPixmapItem()
        self._heat_item.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
        self._heat_item.setOpacity(self._heat_opacity)
        self._heat_item.setVisible(False)
        # The heatmap may cover the padded square the model saw, wider or taller than a
        # non-square image: a frame the size of the image clips it to the image's edges.
        self._heat_frame = QGraphicsRectItem()
        self._heat_frame.setFlag(QGraphicsItem.GraphicsItemFlag.ItemClipsChildrenToShape, True)
        self._heat_frame.setPen(Qt.PenStyle.NoPen)
        self._heat_frame.setZValue(1)
        self._heat_item.setParentItem(self._heat_frame)
        self.canvas.scene().addItem(self._image_item)
        self.canvas.scene().addItem(self._heat_frame)
        self.canvas.zoom_changed.connect(self._on_zoom_changed)
        self.canvas.window_drag.connect(self._on_window_drag)

        self._placeholder = QLabel("No image", self)
        self._placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._placeholder.setObjectName("imageViewPlaceholder")

        self.toolbar = self._build_toolbar()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.canvas, 1)
        layout.addWidget(self._placeholder, 1)
        layout.addWidget(self.toolbar)
        self.toolbar.setVisible(show_toolbar)
        if show_toolbar:  # never squeeze the controls below readable (e.g. beside a comparison)
            self.setMinimumWidth(self.toolbar.minimumSizeHint().width())
        self._install_shortcuts()
        self._update_enabled()

    # ----- building -----------------------------------------------------------------------
    def _tool_button(self, text: str, tip: str, slot) -> QToolButton:
        button = QToolButton(self)
        button.setText(text)
        button.setToolTip(tip)
        button.setAccessibleName(tip.split(" (")[0])
        button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        button.clicked.connect(slot)
        return button

    def _slider(self, name: str, low: int, high: int, value: int, slot) -> QSlider:
        slider = QSlider(Qt.Orientation.Horizontal, self)
        slider.setRange(low, high)
        slider.setValue(value)
        slider.setAccessibleName(name)
        slider.setToolTip(name)
        slider.setMinimumWidth(70)
        slider.valueChanged.connect(slot)
        return slider

    def _build_toolbar(self) -> QWidget:
        """Two short rows (view, then picture), so nothing is clipped in a narrow pane or at 150%."""
        bar = QWidget(self)
        bar.setObjectName("imageViewToolbar")
        rows = QVBoxLayout(bar)
        rows.setContentsMargins(0, 0, 0, 0)
        rows.setSpacing(4)
        self.zoom_out_button = self._tool_button("−", "Zoom out (-)", self.zoom_out)
        self.zoom_in_button = self._tool_button("+", "Zoom in (+)", self.zoom_in)
        self.fit_button = self._tool_button("Fit", "Fit to window (0)", self.fit)
        self.actual_button = self._tool_button("1:1", "Actual size (1)", self.actual_size)
        self.zoom_label = QLabel("100%", bar)
        self.zoom_label.setMinimumWidth(self.zoom_label.fontMetrics().horizontalAdvance("3200%"))
        self.zoom_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.zoom_label.setAccessibleName("Zoom level")
        self.heatmap_check = QCheckBox("Heatmap", bar)
        self.heatmap_check.setToolTip("Show where the model looked (H)")
        self.heatmap_check.setAccessibleName("Show heatmap")
        self.heatmap_check.toggled.connect(self.set_heatmap_visible)
        self.opacity_slider = self._slider(
            "Heatmap opacity", 0, 100, int(self._heat_opacity * 100), self._on_opacity
        )
        self.opacity_slider.setMaximumWidth(90)
        view_row = QHBoxLayout()
        view_row.setSpacing(6)
        for widget in (self.zoom_out_button, self.zoom_label, self.zoom_in_button,
                       self.fit_button, self.actual_button):
            view_row.addWidget(widget)
        view_row.addStretch(1)
        view_row.addWidget(self.heatmap_check)
        view_row.addWidget(self.opacity_slider)
        rows.addLayout(view_row)

        self.brightness_slider = self._slider(
            "Brightness", 0, 255, 255 - MID_LEVEL, self._on_brightness
        )
        self.contrast_slider = self._slider("Contrast", 1, 255, 256 - FULL_WINDOW, self._on_contrast)
        self.reset_button = self._tool_button("Reset", "Reset brightness and contrast (R)",
                                              self.reset_window_level)
        picture_row = QHBoxLayout()
        picture_row.setSpacing(6)
        # Short glyph captions keep the row narrow beside a comparison; names and tooltips say it.
        for glyph, name, slider in (("☀", "Brightness", self.brightness_slider),
                                    ("◐", "Contrast", self.contrast_slider)):
            text = QLabel(glyph, bar)
            text.setToolTip(name)
            text.setAccessibleName(name)
            text.setBuddy(slider)
            picture_row.addWidget(text)
            picture_row.addWidget(slider, 1)
        picture_row.addWidget(self.reset_button)
        rows.addLayout(picture_row)
        return bar

    def _install_shortcuts(self) -> None:
        """Shortcuts apply while focus is inside the viewer, so a host form keeps its own keys."""
        bindings = [
            (("+", "="), self.zoom_in),
            (("-",), self.zoom_out),
            (("0", "F"), self.fit),
            (("1",), self.actual_size),
            (("H",), self.toggle_heatmap),
            (("R",), self.reset_window_level),
            (("Left",), lambda: self.canvas.pan(-PAN_STEP_PX, 0)),
            (("Right",), lambda: self.canvas.pan(PAN_STEP_PX, 0)),
            (("Up",), lambda: self.canvas.pan(0, -PAN_STEP_PX)),
            (("Down",), lambda: self.canvas.pan(0, PAN_STEP_PX)),
        ]
        for keys, slot in bindings:
            for key in keys:
                shortcut = QShortcut(QKeySequence(key), self.canvas)
                shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)
                shortcut.activated.connect(slot)

    # ----- image and overlay --------------------------------------------------------------
    def set_image(self, image: np.ndarray | QImage | bytes | None) -> bool:
        """Show an image (array, QImage or encoded bytes). Returns False if it cannot be decoded."""
        if image is None:
            self.clear()
            return True
        if isinstance(image, (bytes, bytearray)):
            decoded = QImage.fromData(bytes(image))
            if decoded.isNull():
                log.info("image viewer: could not decode %d bytes", len(image))
                self.clear()
                return False
            image = decoded
        pixels = qimage_to_array(image) if isinstance(image, QImage) else np.asarray(image)
        if pixels.dtype != np.uint8:
            pixels = np.clip(pixels, 0, 255).astype(np.uint8)
        self._pixels = pixels
        self._render_image()
        height, width = pixels.shape[:2]
        self.canvas.setSceneRect(QRectF(0, 0, width, height))
        self._fit_heat_item()
        self._update_enabled()
        self.layout().activate()  # the canvas may just have been shown: size it before fitting
        self.fit()
        return True

    def clear(self) -> None:
        self._pixels = None
        self._image_item.setPixmap(QPixmap())
        self._heat_item.setPixmap(QPixmap())
        self.set_heatmap_visible(False)
        self._update_enabled()

    def has_image(self) -> bool:
        return self._pixels is not None

    def set_heatmap(self, heatmap: np.ndarray | None,
                    region: tuple[float, float, float, float] | None = None) -> None:
        """Overlay a float heatmap in 0..1 of any size, stretched over `region` (x, y, width,
        height in image pixels; the whole image when None), e.g. the square the model saw."""
        self._heat_region = region
        if heatmap is None:
            self._heat_item.setPixmap(QPixmap())
            self.set_heatmap_visible(False)
        else:
            self._heat_item.setPixmap(QPixmap.fromImage(array_to_qimage(heatmap_to_rgba(heatmap))))
            self._fit_heat_item()
        self._update_enabled()

    def has_heatmap(self) -> bool:
        return not self._heat_item.pixmap().isNull()

    def _fit_heat_item(self) -> None:
        heat = self._heat_item.pixmap()
        if heat.isNull() or self._pixels is None:
            return
        height, width = self._pixels.shape[:2]
        self._heat_frame.setRect(QRectF(0, 0, width, height))
        x, y, region_width, region_height = self._heat_region or (0, 0, width, height)
        self._heat_item.setPos(x, y)
        self._heat_item.setTransform(QTransform.fromScale(region_width / heat.width(),
                                                          region_height / heat.height()))

    def heatmap_visible(self) -> bool:
        return self._heat_item.isVisible()

    def set_heatmap_visible(self, visible: bool) -> None:
        visible = bool(visible) and self.has_heatmap()
        changed = visible != self._heat_item.isVisible()
        self._heat_item.setVisible(visible)
        if self.heatmap_check.isChecked() != visible:
            self.heatmap_check.blockSignals(True)
            self.heatmap_check.setChecked(visible)
            self.heatmap_check.blockSignals(False)
        if changed:
            self.heatmap_toggled.emit(visible)

    def toggle_heatmap(self) -> None:
        self.set_heatmap_visible(not self.heatmap_visible())

    def heatmap_opacity(self) -> float:
        return self._heat_opacity

    def set_heatmap_opacity(self, opacity: float) -> None:
        self._heat_opacity = min(1.0, max(0.0, float(opacity)))
        self._heat_item.setOpacity(self._heat_opacity)
        slider_value = round(self._heat_opacity * 100)
        if self.opacity_slider.value() != slider_value:
            self.opacity_slider.setValue(slider_value)

    # ----- zoom and pan -------------------------------------------------------------------
    def zoom(self) -> float:
        return self.canvas.zoom()

    def set_zoom(self, factor: float) -> None:
        self.canvas.set_zoom(factor)

    def zoom_in(self) -> None:
        self.canvas.set_zoom(self.canvas.zoom() * ZOOM_STEP)

    def zoom_out(self) -> None:
        self.canvas.set_zoom(self.canvas.zoom() / ZOOM_STEP)

    def fit(self) -> None:
        self.canvas.fit()

    def actual_size(self) -> None:
        self.canvas.set_zoom(1.0)

    def pan(self, dx: int, dy: int) -> None:
        self.canvas.pan(dx, dy)

    def scroll_position(self) -> tuple[int, int]:
        return self.canvas.horizontalScrollBar().value(), self.canvas.verticalScrollBar().value()

    # ----- window / level -----------------------------------------------------------------
    def window_level(self) -> tuple[int, int]:
        return self._window, self._level

    def set_window_level(self, window: int, level: int) -> None:
        self._window = int(min(FULL_WINDOW, max(1, window)))
        self._level = int(min(255, max(0, level)))
        for slider, value in ((self.contrast_slider, 256 - self._window),
                              (self.brightness_slider, 255 - self._level)):
            slider.blockSignals(True)
            slider.setValue(value)
            slider.blockSignals(False)
        self._render_image()
        self.window_level_changed.emit(self._window, self._level)

    def reset_window_level(self) -> None:
        self.set_window_level(FULL_WINDOW, MID_LEVEL)

    def displayed_pixels(self) -> np.ndarray | None:
        """The pixels as currently shown (window/level applied); None without an image."""
        if self._pixels is None:
            return None
        return window_level_lut(self._window, self._level)[self._pixels]

    def _render_image(self) -> None:
        shown = self.displayed_pixels()
        if shown is not None:
            self._image_item.setPixmap(QPixmap.fromImage(array_to_qimage(shown)))

    # ----- slots --------------------------------------------------------------------------
    def _on_brightness(self, value: int) -> None:
        self.set_window_level(self._window, 255 - value)  # brighter = lower level

    def _on_contrast(self, value: int) -> None:
        self.set_window_level(256 - value, self._level)  # more contrast = narrower window

    def _on_opacity(self, value: int) -> None:
        self.set_heatmap_opacity(value / 100.0)

    def _on_window_drag(self, dx: int, dy: int) -> None:
        # Radiology convention: horizontal drag changes width, vertical drag changes level.
        self.set_window_level(self._window + dx, self._level - dy)

    def _on_zoom_changed(self, factor: float) -> None:
        self.zoom_label.setText(f"{factor * 100:.0f}%")
        self.zoom_changed.emit(factor)

    def _update_enabled(self) -> None:
        has_image = self._pixels is not None
        self.canvas.setVisible(has_image)
        self._placeholder.setVisible(not has_image)
        for widget in (self.zoom_in_button, self.zoom_out_button, self.fit_button,
                       self.actual_button, self.brightness_slider, self.contrast_slider,
                       self.reset_button):
            widget.setEnabled(has_image)
        heat = has_image and self.has_heatmap()
        self.heatmap_check.setEnabled(heat)
        self.opacity_slider.setEnabled(heat)

    def set_placeholder_text(self, text: str) -> None:
        self._placeholder.setText(text)

    def placeholder_text(self) -> str:
        """What the viewer says while it has no image (loading, or why there is none)."""
        return self._placeholder.text()
