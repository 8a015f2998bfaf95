"""The versions chart draws points, a line and labels, and shows a hint when nothing was applied yet."""

from __future__ import annotations

from PySide6.QtGui import QColor, QImage

from desktop_app.ui.federated.chart import LINE, VersionChart, VersionPoint


def _render(chart: VersionChart) -> QImage:
    chart.resize(420, 220)
    image = QImage(chart.size(), QImage.Format.Format_ARGB32)
    image.fill(QColor("white"))
    chart.render(image)
    return image


def _count_colour(image: QImage, colour: QColor) -> int:
    return sum(
        1
        for x in range(0, image.width(), 2)
        for y in range(0, image.height(), 2)
        if image.pixelColor(x, y).rgb() == colour.rgb()
    )


def test_chart_draws_one_marker_per_measured_version(qtbot):
    chart = VersionChart()
    qtbot.addWidget(chart)
    assert _count_colour(_render(chart), LINE) == 0
    chart.set_points(
        [
            VersionPoint("v1", 0.91),
            VersionPoint("g1", 0.95),
            VersionPoint("g2", 0.97, rolled_back=True),
        ]
    )
    drawn = _count_colour(_render(chart), LINE)
    assert drawn > 20
    assert "g1: 95.0%" in chart.toolTip()
    assert [p.version for p in chart.points()] == ["v1", "g1", "g2"]


def test_unmeasured_versions_are_labelled_but_not_plotted(qtbot):
    chart = VersionChart()
    qtbot.addWidget(chart)
    chart.set_points([VersionPoint("g1", None)])
    assert _count_colour(_render(chart), LINE) == 0
    assert chart.toolTip() == "No version measured yet"
