"""The installed Qt binding must not lose references to None/True, or the app dies after a while.

PySide6 6.12.0 on Python 3.11 drops one reference to None on every void call and one to True on
every signal emit from Python; a clinic PC with the chat open reaches zero within an hour or two
and the process aborts ("Fatal Python error: none_dealloc"). Python 3.12+ (immortal singletons)
and PySide6 6.11 are not affected.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal


class _Emitter(QObject):
    changed = Signal(object)


def test_void_calls_and_emits_keep_none_and_true_alive():
    target = _Emitter()
    none_before, true_before = sys.getrefcount(None), sys.getrefcount(True)
    for _ in range(20):  # few: on an affected build the test itself must not use up True
        target.setObjectName("x")
        target.changed.emit(1)
    lost_none = none_before - sys.getrefcount(None)
    lost_true = true_before - sys.getrefcount(True)
    assert lost_none < 5 and lost_true < 5, (
        f"this PySide6 build lost {lost_none} references to None and {lost_true} to True in 20 "
        "calls; use Python 3.12+, or PySide6-Essentials < 6.12 on Python 3.11")
