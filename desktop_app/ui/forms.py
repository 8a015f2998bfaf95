"""Pieces every sign-in style page and dialog shares: the centred card, form rows, fields, messages."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.errors import user_message_of
from desktop_app.ui.widgets.common import label


def user_message(exc: Exception) -> str:
    """Plain words for a failure; never a traceback."""
    return user_message_of(
        exc, "Something went wrong on this computer. Your details were not lost; please try again.")


def password_field(name: str) -> QLineEdit:
    field = QLineEdit()
    field.setEchoMode(QLineEdit.EchoMode.Password)
    field.setAccessibleName(name)
    return field


def text_field(name: str, placeholder: str = "") -> QLineEdit:
    field = QLineEdit()
    field.setAccessibleName(name)
    field.setPlaceholderText(placeholder)
    return field


def make_form() -> QFormLayout:
    form = QFormLayout()
    form.setVerticalSpacing(10)
    form.setHorizontalSpacing(16)
    return form


def add_row(form: QFormLayout, text: str, field: QWidget) -> QLabel:
    """A form row whose label sits level with the field's text and focuses it (Alt+letter)."""
    caption = QLabel(text)
    caption.setBuddy(field)
    caption.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
    caption.setMinimumHeight(field.sizeHint().height())
    form.addRow(caption, field)
    return caption


class CardPage(QWidget):
    """A page with one centred white card."""

    def __init__(self, title: str, subtitle: str = "", width: int = 460) -> None:
        super().__init__()
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        row = QHBoxLayout()
        row.addStretch(1)
        self.card = QFrame(self)
        self.card.setObjectName("loginCard")
        self.card.setMinimumWidth(width)
        self.card.setMaximumWidth(int(width * 1.4))
        row.addWidget(self.card, 3)
        row.addStretch(1)
        outer.addLayout(row)
        outer.addStretch(1)
        self.body = QVBoxLayout(self.card)
        self.body.setContentsMargins(36, 32, 36, 32)
        self.body.setSpacing(12)
        self.title = label(title, "title")
        self.body.addWidget(self.title)
        self.subtitle = label(subtitle, "subtitle", wrap=True)
        self.subtitle.setVisible(bool(subtitle))
        self.body.addWidget(self.subtitle)
        self.error = label("", "error", wrap=True)
        self.error.setAccessibleName("Problem")
        # The message's two lines are reserved while it is hidden, so the card keeps its size and
        # the buttons do not move under the mouse when a message comes or goes.
        self.error.setMinimumHeight(2 * self.error.fontMetrics().lineSpacing())
        policy = self.error.sizePolicy()
        policy.setRetainSizeWhenHidden(True)
        self.error.setSizePolicy(policy)
        self.error.setVisible(False)

    def show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.setVisible(bool(text))

    def watch_fields(self, fields: list[QLineEdit], submit) -> None:
        """Enter in any field submits the form, and typing clears a message about the last try."""
        for field in fields:
            field.returnPressed.connect(submit)
            field.textEdited.connect(lambda _text: self.show_error(""))
