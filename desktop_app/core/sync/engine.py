"""The sync engine: one pass pulls what changed on the server, merges it, and sends the outbox in order."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from desktop_app.core.api_client import (
    ApiClient,
    ApiError,
    AuthRequired,
    RequestRejected,
    ServerFailed,
    ServerUnreachable,
)
from desktop_app.core.sync import pull, push
from desktop_app.core.sync.copies import CopyFolder
from desktop_app.core.sync.outbox_kinds import WAIT, entry_field, kind_of
from desktop_app.core.sync.session import SyncPass, SyncSession
from desktop_app.core.sync.status import StatusHolder, SyncReport, SyncStatus
from desktop_app.core.sync.tokens import TokenVault
from local_store import StoreError

log = logging.getLogger(__name__)


class SyncEngine:
    """Pure-Python sync with one server; the UI drives it from a worker thread."""

    def __init__(
        self,
        store,
        client: ApiClient,
        *,
        vault: TokenVault | None = None,
        notifications=None,
        current_user: Callable[[], str | None] | None = None,
        push_workers: int = 4,
    ):
        self.session = SyncSession(store, client, copies=CopyFolder(store, notifications), vault=vault,
                                   notifications=notifications, current_user=current_user)
        self.store, self.client, self.vault, self.state = store, client, self.session.vault, self.session.state
        # Independent changes (different reports, different conversations) go in parallel.
        self.push_workers = push_workers
        self._lock = threading.RLock()  # one pass (or chat poll) at a time; the client is shared
        self._needs_login: set[str] = set()
        self._last_sync_saved_ms = 0
        self._earlier_losses_listed = False
        self._seed_capabilities()
        self._status = StatusHolder(SyncStatus(
            server_url=client.base_url, last_sync_at=self.state.last_sync_at,
            pending=self._pending_count(), legacy_server=self.state.server_kind == "legacy",
            scans_downloading=len(self.session.scans),
        ))

    # ---- what the UI reads ------------------------------------------------------------------

    @property
    def status(self) -> SyncStatus:
        return self._status.get()

    def subscribe(self, listener: Callable[[SyncStatus], None]) -> None:
        self._status.subscribe(listener)

    def unsubscribe(self, listener: Callable[[SyncStatus], None]) -> None:
        self._status.unsubscribe(listener)

    def refresh_pending(self) -> SyncStatus:
        return self._status.update(pending=self._pending_count())

    # ---- one pass ----------------------------------------------------------------------------

    def run_once(self) -> SyncReport:
        """Pull, merge, then send the outbox in order. Never raises for network or server trouble."""
        with self._lock:
            self._status.update(syncing=True)
            ctx = self._new_pass()
            try:
                self.session.fold_leftover_copies()
                self._pull_all(ctx)
                self._push_all(ctx)
            except (ServerUnreachable, ServerFailed, StoreError) as exc:
                # Unreachable, a 5xx, or a full disk here: the pass stops, the queue is kept.
                ctx.report.error = exc.user_message
                log.warning("sync stopped: %s", exc.user_message)
            except Exception:
                # Never count a pass that broke off as one that reached the server.
                ctx.report.error = "The sync stopped because of an unexpected problem; your changes are kept."
                raise
            finally:
                ctx.report.needs_login = sorted(self._needs_login)
                self._finish(ctx)
            return ctx.report

    def poll_conversation(self, me: str, peer: str) -> int:
        """The open chat's quick refresh; returns the number of new messages (0 when offline)."""
        with self._lock:
            ctx = self._new_pass()
            try:
                added = pull.pull_conversation(self.session, ctx, me, peer)
            except (ServerUnreachable, ServerFailed) as exc:
                self._status.update(online=False, last_error=exc.user_message)
                return 0
            except AuthRequired as exc:
                self._flag_login(me, exc)
                self._status.update(needs_login=frozenset(self._needs_login))
                return 0
            self._status.update(online=True)
            return added

    def _new_pass(self) -> SyncPass:
        ctx = SyncPass(report=SyncReport(), now_ms=self.session.now_ms())
        for entry in self.store.outbox.pending():
            kind_of(entry).note_unsent(ctx, entry)
        return ctx

    def _pull_all(self, ctx: SyncPass) -> None:
        accounts = self._accounts()
        if not accounts:
            self._ping()
        for me in accounts:
            if me in ctx.blocked:
                continue
            role = (self.store.collection("users").get(me) or {}).get("role")
            try:
                pull.pull_reports(self.session, ctx, me, role)
                pull.pull_messages(self.session, ctx, me, self._peers(me, role))
            except AuthRequired as exc:
                self._flag_login(me, exc)
                ctx.blocked.add(me)
            except RequestRejected as exc:
                # Not fatal for the pass: what this user sends may still go through.
                log.warning("fetching changes for %s was refused: %s", me, exc.user_message)
                ctx.report.failed.append(f"fetching changes for {me}: {exc.user_message}")
        if not self._earlier_losses_listed and self.client.capabilities.honours_idempotency_keys:
            self._earlier_losses_listed = True  # once per start; only this project's server keeps scans
            self.session.scans.list_earlier_losses(ctx.now_ms)
        arrived = self.session.scans.retry_due(self.session.call_as, set(accounts) - ctx.blocked, ctx.now_ms)
        ctx.report.scans_fetched += len(arrived)
        ctx.report.changed_reports.update(arrived)

    def _ping(self) -> None:
        """Nobody to pull for: still learn whether the server answers (any answer will do)."""
        try:
            self.client.with_token(None).get_global_meta()
        except (AuthRequired, RequestRejected):
            pass

    def _push_all(self, ctx: SyncPass) -> None:
        ctx.blocked |= self._needs_login  # their entries wait for a new sign-in
        entries = self.store.outbox.pending()
        if self.push_workers <= 1 or not self.client.capabilities.honours_idempotency_keys:
            # A legacy server is matched by send time, so it gets one change at a time.
            self._push_lane(ctx, entries, block_owner=True)
            return
        lanes: dict[str, list[Any]] = {}
        for entry in entries:
            lanes.setdefault(kind_of(entry).lane(self.session, entry), []).append(entry)
        with ThreadPoolExecutor(self.push_workers, thread_name_prefix="sync-push") as pool:
            futures = [pool.submit(self._push_lane, ctx, lane, block_owner=False) for lane in lanes.values()]
            errors = [f.exception() for f in futures if f.exception() is not None]
        if errors:
            raise errors[0]

    def _push_lane(self, ctx: SyncPass, entries: list[Any], *, block_owner: bool) -> None:
        """Sends `entries` in order; the first unreachable/5xx answer stops every lane of the pass.

        Consecutive messages of one sender go as one batch where the server takes batches.
        """
        index = 0
        while index < len(entries) and not ctx.stop.is_set():
            entry = entries[index]
            owner = kind_of(entry).owner(self.session, entry) or ""
            if owner in ctx.blocked:
                if not block_owner:
                    return
                index += 1
                continue
            batch = push.message_batch(self.session, entries, index, owner)
            index += len(batch) or 1
            if batch:
                go_on = self._push_messages(ctx, batch, owner)
            else:
                go_on = self._push_one(ctx, entry, owner, block_owner=block_owner)
            if not go_on:
                return

    def _push_one(self, ctx: SyncPass, entry: Any, owner: str, *, block_owner: bool) -> bool:
        """Sends one entry; False when the rest of the lane must wait for it."""
        try:
            outcome = push.send_entry(self.session, ctx, entry, owner)
        except AuthRequired as exc:
            self._flag_login(owner, exc)
            ctx.blocked.add(owner)
            return True
        except RequestRejected as exc:
            self._reject(ctx, entry, owner, exc)
            return True
        except (ServerUnreachable, ServerFailed):
            ctx.stop.set()
            raise
        if outcome == WAIT:
            if block_owner:
                ctx.blocked.add(owner)  # keep this user's order: later entries may depend on it
                return True
            return False  # the rest of this lane depends on it
        self._sent(ctx, [entry], owner)
        return True

    def _push_messages(self, ctx: SyncPass, batch: list[Any], owner: str) -> bool:
        """One batch of `owner`'s messages; each refused item is handled like a refused single send."""
        try:
            refusals = push.send_message_batch(self.session, batch, owner)
        except AuthRequired as exc:
            self._flag_login(owner, exc)
            ctx.blocked.add(owner)
            return True
        except RequestRejected:
            # No batch endpoint, or the batch as a whole refused: each message gets its own answer.
            return all(self._push_one(ctx, entry, owner, block_owner=False)
                       for entry in batch if owner not in ctx.blocked)
        except (ServerUnreachable, ServerFailed):
            ctx.stop.set()
            raise
        for entry, refusal in zip(batch, refusals, strict=True):
            if refusal is not None:
                self._reject(ctx, entry, owner, refusal)
        self._sent(ctx, [e for e, refusal in zip(batch, refusals, strict=True) if refusal is None], owner)
        return True

    def _sent(self, ctx: SyncPass, entries: list[Any], owner: str) -> None:
        if not entries:
            return
        self.store.outbox.mark_done_many([entry_field(e, "key") for e in entries])
        with ctx.lock:
            for entry in entries:
                ctx.report.count_sent(entry_field(entry, "kind"))
        self._needs_login.discard(owner)
        log.debug("sent %d %s change(s)", len(entries), entry_field(entries[0], "kind"))

    def _finish(self, ctx: SyncPass) -> None:
        pending = self._pending_count()
        ctx.report.waiting = pending
        ctx.report.scans_downloading = len(self.session.scans)
        reached = ctx.report.error is None
        changes: dict[str, Any] = {
            "syncing": False, "pending": pending, "online": reached,
            "last_error": ctx.report.error or (ctx.report.failed[-1] if ctx.report.failed else None),
            "needs_login": frozenset(self._needs_login),
            "legacy_server": self.client.capabilities.legacy,
            "scans_downloading": ctx.report.scans_downloading,
        }
        if reached:
            # Written to disk when something moved, else at most once a minute.
            moved = bool(ctx.report.sent or ctx.report.reports_pulled or ctx.report.messages_pulled)
            stale = ctx.now_ms - self._last_sync_saved_ms > 60_000
            self.state.set_last_sync_at(ctx.now_ms, durable=moved or stale)
            if moved or stale:
                self._last_sync_saved_ms = ctx.now_ms
            changes["last_sync_at"] = ctx.now_ms
        self._status.update(**changes)
        for line in ctx.report.lines():
            log.info("sync: %s", line)

    # ---- failures ------------------------------------------------------------------------

    def _flag_login(self, username: str, exc: ApiError) -> None:
        if username and username not in self._needs_login:
            self._needs_login.add(username)
            self.vault.clear(username)
            log.warning("sign-in expired for %s; their changes stay queued", username)
            self.session.notify(username, "sync_problem", "Please sign in again", exc.user_message, None)

    def _reject(self, ctx: SyncPass, entry: Any, owner: str, exc: RequestRejected) -> None:
        kind, key, payload = (entry_field(entry, n) for n in ("kind", "key", "payload"))
        what = f"{kind.replace('_', ' ')} refused by the server: {exc.user_message}"
        log.warning("%s (entry %s)", what, key)
        first_time = not entry_field(entry, "attempts")
        self.store.outbox.mark_failed(key, exc.user_message)
        ctx.report.failed.append(what)
        kind_of(entry).on_refused(self.session, ctx, entry)
        if first_time:  # an entry that stays queued is tried again each pass; say so once
            self.session.notify(owner, "sync_problem", "A change could not be sent", what,
                                (payload or {}).get("report_id") or (payload or {}).get("message_id"))

    # ---- who and what to sync ------------------------------------------------------------

    def _accounts(self) -> list[str]:
        """Users to pull for: whoever is signed in, plus everyone here holding a server token."""
        # A user flagged for sign-in who has a token again has signed in since: their queue flows.
        self._needs_login = {u for u in self._needs_login if not self.vault.get(u)}
        users = self.store.collection("users").all()
        names = {u["username"] for u in users if u.get("username") and self.vault.get(u["username"])}
        current = self.session.current_user()
        if current:
            names.add(current)
        return sorted(names - self._needs_login)

    def _peers(self, me: str, role: str | None) -> set[str]:
        peers = self.state.peers(me)
        users = self.store.collection("users")
        if role == "doctor":
            peers |= {u["username"] for u in users.all() if u.get("doctor") == me and u.get("username")}
        else:
            doctor = (users.get(me) or {}).get("doctor")
            if doctor:
                peers.add(doctor)
        peers.discard(me)
        return peers

    def _pending_count(self) -> int:
        return len(self.store.outbox)

    def _seed_capabilities(self) -> None:
        kind = self.state.server_kind
        if kind == "project":
            self.client.capabilities.report_ids = self.client.capabilities.cursors = True
        elif kind == "legacy":
            self.client.capabilities.report_ids = self.client.capabilities.cursors = False
