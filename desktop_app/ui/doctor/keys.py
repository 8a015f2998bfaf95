"""Keyboard shortcuts scoped to one screen, so each screen's keys act only while it has focus."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QWidget


def bind_keys(owner: QWidget, bindings: Iterable[tuple[Iterable[str], Callable[[], object]]],
              context: Qt.ShortcutContext = Qt.ShortcutContext.WidgetWithChildrenShortcut,
              ) -> dict[str, QShortcut]:
    """Each (keys, action) pair becomes shortcuts active while focus is inside `owner` (or, with
    `WindowShortcut`, while `owner` is visible: Qt ignores shortcuts of hidden widgets)."""
    made: dict[str, QShortcut] = {}
    for keys, action in bindings:
        for key in keys:
            shortcut = QShortcut(QKeySequence(key), owner)
            shortcut.setContext(context)
            shortcut.activated.connect(action)
            made[key] = shortcut
    return made
