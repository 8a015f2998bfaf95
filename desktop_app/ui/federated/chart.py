"""A small QPainter chart: each applied weights version and its accuracy on the clinic's confirmed cases."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

LINE = QColor("#1F6FD1")
GRID = QColor("#E2E8F0")
TEXT = QColor("#475569")
ROLLED_BACK = QColor("#94A3B8")


@dataclass(frozen=True)
class VersionPoint:
    version: str
    accuracy: float | None  # 0..1, None when it was never measured
    rolled_back: bool = False


class VersionChart(QWidget):
    """Versions left to right in the order they were applied; a hollow dot marks a rolled-back one."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._points: list[VersionPoint] = []
        self.setMinimumHeight(180)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.setAccessibleName("Chart of weights versions and their accuracy")

    def sizeHint(self) -> QSize:
        return QSize(480, 200)

    def set_points(self, points: list[VersionPoint]) -> None:
        self._points = list(points)
        measured = [p for p in self._points if p.accuracy is not None]
        self.setToolTip(
            "\n".join(f"{p.version}: {p.accuracy:.1%}" for p in measured)
            or "No version measured yet"
        )
        self.update()

    def points(self) -> list[VersionPoint]:
        return list(self._points)

    def _y_range(self) -> tuple[float, float]:
        values = [p.accuracy for p in self._points if p.accuracy is not None]
        if not values:
            return 0.0, 1.0
        low = max(0.0, min(values) - 0.05)
        return (min(low, 0.9), 1.0)

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        plot = QRectF(self.rect()).adjusted(48, 12, -16, -36)
        low, high = self._y_range()
        painter.setPen(QPen(GRID, 1))
        for step in range(5):
            fraction = step / 4
            y = plot.bottom() - fraction * plot.height()
            painter.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
            painter.setPen(TEXT)
            painter.drawText(
                QRectF(0, y - 8, plot.left() - 6, 16),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                f"{low + fraction * (high - low):.0%}",
            )
            painter.setPen(QPen(GRID, 1))
        if not self._points:
            painter.setPen(TEXT)
            painter.drawText(
                plot, Qt.AlignmentFlag.AlignCenter, "No federated versions applied yet"
            )
            painter.end()
            return
        count = len(self._points)
        inset = 40.0  # room for the first and last version labels
        spacing = (plot.width() - 2 * inset) / max(count - 1, 1)

        def position(index: int, accuracy: float) -> QPointF:
            x = plot.left() + (inset + index * spacing if count > 1 else plot.width() / 2)
            y = plot.bottom() - (accuracy - low) / (high - low) * plot.height()
            return QPointF(x, y)

        path = QPainterPath()
        started = False
        for index, point in enumerate(self._points):
            if point.accuracy is None:
                continue
            where = position(index, point.accuracy)
            path.lineTo(where) if started else path.moveTo(where)
            started = True
        painter.setPen(QPen(LINE, 2))
        painter.drawPath(path)
        for index, point in enumerate(self._points):
            x = position(index, low).x()
            painter.setPen(TEXT)
            width = max(spacing, 80.0)
            painter.drawText(
                QRectF(x - width / 2, plot.bottom() + 6, width, 20),
                Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop,
                point.version,
            )
            if point.accuracy is None:
                continue
            colour = ROLLED_BACK if point.rolled_back else LINE
            painter.setPen(QPen(colour, 2))
            painter.setBrush(Qt.BrushStyle.NoBrush if point.rolled_back else colour)
            painter.drawEllipse(position(index, point.accuracy), 4.5, 4.5)
        painter.end()
