"""Decides when a received series is complete: its association ended, or no new instance for a while."""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Hashable

log = logging.getLogger(__name__)


class SeriesCompletion:
    """Calls `on_complete(key)` once per quiet series, on one worker thread (series are triaged in turn).

    A series that gets new instances after it was handed over is handed over again.
    """

    def __init__(self, on_complete: Callable[[Hashable], None], settle_seconds: float = 3.0,
                 clock: Callable[[], float] = time.monotonic):
        self._on_complete = on_complete
        self._settle = settle_seconds
        self._clock = clock
        self._last: dict[Hashable, float] = {}
        self._lock = threading.Lock()
        self._ready: queue.Queue = queue.Queue()
        self._stop = threading.Event()
        self._idle = threading.Condition(self._lock)
        self._busy = 0
        self._threads = [threading.Thread(target=self._watch, name="dicom-settle", daemon=True),
                         threading.Thread(target=self._work, name="dicom-triage", daemon=True)]
        for thread in self._threads:
            thread.start()

    def touch(self, key: Hashable) -> None:
        """An instance of `key` arrived."""
        with self._lock:
            self._last[key] = self._clock()

    def finish(self, keys) -> None:
        """The sender is done with these series: hand them over now."""
        with self._lock:
            for key in keys:
                if self._last.pop(key, None) is not None:
                    self._hand_over(key)

    def finish_all(self) -> None:
        """Hands over every series still settling (the receiver is stopping)."""
        with self._lock:
            keys = list(self._last)
        self.finish(keys)

    def _hand_over(self, key: Hashable) -> None:  # with the lock held
        self._busy += 1
        self._ready.put(key)

    def _watch(self) -> None:
        step = min(0.2, self._settle / 4) if self._settle > 0 else 0.05
        while not self._stop.wait(step):
            now = self._clock()
            with self._lock:
                quiet = [k for k, at in self._last.items() if now - at >= self._settle]
                for key in quiet:
                    del self._last[key]
                    self._hand_over(key)

    def _work(self) -> None:
        while True:
            key = self._ready.get()
            if key is None:
                return
            try:
                self._on_complete(key)
            except Exception:  # one bad series must not stop the receiver
                log.exception("triage of series %s failed", key)
            finally:
                with self._lock:
                    self._busy -= 1
                    self._idle.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        """True once nothing is waiting or being triaged (for shutdown and tests)."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while self._busy or self._last:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._idle.wait(min(left, 0.1))
        return True

    def close(self) -> None:
        self._stop.set()
        self._ready.put(None)
        for thread in self._threads:
            thread.join(timeout=5)
