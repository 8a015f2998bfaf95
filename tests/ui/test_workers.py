"""The background worker delivers results and errors on the UI thread."""

from __future__ import annotations

import threading

from PySide6.QtCore import QThread

from desktop_app.ui.workers import run_in_background


def test_result_arrives_on_ui_thread(qtbot):
    seen = {}
    ui_thread = QThread.currentThread()

    def work(a, b):
        seen["worker_thread"] = threading.get_ident()
        return a + b

    def got(value):
        seen["value"] = value
        seen["on_ui"] = QThread.currentThread() is ui_thread

    run_in_background(work, 2, 3, on_result=got)
    qtbot.waitUntil(lambda: "value" in seen, timeout=5000)
    assert seen["value"] == 5
    assert seen["on_ui"]
    assert seen["worker_thread"] != threading.get_ident()


def test_error_is_delivered_not_swallowed(qtbot):
    errors = []
    run_in_background(lambda: 1 / 0, on_error=errors.append)
    qtbot.waitUntil(lambda: bool(errors), timeout=5000)
    assert isinstance(errors[0], ZeroDivisionError)


def test_callbacks_skip_a_deleted_owner(qtbot):
    import shiboken6
    from PySide6.QtWidgets import QLabel

    owner = QLabel()
    delivered, finished = [], []
    gate = threading.Event()
    run_in_background(gate.wait, 5, owner=owner, on_result=delivered.append)
    run_in_background(lambda: None, on_finished=lambda: finished.append(True))
    shiboken6.delete(owner)
    gate.set()
    qtbot.waitUntil(lambda: bool(finished), timeout=5000)
    qtbot.wait(100)
    assert delivered == []
