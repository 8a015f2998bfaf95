"""Moves damaged files aside into `quarantine/` so nothing is silently wiped."""

from __future__ import annotations

import logging
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path

from .errors import StoreError

log = logging.getLogger(__name__)


class Quarantine:
    """The `quarantine/` folder of a data dir; damaged files are moved or copied here with a timestamp."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _target(self, source: Path, label: str) -> Path:
        self.root.mkdir(parents=True, exist_ok=True)
        stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
        base = f"{stamp}-{label}-{source.name}"
        target = self.root / base
        counter = 1
        while target.exists():
            target = self.root / f"{base}.{counter}"
            counter += 1
        return target

    def move(self, source: Path, label: str, reason: str) -> Path:
        """Moves `source` aside and logs a WARNING naming where it went and why."""
        target = self._set_aside(source, label, reason, os.replace)
        log.warning("Damaged file %s moved aside to %s: %s", source, target, reason)
        return target

    def copy(self, source: Path, label: str, reason: str) -> Path:
        """Keeps a copy of `source` (which is about to be repaired in place) and logs a WARNING."""
        # Repairing without a copy would lose the damaged original: a failed copy refuses instead.
        target = self._set_aside(source, label, reason, shutil.copy2)
        log.warning("Damaged file %s: %s; the original was kept as %s", source, reason, target)
        return target

    def _set_aside(self, source: Path, label: str, reason: str, transfer: Callable[[Path, Path], object]) -> Path:
        try:
            target = self._target(source, label)
            transfer(source, target)
        except OSError as exc:
            raise _cannot_set_aside(source, reason, exc) from exc
        return target


def _cannot_set_aside(source: Path, reason: str, exc: OSError) -> StoreError:
    log.error("Damaged file %s (%s) could not be set aside: %s", source, reason, exc)
    return StoreError(f"The file {source} is damaged ({reason}) and could not be moved aside "
                      f"({exc.strerror or exc}). Free some disk space or check the folder's permissions, "
                      "then start TumorPredict again; nothing was deleted.")
