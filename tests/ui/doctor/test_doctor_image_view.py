"""The scan viewer driven by keyboard and mouse: zoom, pan, fit, window/level, heatmap overlay."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QPoint, Qt

from desktop_app.ui.widgets.image_view import (
    ImageView,
    array_to_qimage,
    heatmap_to_rgba,
    is_flat_heatmap,
    qimage_to_array,
    window_level_lut,
)


def phantom(size: int = 256) -> np.ndarray:
    """A head-like phantom: a bright skull ring, grey brain and a brighter lesion."""
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / size - 0.5
    radius = np.sqrt(xx**2 + (yy * 0.85) ** 2)
    img = np.zeros((size, size), np.float32)
    img[radius < 0.42] = 200
    img[radius < 0.38] = 90
    img[(xx - 0.12) ** 2 + (yy + 0.08) ** 2 < 0.006] = 170
    return img.astype(np.uint8)


@pytest.fixture
def view(qtbot):
    widget = ImageView()
    qtbot.addWidget(widget)
    widget.resize(600, 500)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def test_roundtrip_qimage_array():
    pixels = phantom(64)
    assert np.array_equal(qimage_to_array(array_to_qimage(pixels)), pixels)


def test_window_level_lut_is_identity_at_full_window():
    lut = window_level_lut(255, 128)
    assert abs(int(lut[0]) - 0) <= 1 and abs(int(lut[255]) - 255) <= 1
    narrow = window_level_lut(50, 100)
    assert narrow[70] == 0 and narrow[130] == 255


def test_empty_viewer_disables_controls(view):
    assert not view.has_image()
    assert not view.zoom_in_button.isEnabled()
    assert not view.heatmap_check.isEnabled()


def test_decodes_png_bytes_and_rejects_garbage(view):
    buffer = io.BytesIO()
    Image.fromarray(phantom(128)).save(buffer, format="PNG")
    assert view.set_image(buffer.getvalue())
    assert view.has_image() and view.displayed_pixels().shape == (128, 128)
    assert not view.set_image(b"definitely not an image")
    assert not view.has_image()


def test_keyboard_zoom_fit_and_pan(view, qtbot):
    view.set_image(phantom())
    fitted = view.zoom()
    view.canvas.setFocus()
    for _ in range(7):
        qtbot.keyClick(view.canvas, Qt.Key.Key_Plus)
    assert view.zoom() == pytest.approx(fitted * 1.25**7, rel=1e-3)
    assert view.zoom_label.text() == f"{view.zoom() * 100:.0f}%"
    qtbot.wait(20)  # let the view lay out its scroll range
    before = view.scroll_position()
    qtbot.keyClick(view.canvas, Qt.Key.Key_Right)
    qtbot.keyClick(view.canvas, Qt.Key.Key_Down)
    after = view.scroll_position()
    assert after[0] > before[0] and after[1] > before[1]
    qtbot.keyClick(view.canvas, Qt.Key.Key_Minus)
    assert view.zoom() == pytest.approx(fitted * 1.25**6, rel=1e-3)
    qtbot.keyClick(view.canvas, Qt.Key.Key_0)
    # scroll bars vanish once fitted, and the view refits to the larger viewport
    qtbot.waitUntil(lambda: view.zoom() == pytest.approx(fitted, rel=1e-3), timeout=2000)
    qtbot.keyClick(view.canvas, Qt.Key.Key_1)
    assert view.zoom() == pytest.approx(1.0)


def test_wheel_zooms_and_drag_pans(view, qtbot):
    view.set_image(phantom())
    fitted = view.zoom()
    for _ in range(4):
        view.zoom_in_button.click()
    assert view.zoom() > fitted
    viewport = view.canvas.viewport()
    before = view.scroll_position()
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, pos=QPoint(200, 200))
    qtbot.mouseMove(viewport, QPoint(150, 160))
    qtbot.mouseMove(viewport, QPoint(100, 120))
    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=QPoint(100, 120))
    after = view.scroll_position()
    assert after != before


def test_window_level_changes_displayed_pixels(view, qtbot):
    pixels = phantom()
    view.set_image(pixels)
    assert np.abs(view.displayed_pixels().astype(int) - pixels).max() <= 1
    view.contrast_slider.setValue(200)  # narrow the window: more contrast
    window, level = view.window_level()
    assert window == 56
    shown = view.displayed_pixels()
    assert shown.max() == 255 and (shown == 0).any()
    view.brightness_slider.setValue(view.brightness_slider.value() + 40)
    assert view.window_level()[1] == level - 40
    view.canvas.setFocus()
    qtbot.keyClick(view.canvas, Qt.Key.Key_R)
    assert view.window_level() == (255, 128)


def test_heatmap_overlay_toggle_and_opacity(view, qtbot):
    view.set_image(phantom(256))
    assert not view.heatmap_check.isEnabled()
    heat = np.zeros((64, 64), np.float32)
    heat[20:30, 30:40] = 1.0
    view.set_heatmap(heat)
    assert view.heatmap_check.isEnabled() and not view.heatmap_visible()
    with qtbot.waitSignal(view.heatmap_toggled) as blocker:
        view.canvas.setFocus()
        qtbot.keyClick(view.canvas, Qt.Key.Key_H)
    assert blocker.args == [True] and view.heatmap_check.isChecked()
    # the overlay is stretched over the whole scan
    assert view._heat_item.sceneBoundingRect().width() == pytest.approx(256)
    view.opacity_slider.setValue(80)
    assert view.heatmap_opacity() == pytest.approx(0.8)
    view.heatmap_check.click()
    assert not view.heatmap_visible()


def test_heatmap_colours_are_relative_and_a_flat_map_is_invisible():
    focal = np.full((32, 32), 0.2, np.float32)
    focal[10:14, 10:14] = 0.9
    rgba = heatmap_to_rgba(focal)
    assert not is_flat_heatmap(focal)
    assert rgba[12, 12, 3] == 255 and rgba[0, 0, 3] == 0  # the spot opaque, the rest clear
    flat = np.full((32, 32), 0.97, np.float32)
    flat[:4] = 0.0  # e.g. the padding the model saw around the head
    assert is_flat_heatmap(flat)
    assert heatmap_to_rgba(flat)[..., 3].max() == 0


def test_right_drag_adjusts_window_and_level(view, qtbot):
    view.set_image(phantom())
    viewport = view.canvas.viewport()
    qtbot.mousePress(viewport, Qt.MouseButton.RightButton, pos=QPoint(100, 100))
    qtbot.mouseMove(viewport, QPoint(60, 130))
    qtbot.mouseRelease(viewport, Qt.MouseButton.RightButton, pos=QPoint(60, 130))
    window, level = view.window_level()
    assert window == 255 - 40 and level == 128 - 30  # left narrows the window (more contrast), down lowers the level (brighter)
    assert view.contrast_slider.value() == 256 - window


def test_the_heatmap_stays_inside_a_non_square_image(view):
    from PySide6.QtCore import QRectF
    from PySide6.QtGui import QColor, QImage, QPainter

    wide = np.full((200, 320), 60, np.uint8)  # 320 × 200: the model saw a 320 × 320 padded square
    view.set_image(wide)
    view.set_heatmap(np.ones((64, 64), np.float32) * np.linspace(0, 1, 64)[None, :],
                     region=(0, -60, 320, 320))
    view.set_heatmap_visible(True)
    source = QRectF(-20, -80, 360, 360)  # the image plus a margin all round
    out = QImage(360, 360, QImage.Format.Format_ARGB32)
    out.fill(QColor(0, 0, 0, 0))
    painter = QPainter(out)
    view.canvas.scene().render(painter, QRectF(0, 0, 360, 360), source)
    painter.end()
    rgba = out.convertToFormat(QImage.Format.Format_RGBA8888)
    pixels = np.frombuffer(rgba.constBits(), np.uint8).reshape(360, rgba.bytesPerLine() // 4, 4)[:, :360]
    image_rows, image_cols = slice(80, 280), slice(20, 340)
    outside = pixels.copy()
    outside[image_rows, image_cols] = 0
    assert outside[..., 3].max() == 0  # nothing drawn above, below or beside the image
    assert pixels[image_rows, image_cols][..., 3].min() == 255  # the image (and its heat) inside
    assert pixels[image_rows, image_cols][..., 0].max() > 120  # the hot end of the heatmap shows (the scan alone is 60)
