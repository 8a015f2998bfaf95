"""Run a callable in the background and deliver its result or error back on the UI thread.

Reads go to Qt's shared pool; writes whose order matters (the doctor's drafts and decisions, chat
messages) go to `write_lane()`, one thread that runs them in the order they were started.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

log = logging.getLogger(__name__)


class _Signals(QObject):
    result = Signal(object)
    error = Signal(object)  # the exception instance
    finished = Signal()


class Worker(QRunnable):
    """One background call. Connect to `signals.result/error/finished` before starting it.

    The signals object lives on the thread that created the worker (the UI thread), so its
    slots run there: callers never touch widgets from the pool thread.
    """

    def __init__(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        super().__init__()
        self.fn, self.args, self.kwargs = fn, args, kwargs
        self.signals = _Signals()
        self.setAutoDelete(True)

    @Slot()
    def run(self) -> None:
        try:
            value = self.fn(*self.args, **self.kwargs)
        except Exception as exc:  # every failure goes back as a signal, never a dead thread
            # Any callable runs here: a partial or a callable object has no __name__ of its own.
            log.debug("background call %s failed:\n%s", getattr(self.fn, "__name__", self.fn),
                      traceback.format_exc())
            self._emit(self.signals.error, exc)
        else:
            self._emit(self.signals.result, value)
        finally:
            self._emit(self.signals.finished)

    @staticmethod
    def _emit(signal, *args) -> None:
        try:
            signal.emit(*args)
        except RuntimeError:  # the receiver (e.g. a closed window) is gone; nothing to deliver
            pass


# Workers in flight, so their signal objects are not collected before they deliver.
_in_flight: set[Worker] = set()


def run_in_background(
    fn: Callable[..., Any],
    *args: Any,
    on_result: Callable[[Any], None] | None = None,
    on_error: Callable[[Exception], None] | None = None,
    on_finished: Callable[[], None] | None = None,
    pool: QThreadPool | None = None,
    owner: QObject | None = None,
    **kwargs: Any,
) -> Worker:
    """Start `fn(*args, **kwargs)` on the pool; callbacks run on the UI thread.

    With `owner`, callbacks are dropped once that widget has been deleted (e.g. the window of
    a patient who was signed out while the call ran). Without `on_error`, failures are logged
    so they never vanish silently.
    """
    if owner is not None:
        on_result, on_error, on_finished = (
            _while_alive(owner, cb) for cb in (on_result, on_error, on_finished)
        )
    worker = Worker(fn, *args, **kwargs)
    if on_result is not None:
        worker.signals.result.connect(on_result)
    if on_error is not None:
        worker.signals.error.connect(on_error)
    else:
        worker.signals.error.connect(
            lambda exc: log.warning("background task failed: %s", exc)
        )
    if on_finished is not None:
        worker.signals.finished.connect(on_finished)
    _in_flight.add(worker)
    worker.signals.finished.connect(lambda: _in_flight.discard(worker))
    (pool or QThreadPool.globalInstance()).start(worker)
    return worker


def _while_alive(owner: QObject, callback: Callable | None) -> Callable | None:
    if callback is None:
        return None

    def guarded(*args: Any) -> None:
        if shiboken6.isValid(owner):
            callback(*args)

    return guarded


_write_lane: QThreadPool | None = None


def write_lane() -> QThreadPool:
    """A one-thread pool: drafts, decisions and messages reach the store in the order they were made."""
    global _write_lane
    if _write_lane is None:
        _write_lane = QThreadPool()
        _write_lane.setMaxThreadCount(1)
        _write_lane.setExpiryTimeout(-1)
    return _write_lane


def wait_for_writes(timeout_ms: int = 30000) -> bool:
    """Block until every queued write is in the store (shutdown and tests)."""
    return _write_lane is None or _write_lane.waitForDone(timeout_ms)


def wait_for_background(timeout_ms: int = 30000) -> bool:
    """Block until the shared pool and the write lane are idle (for shutdown and tests)."""
    writes_done = wait_for_writes(timeout_ms)
    return QThreadPool.globalInstance().waitForDone(timeout_ms) and writes_done
