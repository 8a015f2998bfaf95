"""Pulling: reports and messages changed on the server since the cursor (full lists on a legacy server)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from desktop_app.core.api_client import Page
from desktop_app.core.sync.ids import legacy_message_match, legacy_report_match
from desktop_app.core.sync.merge import merge_report
from desktop_app.core.sync.scans import DOWNLOADING
from desktop_app.core.sync.wire import message_from_wire, report_from_wire

if TYPE_CHECKING:
    from desktop_app.core.sync.session import SyncPass, SyncSession

log = logging.getLogger(__name__)

# Asking with a cursor from the start is what tells a cursor-aware server from a legacy one.
FIRST_CURSOR = 0
_MAX_PAGES = 10_000  # a bound, not a limit anyone meets: a server that never says "no more" stops here


def pull_reports(session: SyncSession, ctx: SyncPass, me: str, role: str | None) -> None:
    key = f"reports:{me}"
    who = "all" if role == "doctor" else me
    for page in _pages(session, me, key, lambda c, since: c.list_reports(who, since=since)):
        for record in page.items:
            if isinstance(record, dict) and record.get("id"):
                _merge_report_record(session, ctx, me, record)
                if role == "doctor" and record.get("username"):
                    session.state.add_peer(me, str(record["username"]))  # whose chat to fetch (legacy)


def pull_messages(session: SyncSession, ctx: SyncPass, me: str, peers: set[str]) -> None:
    """One inbox call on a cursor-aware server; each known conversation in full on a legacy one."""
    if session.client.capabilities.cursors:
        _pull_inbox(session, ctx, me)
        return
    for peer in sorted(peers):
        pull_conversation(session, ctx, me, peer)


def _pull_inbox(session: SyncSession, ctx: SyncPass, me: str, peer: str | None = None) -> int:
    added = 0
    for page in _pages(session, me, f"inbox:{me}", lambda c, since: c.get_inbox(since=since)):
        for record in page.items:
            if isinstance(record, dict) and record.get("id"):
                new = _merge_message_record(session, ctx, record)
                if peer is None or peer in (record.get("sender"), record.get("receiver")):
                    added += new
    return added


def pull_conversation(session: SyncSession, ctx: SyncPass, me: str, peer: str) -> int:
    """New messages between `me` and `peer`; returns how many were added here."""
    if session.client.capabilities.cursors:
        return _pull_inbox(session, ctx, me, peer)
    added = 0
    for page in _pages(session, me, f"messages:{me}|{peer}", lambda c, since: c.get_messages(me, peer, since=since)):
        for record in page.items:
            if isinstance(record, dict) and record.get("id"):
                added += _merge_message_record(session, ctx, record)
    return added


def _pages(session: SyncSession, me: str, key: str, fetch) -> Iterator[Page]:
    """Pages after the stored cursor; the cursor is saved only after its page was merged."""
    for _ in range(_MAX_PAGES):
        cursor = session.state.cursor(key)
        page = session.call_as(me, lambda c, since=FIRST_CURSOR if cursor is None else cursor: fetch(c, since))
        session.learn_server_kind()
        yield page
        if page.cursor is None:
            return  # legacy: the full list, every time
        session.state.set_cursor(key, page.cursor)
        if not page.has_more:
            return


def _merge_report_record(session: SyncSession, ctx: SyncPass, me: str, record: dict[str, Any]) -> None:
    reports = session.store.collection("reports")
    server_id = str(record["id"])
    local_id = session.report_ids.local_id(server_id)
    if local_id is None:
        local_id = _claim_own(session, ctx, record, reports, "client_report_id", ctx.unsent_creates,
                              session.report_ids, legacy_report_match, session.map_report, session.adopt_report)
    if local_id is None:
        doc = report_from_wire(record, doctor=session.assigned_doctor(record.get("username")), now_ms=ctx.now_ms)
        if record.get("has_image"):
            doc["image_hash"], doc["image_name"] = session.scans.fetch(session.call_as, me, server_id), "scan"
            if doc["image_hash"] is None:
                # Listed before the report is written: a crash in between leaves a harmless entry.
                session.scans.add(doc["id"], server_id, me, ctx.now_ms)
                doc[DOWNLOADING] = True
        reports.put(doc["id"], doc)
        session.report_ids.remember(server_id, doc["id"])
        ctx.report.reports_pulled += 1
        ctx.report.changed_reports.add(doc["id"])
        if doc["status"] != "pending":
            session.notify_reviewed(doc)
        return
    local = reports.get(local_id)
    if local is None:
        return
    merged = merge_report(local, record, ctx.unsent_reviews.get(local_id), ctx.now_ms)
    if not merged.changed:
        return
    reports.put(local_id, merged.doc)
    ctx.report.reports_pulled += 1
    ctx.report.changed_reports.add(local_id)
    if merged.newly_decided:
        session.notify_reviewed(merged.doc)
    if merged.new_conflict:
        ctx.report.conflicts.append(local_id)
        session.notify_conflict(merged.doc)


def _claim_own(session: SyncSession, ctx: SyncPass, record: dict[str, Any], docs, client_field: str,
               unsent: dict[str, str], index, match, map_record, adopt) -> str | None:
    """A pulled record that is ours but whose send's answer was lost: its local id (now mapped), or None.

    This project's server echoes our id (`client_field`), so nothing is guessed; a server that
    does not (an older one) leaves a copy that is folded into the original when the resend
    returns the same server id (`copies.py`). On a legacy server our unsent records are matched
    by who, what and when (`ids.py`) against the time of their last send.
    """
    server_id = str(record["id"])
    client_id = record.get(client_field)
    if client_id and docs.get(str(client_id)) is not None:
        map_record(str(client_id), server_id)
        return str(client_id)
    if not session.client.capabilities.legacy:
        return None
    for local_id, entry_key in unsent.items():
        local, attempt = docs.get(local_id), session.state.attempt(entry_key)
        if local is not None and attempt is not None and match([record], index, local, attempt) is not None:
            adopt(ctx, local_id, entry_key, server_id)
            return local_id
    return None


def _merge_message_record(session: SyncSession, ctx: SyncPass, record: dict[str, Any]) -> int:
    messages = session.store.collection("messages")
    server_id = str(record["id"])
    if session.message_ids.known(server_id):
        return 0  # messages never change once sent
    if _claim_own(session, ctx, record, messages, "client_message_id", ctx.unsent_messages,
                  session.message_ids, legacy_message_match, session.map_message, session.adopt_message):
        return 0
    doc = message_from_wire(record, now_ms=ctx.now_ms)
    messages.put(doc["id"], doc)
    session.message_ids.remember(server_id, doc["id"])
    ctx.report.messages_pulled += 1
    ctx.report.changed_messages.add(doc["id"])
    session.notify_message(doc)
    return 1
