"""Sign-in backoff: five free tries per user name, then a wait that doubles, kept in the store across restarts."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

FREE_ATTEMPTS = 5
FIRST_WAIT_S = 30
MAX_WAIT_S = 15 * 60
DOC_ID = "login_guard"  # in the `settings` collection
_MAX_ENTRIES = 500  # unknown user names are tracked too; keep the record small


def wait_after_failures(failures: int) -> float:
    """Seconds a user must wait after `failures` unsuccessful sign-ins in a row."""
    if failures < FREE_ATTEMPTS:
        return 0.0
    return float(min(MAX_WAIT_S, FIRST_WAIT_S * 2 ** (failures - FREE_ATTEMPTS)))


def duration_text(seconds: float) -> str:
    seconds = int(seconds + 0.999)
    if seconds < 90:
        return f"{seconds} seconds"
    return f"{(seconds + 59) // 60} minutes"


class LoginGuard:
    """Counts failures per user name in one small document, so separate processes share the count."""

    def __init__(self, settings_collection, clock: Callable[[], float] = time.time):
        self._docs = settings_collection
        self._clock = clock
        self._lock = threading.Lock()

    def seconds_to_wait(self, username: str) -> float:
        """0 when `username` may try now."""
        entry = self._state().get(username)
        if not entry:
            return 0.0
        wait = wait_after_failures(int(entry.get("failures", 0)))
        return max(0.0, entry.get("last", 0) + wait - self._clock())

    def record_failure(self, username: str) -> None:
        with self._lock:
            state = self._state()
            failures = int((state.get(username) or {}).get("failures", 0)) + 1
            state[username] = {"failures": failures, "last": self._clock()}
            if len(state) > _MAX_ENTRIES:
                for name in sorted(state, key=lambda k: state[k].get("last", 0))[: len(state) - _MAX_ENTRIES]:
                    del state[name]
            self._docs.put(DOC_ID, state)
        log.info("unsuccessful sign-in for %s (%d in a row)", username, failures)

    def clear(self, username: str) -> None:
        with self._lock:
            state = self._state()
            if state.pop(username, None) is not None:
                self._docs.put(DOC_ID, state)

    def _state(self) -> dict[str, Any]:
        return dict(self._docs.get(DOC_ID) or {})
