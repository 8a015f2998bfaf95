"""Runs the sync engine off the UI thread: on a timer, after local changes, on "Sync now", and chat polling."""

from __future__ import annotations

import logging
import weakref
from concurrent.futures import Future, ThreadPoolExecutor

from PySide6.QtCore import QObject, QTimer, Signal

from desktop_app.core.sync import SyncEngine, SyncReport, SyncStatus

log = logging.getLogger(__name__)


class SyncWorker(QObject):
    """Owns the timers; every network call runs on one background thread, so passes never overlap."""

    status_changed = Signal(object)  # SyncStatus
    sync_finished = Signal(object)  # SyncReport
    messages_arrived = Signal(str, int)  # peer, how many new messages in the open chat
    login_needed = Signal(str)  # user name whose sign-in expired
    _pass_over = Signal()  # worker thread -> UI thread: schedule the next pass
    _chat_over = Signal()  # worker thread -> UI thread: schedule the next chat poll

    def __init__(
        self,
        engine: SyncEngine,
        *,
        interval_s: float = 60.0,
        chat_poll_s: float = 3.0,
        change_delay_ms: int = 1500,
        max_backoff_s: float = 300.0,
        parent: QObject | None = None,
    ):
        super().__init__(parent)
        self.engine = engine
        self.interval_s = interval_s
        self.chat_poll_s = chat_poll_s
        self.max_backoff_s = max_backoff_s
        self._failures = 0  # consecutive passes that could not reach the server
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sync")
        self._running: Future | None = None
        self._chat: tuple[str, str] | None = None
        self._chat_running: Future | None = None
        self._announced_logins: set[str] = set()
        self._again = False  # asked for a pass while one ran: run one more when it ends
        self._stopped = False

        self._timer = QTimer(self, singleShot=True, timeout=self.sync_now)
        self._change_timer = QTimer(self, singleShot=True, interval=change_delay_ms, timeout=self.sync_now)
        self._chat_timer = QTimer(self, singleShot=True, timeout=self._poll_chat)
        # The engine calls this from the worker thread; a queued signal carries it to the UI thread.
        # It holds the worker weakly: no reference cycle, so the QObject is never freed by the
        # garbage collector on some other thread (which Qt does not allow).
        worker_ref = weakref.ref(self)

        def forward_status(status: SyncStatus) -> None:
            alive = worker_ref()
            if alive is not None:
                alive.status_changed.emit(status)

        self._forward_status = forward_status
        engine.subscribe(forward_status)
        # Emitted on the worker thread, run on the UI thread (QTimers belong to the UI thread).
        self._pass_over.connect(self._schedule_next)
        self._chat_over.connect(self._schedule_chat)

    @property
    def status(self) -> SyncStatus:
        return self.engine.status

    @property
    def polled_chat(self) -> tuple[str, str] | None:
        """(me, peer) of the conversation being polled, None when no chat is open."""
        return self._chat

    @property
    def busy(self) -> bool:
        return self._running is not None and not self._running.done()

    def start(self) -> None:
        """First pass now, then on the timer."""
        self.sync_now()

    def stop(self) -> None:
        self._stopped = True  # a last queued "pass over" must not restart the timers
        for timer in (self._timer, self._change_timer, self._chat_timer):
            timer.stop()
        self._chat = None
        self._executor.shutdown(wait=True, cancel_futures=True)
        self.engine.unsubscribe(self._forward_status)
        # Finished futures hold callbacks bound to this object: drop them to leave no cycle.
        self._running = self._chat_running = None

    def sync_now(self) -> None:
        """A pass as soon as the worker is free.

        Asked during a pass (a change saved, a fresh sign-in), one more pass follows it: the
        running one may have read the outbox or the tokens before the change.
        """
        self._timer.stop()
        if self._stopped:
            return
        if self.busy:
            self._again = True
            return
        self._running = self._executor.submit(self.engine.run_once)
        self._running.add_done_callback(self._pass_done)

    def local_change(self) -> None:
        """Something was saved locally: sync shortly, batching a burst of changes into one pass."""
        self.engine.refresh_pending()
        self._change_timer.start()

    def open_chat(self, me: str, peer: str) -> None:
        """Polls the server for this conversation now and every `chat_poll_s` until `close_chat`."""
        if self._stopped:  # a window closing after the worker stopped
            return
        self._chat = (me, peer)
        self._poll_chat()

    def close_chat(self) -> None:
        self._chat = None
        self._chat_timer.stop()

    def next_interval_s(self, base: float) -> float:
        """Exponential backoff while the server is unreachable, back to `base` once it answers."""
        return min(self.max_backoff_s, base * (2 ** min(self._failures, 10)))

    # ---- runs on the worker thread, reports back through queued signals ---------------------

    def _pass_done(self, future: Future) -> None:
        if future.cancelled():  # the worker stopped before this pass began
            return
        try:
            report: SyncReport = future.result()
        except Exception:  # a bug must not stop syncing for good; the log has the details
            log.exception("sync pass failed")
            report = SyncReport(error="Sync failed unexpectedly; it will be tried again.")
        self._failures = self._failures + 1 if report.error else 0
        for user in report.needs_login:
            if user not in self._announced_logins:
                self._announced_logins.add(user)
                self.login_needed.emit(user)
        self._announced_logins &= set(report.needs_login)
        self.sync_finished.emit(report)
        self._pass_over.emit()

    def _schedule_next(self) -> None:
        if self._stopped:
            return
        if self._again:
            self._again = False
            self.sync_now()
            return
        self._timer.start(int(self.next_interval_s(self.interval_s) * 1000))

    def _poll_chat(self) -> None:
        chat = self._chat
        if chat is None or (self._chat_running is not None and not self._chat_running.done()):
            return
        self._chat_running = self._executor.submit(self.engine.poll_conversation, *chat)
        self._chat_running.add_done_callback(lambda f, c=chat: self._chat_done(f, c))

    def _chat_done(self, future: Future, chat: tuple[str, str]) -> None:
        if future.cancelled():  # the worker stopped before this poll began
            return
        try:
            added = future.result()
        except Exception:
            log.exception("chat poll failed")
            added = 0
        if added:
            self.messages_arrived.emit(chat[1], added)
        self._chat_over.emit()

    def _schedule_chat(self) -> None:
        if self._chat is None:
            return
        failures = 0 if self.engine.status.online else max(self._failures, 1)
        delay = min(self.max_backoff_s, self.chat_poll_s * (2 ** min(failures, 10)))
        self._chat_timer.start(int(delay * 1000))
