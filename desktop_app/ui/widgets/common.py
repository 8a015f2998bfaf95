"""Building blocks every screen shares: cards, headers, empty states, banners, pills, bars."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.labels import label_texts
from desktop_app.core.wording import finding_text, model_percent
from desktop_app.ui.theme import set_role, svg_pixmap
from desktop_app.ui.workers import run_in_background

STATUS_TEXT = {
    "pending": "Awaiting review",
    "approved": "Reviewed — approved",
    "rejected": "Reviewed — not confirmed",
}


def label(text: str = "", role: str | None = None, *, wrap: bool = False,
          parent: QWidget | None = None) -> QLabel:
    widget = QLabel(text, parent)
    if role:
        set_role(widget, role)
    widget.setWordWrap(wrap)
    if wrap:
        widget.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
    widget.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return widget


def button(text: str, kind: str | None = None, *, accessible: str | None = None,
           parent: QWidget | None = None) -> QPushButton:
    widget = QPushButton(text, parent)
    if kind:
        set_role(widget, kind, "kind")
    widget.setAccessibleName(accessible or text.replace("&", ""))
    widget.setCursor(Qt.CursorShape.PointingHandCursor)
    return widget


class ElidedLabel(QLabel):
    """One line that gives way in the middle ("Scan of 6 Dec · Tr-gl…0001.jpg") when its space is
    short, instead of being cut at the edge; the whole text stays in the tooltip."""

    def __init__(self, text: str = "", role: str | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        if role:
            set_role(self, role)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setMinimumWidth(80)
        self._full = ""
        self.set_full_text(text)

    def set_full_text(self, text: str) -> None:
        self._full = text
        self.setToolTip(text)
        self._elide()

    def full_text(self) -> str:
        return self._full

    def minimumSizeHint(self):  # noqa: N802
        hint = super().minimumSizeHint()
        hint.setWidth(80)
        return hint

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        width = max(10, self.contentsRect().width())
        super().setText(self.fontMetrics().elidedText(self._full, Qt.TextElideMode.ElideMiddle, width))


class ButtonRow(QWidget):
    """Buttons side by side where they fit, else two per row: a fixed row forced sideways
    scrolling at 1100 px."""

    def __init__(self, buttons: list[QPushButton], parent: QWidget | None = None, spacing: int = 12) -> None:
        super().__init__(parent)
        self.buttons = list(buttons)
        self._grid = QGridLayout(self)
        self._grid.setContentsMargins(0, 0, 0, 0)
        self._grid.setSpacing(spacing)
        self._columns = 0
        self._arrange(len(self.buttons))

    def _needed(self, columns: int) -> int:
        widths = [b.sizeHint().width() for b in self.buttons if not b.isHidden()]
        rows = [widths[i:i + columns] for i in range(0, len(widths), columns)]
        return max((sum(r) + self._grid.spacing() * (len(r) - 1) for r in rows), default=0)

    def _arrange(self, columns: int) -> None:
        if columns == self._columns:
            return
        self._columns = columns
        for button in self.buttons:
            self._grid.removeWidget(button)
        for index, button in enumerate(self.buttons):
            self._grid.addWidget(button, index // columns, index % columns)
        for column in range(len(self.buttons) + 1):
            self._grid.setColumnStretch(column, 0)
        self._grid.setColumnStretch(columns, 1)  # leftover room goes to the right, not the buttons

    def minimumSizeHint(self):  # noqa: N802
        hint = super().minimumSizeHint()
        hint.setWidth(self._needed(2))
        return hint

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._arrange(len(self.buttons) if self._needed(len(self.buttons)) <= self.width() else 2)


class Card(QFrame):
    """A white rounded panel; `body` is its vertical layout."""

    def __init__(self, title: str | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setProperty("card", True)
        self.body = QVBoxLayout(self)
        self.body.setContentsMargins(20, 18, 20, 18)
        self.body.setSpacing(10)
        self.title_label: QLabel | None = None
        if title:
            self.title_label = label(title, "section")
            self.body.addWidget(self.title_label)


class EmptyState(QWidget):
    """Icon, title and one line of help, centred: what a list shows before it has anything."""

    def __init__(self, icon_name: str, title: str, body: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 32, 24, 32)
        layout.setSpacing(8)
        layout.addStretch(1)
        picture = QLabel(self)
        picture.setPixmap(svg_pixmap(icon_name, 48, "#94A3B8"))
        picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.title = QLabel(title, self)
        self.title.setObjectName("emptyStateTitle")
        self.body = QLabel(body, self)
        self.body.setObjectName("emptyStateBody")
        self.body.setWordWrap(True)
        for widget in (picture, self.title, self.body):
            widget.setAlignment(Qt.AlignmentFlag.AlignCenter)
            layout.addWidget(widget)
        self.actions = QHBoxLayout()
        self.actions.addStretch(1)
        layout.addLayout(self.actions)
        layout.addStretch(1)
        self.setAccessibleName(title)

    def add_action(self, widget: QWidget) -> None:
        self.actions.addWidget(widget)
        self.actions.addStretch(1)


class Banner(QFrame):
    """A coloured one-message strip: kind is review, info, error or emergency."""

    def __init__(self, text: str, kind: str = "info", *, title: str | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(f"{kind}Banner")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.setSpacing(4)
        self.title_label = QLabel(title or "", self)
        self.title_label.setStyleSheet("font-weight: 600; font-size: 11.5pt;")
        self.title_label.setWordWrap(True)
        self.title_label.setVisible(bool(title))
        self.text_label = QLabel(text, self)
        self.text_label.setWordWrap(True)
        layout.addWidget(self.title_label)
        layout.addWidget(self.text_label)
        self.setAccessibleName(title or text)

    def set_text(self, text: str, title: str | None = None) -> None:
        self.text_label.setText(text)
        if title is not None:
            self.title_label.setText(title)
            self.title_label.setVisible(bool(title))
        self.setAccessibleName(title or text)


class StatusPill(QLabel):
    """The review status of a report as a coloured pill."""

    def __init__(self, status: str = "pending", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.set_status(status)
        self.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)

    def set_status(self, status: str) -> None:
        self.setText(STATUS_TEXT.get(status, status.title()))
        self.setAccessibleName(f"Review status: {self.text()}")
        set_role(self, status if status in STATUS_TEXT else "info", "pill")


class ProbabilityBars(QWidget):
    """One labelled bar per class, the predicted class emphasised."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._grid = QGridLayout(self)
        self._grid.setContentsMargins(0, 0, 0, 0)
        self._grid.setHorizontalSpacing(12)
        self._grid.setVerticalSpacing(8)
        self._grid.setColumnStretch(1, 1)
        self.bars: dict[str, QProgressBar] = {}

    def set_probabilities(self, probabilities: dict[str, float]) -> None:
        while self._grid.count():
            item = self._grid.takeAt(0)
            if item.widget():
                item.widget().deleteLater()
        self.bars = {}
        probabilities = {finding_text(name): value for name, value in probabilities.items()}
        names = [n for n in label_texts().values() if n in probabilities]
        names += [n for n in probabilities if n not in names]
        top = max(probabilities, key=probabilities.get) if probabilities else None
        for row, name in enumerate(names):
            value = float(probabilities[name])
            bar = QProgressBar(self)
            bar.setRange(0, 1000)
            bar.setValue(round(value * 1000))
            bar.setTextVisible(False)
            bar.setFixedHeight(10)
            bar.setAccessibleName(f"{name}: {model_percent(value)}")
            set_role(bar, "true" if name == top else "false", "top")
            name_label = QLabel(name, self)
            percent = QLabel(model_percent(value, 1), self)
            percent.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            percent.setMinimumWidth(56)
            if name == top:
                name_label.setStyleSheet("font-weight: 600;")
                percent.setStyleSheet("font-weight: 600;")
            self._grid.addWidget(name_label, row, 0)
            self._grid.addWidget(bar, row, 1)
            self._grid.addWidget(percent, row, 2)
            self.bars[name] = bar


class Screen(QScrollArea):
    """A scrollable page with a title and subtitle; add content to `content`."""

    def __init__(self, title: str, subtitle: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        inner = QWidget(self)
        inner.setObjectName("screen")
        self.setWidget(inner)
        self.content = QVBoxLayout(inner)
        self.content.setContentsMargins(32, 28, 32, 28)
        self.content.setSpacing(16)
        header = QHBoxLayout()
        titles = QVBoxLayout()
        titles.setSpacing(2)
        self.title_label = label(title, "title")
        titles.addWidget(self.title_label)
        self.subtitle_label = label(subtitle, "subtitle", wrap=True)
        self.subtitle_label.setVisible(bool(subtitle))
        titles.addWidget(self.subtitle_label)
        header.addLayout(titles, 1)
        self.header_actions = QHBoxLayout()
        self.header_actions.setSpacing(8)
        header.addLayout(self.header_actions)
        self.content.addLayout(header)
        self.setAccessibleName(title)

    # The main window's `ui.screen.Screen` calls; a page overrides what it needs.
    def entered(self) -> None:
        """Opened from the navigation: start from the top."""

    def refresh(self) -> None:
        """Reload what the screen shows; called when the screen is opened."""

    def shutdown(self) -> None:
        """The window is going away: stop what the page started."""

    def run(self, fn, *args, on_result=None, on_error=None, on_finished=None, **kwargs):
        """Runs `fn` in the background; callbacks are dropped if this screen is gone by then."""
        return run_in_background(fn, *args, on_result=on_result, on_error=on_error,
                                 on_finished=on_finished, owner=self, **kwargs)


def format_time(ms: int | float | None, *, with_date: bool = True, relative: bool = True) -> str:
    """Unix milliseconds → local time in words a patient reads easily ("Today 10:04"); with
    `relative=False` always the date ("6 Dec 2026, 10:04"), for text that follows "of" or "from"."""
    if not ms:
        return "—"
    moment = dt.datetime.fromtimestamp(ms / 1000)
    today = dt.date.today()
    clock = moment.strftime("%H:%M")
    if not with_date:
        return clock
    if not relative:
        return f"{moment.day} {moment:%b %Y}, {clock}"
    if moment.date() == today:
        return f"Today {clock}"
    if moment.date() == today - dt.timedelta(days=1):
        return f"Yesterday {clock}"
    if moment.year == today.year:
        return moment.strftime("%d %b, ") + clock
    return moment.strftime("%d %b %Y, ") + clock
