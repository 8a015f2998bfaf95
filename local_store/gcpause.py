"""Pausing the cyclic garbage collector while many JSON containers are built at once."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pauses the cyclic garbage collector while building many containers at once.

    JSON documents have no reference cycles, yet the collector would otherwise rescan the
    growing heap again and again while 60,000 documents are created: ~40 % of an open.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
