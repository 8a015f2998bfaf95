"""Background lanes for the doctor screens: one ordered lane for writes, the shared pool for reads."""

from __future__ import annotations

from PySide6.QtCore import QThreadPool

_write_lane: QThreadPool | None = None


def write_lane() -> QThreadPool:
    """A one-thread pool: drafts and decisions reach the store in the order they were made."""
    global _write_lane
    if _write_lane is None:
        _write_lane = QThreadPool()
        _write_lane.setMaxThreadCount(1)
        _write_lane.setExpiryTimeout(-1)
    return _write_lane


def wait_for_writes(timeout_ms: int = 30000) -> bool:
    """Block until every queued write is in the store (shutdown and tests)."""
    return _write_lane is None or _write_lane.waitForDone(timeout_ms)
