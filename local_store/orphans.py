"""Stored files no document refers to: what a save leaves when its document could not be written.

A report's scan is stored before the report itself; when the report's write then fails (a full
disk, a file-size limit) the scan stays behind, taking space no one can reclaim from the app.
Any failed write leaves a marker; the next open, holding the data folder alone, removes every
stored file whose fingerprint appears in no document, and the marker with them.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

MARKER = ".check-orphans"
_DIGEST = re.compile(r"[0-9a-f]{64}")


def note_failed_write(blobs_root: Path) -> None:
    """Leaves the marker (an empty file: it needs no free data blocks); never raises."""
    try:
        (blobs_root / MARKER).touch()
    except OSError as exc:
        log.warning("could not note a failed write for the next start (%s)", exc)


def sweep_if_noted(blobs_root: Path, documents: Iterable[dict[str, Any]]) -> int:
    """Removes unreferenced files when a failed write was noted; returns how many went."""
    marker = blobs_root / MARKER
    if not marker.exists():
        return 0
    referenced: set[str] = set()
    for doc in documents:
        _collect_digests(doc, referenced)
    removed = 0
    for folder in _subfolders(blobs_root):
        with os.scandir(folder) as entries:
            for entry in entries:
                if _DIGEST.fullmatch(entry.name) and entry.name not in referenced and entry.is_file():
                    os.unlink(entry.path)
                    removed += 1
    marker.unlink()
    if removed:
        log.info("Removed %d stored files that no record refers to (left by a failed save)", removed)
    return removed


def _subfolders(root: Path) -> list[Path]:
    with os.scandir(root) as entries:
        return [Path(e.path) for e in entries if len(e.name) == 2 and e.is_dir(follow_symlinks=False)]


def _collect_digests(value: Any, found: set[str]) -> None:
    """Every fingerprint-shaped string anywhere in a document: no field list to keep up to date."""
    if isinstance(value, str):
        if len(value) == 64 and _DIGEST.fullmatch(value):
            found.add(value)
    elif isinstance(value, dict):
        for item in value.values():
            _collect_digests(item, found)
    elif isinstance(value, list):
        for item in value:
            _collect_digests(item, found)
