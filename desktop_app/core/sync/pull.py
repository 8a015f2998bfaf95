"""Pulling: reports and messages changed on the server since the cursor (full lists on a legacy server)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from desktop_app.core.sync.ids import legacy_message_match, legacy_report_match
from desktop_app.core.sync.merge import merge_report
from desktop_app.core.sync.wire import message_from_wire, report_from_wire

if TYPE_CHECKING:
    from desktop_app.core.sync.engine import SyncEngine, SyncPass

log = logging.getLogger(__name__)


def pull_reports(engine: SyncEngine, ctx: SyncPass, me: str, role: str | None) -> None:
    key = f"reports:{me}"
    page = engine.call_as(me, lambda c: c.list_reports("all" if role == "doctor" else me, since=engine.state.cursor(key) or "0"))
    engine.learn_server_kind()
    for record in page.items:
        if isinstance(record, dict) and record.get("id"):
            _merge_report_record(engine, ctx, record)
            if role == "doctor" and record.get("username"):
                engine.state.add_peer(me, str(record["username"]))  # whose chat to fetch
    if page.cursor is not None:
        engine.state.set_cursor(key, page.cursor)


def pull_conversation(engine: SyncEngine, ctx: SyncPass, me: str, peer: str) -> int:
    """New messages between `me` and `peer`; returns how many were added here."""
    key = f"messages:{me}|{peer}"
    page = engine.call_as(me, lambda c: c.get_messages(me, peer, since=engine.state.cursor(key) or "0"))
    engine.learn_server_kind()
    added = 0
    for record in page.items:
        if isinstance(record, dict) and record.get("id"):
            added += _merge_message_record(engine, ctx, record)
    if page.cursor is not None:
        engine.state.set_cursor(key, page.cursor)
    return added


def _merge_report_record(engine: SyncEngine, ctx: SyncPass, record: dict[str, Any]) -> None:
    reports = engine.store.collection("reports")
    server_id = str(record["id"])
    local_id = engine.report_ids.local_id(server_id)
    if local_id is None:
        local_id = _claim_own_report(engine, ctx, record)
        if local_id == "":
            return  # ours, still being sent: the push maps it by its client id
    if local_id is None:
        doc = report_from_wire(record, doctor=engine.assigned_doctor(record.get("username")), now_ms=ctx.now_ms)
        reports.put(doc["id"], doc)
        engine.report_ids.remember(server_id, doc["id"])
        ctx.report.reports_pulled += 1
        ctx.report.changed_reports.add(doc["id"])
        if doc["status"] != "pending":
            engine.notify_reviewed(doc)
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
        engine.notify_reviewed(merged.doc)
    if merged.new_conflict:
        ctx.report.conflicts.append(local_id)
        engine.notify_conflict(merged.doc)


def _claim_own_report(engine: SyncEngine, ctx: SyncPass, record: dict[str, Any]) -> str | None:
    """A server report we sent whose answer was lost. Returns its local id, "" to skip it, None if not ours."""
    reports = engine.store.collection("reports")
    client_id = record.get("client_report_id")
    if client_id and reports.get(str(client_id)) is not None:
        engine.map_report(str(client_id), str(record["id"]))
        return str(client_id)
    for local_id, entry_key in ctx.unsent_creates.items():
        local = reports.get(local_id)
        attempt = engine.state.attempt(entry_key)
        if local is None or attempt is None or local.get("username") != record.get("username"):
            continue
        if not engine.client.capabilities.legacy:
            return ""  # the project server honours client ids: resending maps it exactly
        if legacy_report_match([record], engine.report_ids, local, attempt) is not None:
            engine.adopt_report(ctx, local_id, entry_key, str(record["id"]))
            return local_id
    return None


def _merge_message_record(engine: SyncEngine, ctx: SyncPass, record: dict[str, Any]) -> int:
    messages = engine.store.collection("messages")
    server_id = str(record["id"])
    if engine.message_ids.known(server_id):
        return 0  # messages never change once sent
    client_id = record.get("client_message_id")
    if client_id and messages.get(str(client_id)) is not None:
        engine.map_message(str(client_id), server_id)
        return 0
    for local_id, entry_key in ctx.unsent_messages.items():
        local = messages.get(local_id)
        attempt = engine.state.attempt(entry_key)
        if local is None or attempt is None:
            continue
        if legacy_message_match([record], engine.message_ids, local, attempt) is not None:
            if not engine.client.capabilities.legacy:
                return 0  # resending with its client id maps it exactly
            engine.adopt_message(ctx, local_id, entry_key, server_id)
            return 0
    doc = message_from_wire(record, now_ms=ctx.now_ms)
    messages.put(doc["id"], doc)
    engine.message_ids.remember(server_id, doc["id"])
    ctx.report.messages_pulled += 1
    ctx.report.changed_messages.add(doc["id"])
    engine.notify_message(doc)
    return 1
