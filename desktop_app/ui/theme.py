"""The look: stylesheet, icons and the small widget helpers every screen shares."""

from __future__ import annotations

import logging
from functools import cache

from PySide6.QtCore import QByteArray, QSize
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import QApplication, QWidget

from desktop_app.paths import resources_dir

log = logging.getLogger(__name__)

ACCENT = "#1F6FD1"
INK = "#3B4A5E"  # the stroke colour the icon files are drawn with
SELECTED_INK = "#1554B0"
# A report's review status as text colour (tables, the PDF): the status pills' colours in style.qss,
# which the contrast test holds to WCAG AA on every light surface.
STATUS_COLOURS = {"pending": "#8A4B00", "approved": "#166534", "rejected": "#991B1B"}
MIN_WINDOW = QSize(1024, 700)


def stylesheet() -> str:
    path = resources_dir() / "style.qss"
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        log.warning("stylesheet %s missing; using the platform look", path)
        return ""


def apply_theme(app: QApplication) -> None:
    app.setStyle("Fusion")  # one predictable base on every platform under the stylesheet
    app.setStyleSheet(stylesheet())
    app.setWindowIcon(app_icon())


@cache
def _svg_text(name: str) -> str | None:
    path = resources_dir() / "icons" / f"{name}.svg"
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        log.warning("icon %s missing", path)
        return None


def svg_pixmap(name: str, size: int, colour: str | None = None) -> QPixmap:
    """Render an icon file at `size` device-independent pixels, optionally recoloured."""
    screen = QApplication.primaryScreen()
    return _render(name, size, colour, screen.devicePixelRatio() if screen else 1.0)


@cache  # every window draws the same few icons: render each size and colour once
def _render(name: str, size: int, colour: str | None, ratio: float) -> QPixmap:
    text = _svg_text(name)
    pixmap = QPixmap(int(size * ratio), int(size * ratio))
    pixmap.fill(QColor(0, 0, 0, 0))
    if text:
        if colour:
            text = text.replace(INK, colour)
        renderer = QSvgRenderer(QByteArray(text.encode("utf-8")))
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter)
        painter.end()
    pixmap.setDevicePixelRatio(ratio)
    return pixmap


@cache
def icon(name: str, colour: str | None = None) -> QIcon:
    """An icon: slate (or `colour`) normally, accent blue when selected."""
    result = QIcon()
    for size in (20, 24, 32):
        result.addPixmap(svg_pixmap(name, size, colour), QIcon.Mode.Normal)
        result.addPixmap(svg_pixmap(name, size, colour or SELECTED_INK), QIcon.Mode.Selected)
    return result


@cache
def app_icon() -> QIcon:
    result = QIcon()
    for size in (16, 32, 48, 64, 128, 256):
        result.addPixmap(svg_pixmap("app", size))
    return result


def set_role(widget: QWidget, role: str, prop: str = "role") -> QWidget:
    """Tag a widget for the stylesheet (e.g. role=title) and re-polish it."""
    widget.setProperty(prop, role)
    widget.style().unpolish(widget)
    widget.style().polish(widget)
    return widget
