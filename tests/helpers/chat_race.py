"""Two chat messages sent in a race: the first is held up after it was stamped, before it is queued."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager


@contextmanager
def first_call_held(owner, method: str, seconds: float = 0.3) -> Iterator[threading.Event]:
    """`owner.method`'s first call waits `seconds` before it runs; the event is set when it is reached."""
    reached = threading.Event()
    original = getattr(owner, method)

    def held(*args, **kwargs):
        if not reached.is_set():
            reached.set()
            time.sleep(seconds)
        return original(*args, **kwargs)

    setattr(owner, method, held)
    try:
        yield reached
    finally:
        delattr(owner, method)  # the class's own method again


def first_append_held(outbox, seconds: float = 0.3):
    """The outbox's first append is held up: its message has been stamped and saved, not yet queued."""
    return first_call_held(outbox, "append", seconds)


def send_racing(app, sender: str, receiver: str, texts: tuple[str, str] = ("first", "second"),
                *, before_second: Callable[[], object] = lambda: None) -> list[dict]:
    """On `app` (AppServices), sends texts[0] from one thread and, once it is stamped but not yet queued, texts[1] from
    another (`before_second` runs in between, e.g. to move a test clock on by a millisecond).
    Returns the two messages in the order they were sent."""
    with first_append_held(app.store.outbox) as first_stamped, ThreadPoolExecutor(2) as pool:
        first = pool.submit(app.chat.send, sender, receiver, texts[0])
        assert first_stamped.wait(10), "the first send never reached the outbox"
        before_second()
        second = pool.submit(app.chat.send, sender, receiver, texts[1])
        return [first.result(10), second.result(10)]


def queued_message_ids(outbox) -> list[str]:
    """The messages waiting in the outbox, in the order they will be sent."""
    return [entry.payload["message_id"] for entry in outbox.pending() if entry.kind == "send_message"]
