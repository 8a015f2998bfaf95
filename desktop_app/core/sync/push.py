"""Pushing: one outbox entry to the server, exactly once, whatever happened to earlier tries."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from desktop_app.core.api_client import RequestRejected
from desktop_app.core.sync.ids import legacy_message_match, legacy_report_match
from desktop_app.core.sync.wire import STATUS_TO_ACTION, prediction_payload

if TYPE_CHECKING:
    from desktop_app.core.sync.session import SyncPass, SyncSession

log = logging.getLogger(__name__)

DONE, WAIT = "done", "wait"  # WAIT: depends on something not yet on the server
MESSAGE_BATCH = 250  # messages per /send_messages request (the server takes up to 500)


def entry_field(entry: Any, name: str) -> Any:
    return entry.get(name) if isinstance(entry, dict) else getattr(entry, name)


def entry_owner(session: SyncSession, entry: Any) -> str | None:
    """The user whose credentials send this entry."""
    kind, payload = entry_field(entry, "kind"), entry_field(entry, "payload") or {}
    if kind == "create_report":
        doc = session.store.collection("reports").get(payload.get("report_id")) or {}
        return doc.get("username")
    if kind == "review_report":
        doc = session.store.collection("reports").get(payload.get("report_id")) or {}
        reviews = [a.get("by") for a in doc.get("audit", []) if a.get("action") in ("approve", "reject", "save")]
        return payload.get("doctor") or (reviews[-1] if reviews else None) or doc.get("reviewed_by")
    if kind == "send_message":
        return (session.store.collection("messages").get(payload.get("message_id")) or {}).get("sender")
    if kind == "fl_upload":
        return (session.store.collection("fl_state").get(payload.get("update_id")) or {}).get("username") or session.current_user()
    return payload.get("username")


def lane_of(session: SyncSession, entry: Any) -> str:
    """Entries in one lane keep their order; different lanes may be sent side by side."""
    kind, payload = entry_field(entry, "kind"), entry_field(entry, "payload") or {}
    if kind in ("create_report", "review_report"):
        return f"report:{payload.get('report_id')}"  # a review follows its report
    if kind == "send_message":
        # A conversation keeps its order: the server stamps messages as they arrive.
        message = session.store.collection("messages").get(payload.get("message_id")) or {}
        return "chat:" + "|".join(sorted((str(message.get("sender")), str(message.get("receiver")))))
    return f"{kind}:{entry_owner(session, entry) or ''}"


def send_entry(session: SyncSession, ctx: SyncPass, entry: Any, owner: str) -> str:
    kind = entry_field(entry, "kind")
    handler = _HANDLERS.get(kind)
    if handler is None:
        return WAIT
    return handler(session, ctx, entry, owner)


def _create_report(session: SyncSession, ctx: SyncPass, entry: Any, owner: str) -> str:
    key, payload = entry_field(entry, "key"), entry_field(entry, "payload")
    reports = session.store.collection("reports")
    report = reports.get(payload["report_id"])
    if report is None or report.get("server_id"):
        return DONE
    legacy = session.client.capabilities.legacy
    earlier = session.state.attempt(key)
    if legacy and earlier is not None and _adopt_legacy_report(session, ctx, owner, report, key, earlier):
        return DONE
    image = session.store.blobs.get(report["image_hash"]) if report.get("image_hash") else b""
    attempt = session.client.server_now_ms()
    if not session.client.capabilities.honours_idempotency_keys:
        session.state.record_attempt(key, attempt)  # a lost answer must be findable later
    result = session.call_as(owner, lambda c: c.predict(
        owner, image, client_report_id=report["id"], prediction=prediction_payload(report),
        timestamp_ms=report.get("timestamp"),
    ))
    session.learn_server_kind()
    if result.report_id:
        session.map_report(report["id"], result.report_id)
    elif not _adopt_legacy_report(session, ctx, owner, report, key, attempt):
        log.warning("report %s reached the legacy server but was not found in its list yet", report["id"])
        return WAIT
    session.state.clear_attempt(key)
    return DONE


def _adopt_legacy_report(session: SyncSession, ctx: SyncPass, owner: str, report: dict, key: str, attempt: int) -> bool:
    page = session.call_as(owner, lambda c: c.list_reports(owner))
    match = legacy_report_match(page.items, session.report_ids, report, attempt)
    if match is None:
        return False
    session.adopt_report(ctx, report["id"], key, str(match["id"]))
    return True


def _review_report(session: SyncSession, ctx: SyncPass, entry: Any, owner: str) -> str:
    key, payload = entry_field(entry, "key"), entry_field(entry, "payload")
    report = session.store.collection("reports").get(payload["report_id"])
    if report is None:
        return DONE
    if not report.get("server_id"):
        return WAIT  # its create_report has not reached the server yet
    action = STATUS_TO_ACTION.get(payload.get("action"), payload.get("action") or "save")
    # The key makes a resend after a lost answer change nothing: no second audit row, the same
    # review time (a legacy server ignores it; there a resend only sets the same decision again).
    session.call_as(owner, lambda c: c.doctor_update_report(
        report["server_id"], action, payload.get("notes") or "",
        label=payload.get("label"), reason=payload.get("reason") or report.get("reject_reason"),
        client_review_id=payload.get("review_id") or key,
    ))
    return DONE


def _send_message(session: SyncSession, ctx: SyncPass, entry: Any, owner: str) -> str:
    key, payload = entry_field(entry, "key"), entry_field(entry, "payload")
    messages = session.store.collection("messages")
    message = messages.get(payload["message_id"])
    if message is None or message.get("server_id"):
        return DONE
    earlier = session.state.attempt(key)
    if session.client.capabilities.legacy and earlier is not None:
        page = session.call_as(owner, lambda c: c.get_messages(message["sender"], message["receiver"]))
        match = legacy_message_match(page.items, session.message_ids, message, earlier)
        if match is not None:
            session.adopt_message(ctx, message["id"], key, str(match["id"]))
            return DONE
    if not session.client.capabilities.honours_idempotency_keys:
        session.state.record_attempt(key, session.client.server_now_ms())
    server_id = session.call_as(owner, lambda c: c.send_message(
        message["sender"], message["receiver"], message["message"], client_message_id=message["id"],
    ))
    if not server_id:
        return WAIT
    session.map_message(message["id"], server_id)
    session.state.clear_attempt(key)
    return DONE


def message_batch(session: SyncSession, entries: list[Any], start: int, owner: str) -> list[Any]:
    """The run of `owner`'s messages from `start` that can go as one batch ([] when batches cannot help)."""
    caps = session.client.capabilities
    if not caps.honours_idempotency_keys or caps.message_batches is False:
        return []  # a legacy server (or an older project server) takes one message per request
    end = start
    while (end < len(entries) and end - start < MESSAGE_BATCH
           and entry_field(entries[end], "kind") == "send_message" and entry_owner(session, entries[end]) == owner):
        end += 1
    return entries[start:end] if end - start > 1 else []


def send_message_batch(session: SyncSession, batch: list[Any], owner: str) -> list[RequestRejected | None]:
    """Sends a batch of `owner`'s messages in one request; the server's refusal per entry (None: sent)."""
    messages = session.store.collection("messages")
    docs = [messages.get(entry_field(entry, "payload")["message_id"]) for entry in batch]
    unsent = [doc for doc in docs if doc is not None and not doc.get("server_id")]
    if not unsent:
        return [None] * len(batch)
    # The local id is the idempotency key: a batch repeated after a lost answer creates nothing new.
    answers = session.call_as(owner, lambda c: c.send_messages(
        [{"sender": d["sender"], "receiver": d["receiver"], "message": d["message"], "client_message_id": d["id"]}
         for d in unsent]))
    session.map_messages([(doc["id"], answer.message_id) for doc, answer in zip(unsent, answers, strict=True)
                         if answer.message_id])
    refusals = {doc["id"]: answer.error for doc, answer in zip(unsent, answers, strict=True)}
    for entry in batch:
        session.state.clear_attempt(entry_field(entry, "key"))  # left by a send before the server kind was known
    return [refusals.get(doc["id"]) if doc is not None else None for doc in docs]


def _fl_upload(session: SyncSession, ctx: SyncPass, entry: Any, owner: str) -> str:
    payload = entry_field(entry, "payload")
    fl_state = session.store.collection("fl_state")
    update = fl_state.get(payload["update_id"])
    if update is None or update.get("uploaded_at"):
        return DONE
    npz = session.store.blobs.get(update.get("npz_hash") or update.get("blob"))
    try:
        session.call_as(owner, lambda c: c.upload_weights_npz(
            owner, npz, num_examples=int(update.get("num_examples") or 0),
            base_version=update.get("base_version"), update_id=payload["update_id"],
        ))
    except RequestRejected as exc:
        if not session.client.capabilities.legacy and exc.code != "missing":
            raise
        # A legacy server only takes a JSON array of numbers.
        session.call_as(owner, lambda c: c.upload_weights_json(owner, _npz_as_flat_list(npz)))
    fl_state.put(payload["update_id"], {**update, "uploaded_at": session.now_ms()})
    return DONE


def _npz_as_flat_list(npz: bytes) -> list[float]:
    import numpy as np

    from desktop_app.core.federated.npz_format import load_npz

    arrays, _meta = load_npz(npz)  # the metadata entry is text, not weights
    return [float(x) for name in sorted(arrays) for x in np.ravel(arrays[name])]


def _register_account(session: SyncSession, ctx: SyncPass, entry: Any, owner: str) -> str:
    # The password is never kept, so the account reaches the server at its next sign-in.
    return WAIT


_HANDLERS = {
    "create_report": _create_report,
    "review_report": _review_report,
    "send_message": _send_message,
    "fl_upload": _fl_upload,
    "register_account": _register_account,
}
