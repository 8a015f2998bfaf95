"""Chat between a patient and doctors: idempotent sends, conversations with an optional cursor."""

from __future__ import annotations

import functools
import time
import uuid
from typing import Any

from flask import Blueprint, jsonify

from server import auth
from server.errors import ApiError
from server.routes import state, wire_answer
from server.storage import conversation_key as pair_key
from server.storage.wire import MESSAGE_FIELDS
from server.validation import cursor, json_body, name, text

blueprint = Blueprint("chat", __name__)


def message_wire(row: dict[str, Any]) -> dict[str, Any]:
    return {k: row[k] for k in MESSAGE_FIELDS}


def _page(rows: list[dict[str, Any]], since: int | None, limit: int | None):
    next_cursor = str(rows[-1]["seq"] if rows else (since or 0))
    return jsonify(messages=[message_wire(r) for r in rows], cursor=next_cursor, next_since=next_cursor,
                   has_more=bool(limit and len(rows) >= limit))


MAX_BATCH_MESSAGES = 500  # per /send_messages request; an offline backlog is sent in several


def checked_message(body: Any, caller: auth.Caller | None = None, get_user=None) -> dict[str, Any]:
    """One message's fields and permission checks (the single and the batch send share them);
    the record to store, or ApiError. Without `caller` the message's sender must be the one signed in."""
    st = state()
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_json")
    sender = name(body, "sender", required=True, missing="missing_fields")
    receiver = name(body, "receiver", required=True, missing="missing_fields")
    message = text(body, "message", max_len=st.config.max_message_chars, required=True, missing="missing_fields")
    client_message_id = text(body, "client_message_id", max_len=100)
    if caller is None:
        caller = auth.require_caller(legacy_name=sender)
    if sender != caller.username:
        raise ApiError(403, "forbidden")  # nobody writes in someone else's name
    peer = (get_user or st.storage.get_user)(receiver)
    if peer is None or receiver == sender:
        raise ApiError(400, "unknown_receiver")
    if not caller.is_doctor and peer["role"] != "doctor":
        raise ApiError(403, "forbidden")  # patients talk to doctors, not to other patients
    return {
        "id": str(uuid.uuid4()), "pair": pair_key(sender, receiver), "sender": sender, "receiver": receiver,
        "message": message, "timestamp": round(time.time(), 3), "client_message_id": client_message_id,
    }


@blueprint.post("/send_message")
def send_message():
    row, created = state().storage.add_message(checked_message(json_body()))
    return jsonify(success=True, message_id=row["id"], timestamp=row["timestamp"], created=created)


@blueprint.post("/send_messages")
def send_messages():
    """Many messages in one request and one transaction (a device's offline backlog), in order.

    Each item is checked like /send_message and needs a `client_message_id`, so a repeat after a
    lost answer stores nothing new and returns the same ids. A refused item does not stop the rest.
    """
    body = json_body()
    caller = auth.require_caller()  # always a token: no legacy client ever sends batches
    items = body.get("messages")
    if not isinstance(items, list) or not items:
        raise ApiError(400, "messages_required")
    if len(items) > MAX_BATCH_MESSAGES:
        raise ApiError(413, "too_many_messages", limit=MAX_BATCH_MESSAGES)
    users = functools.cache(state().storage.get_user)  # a backlog names the same few people
    results: list[dict[str, Any] | None] = [None] * len(items)
    records, positions = [], []
    for index, item in enumerate(items):
        try:
            record = checked_message(item, caller, users)
            if not record["client_message_id"]:
                raise ApiError(400, "client_message_id_required")
        except ApiError as exc:
            results[index] = {"error": exc.code, "status": exc.status, **exc.extra}
            continue
        records.append(record)
        positions.append(index)
    for index, (row, created) in zip(positions, state().storage.add_messages(records), strict=True):
        results[index] = {"message_id": row["id"], "timestamp": row["timestamp"], "created": created}
    return jsonify(success=True, results=results)


@blueprint.post("/get_messages")
def get_messages():
    body = json_body()
    user1, user2 = name(body, "user1"), name(body, "user2")
    caller = auth.require_caller(legacy_name=user1)
    since = cursor(body)
    if not (user1 and user2):
        return _page([], since, None)  # the legacy answer for a missing user: an empty list
    if caller.username not in (user1, user2):
        raise ApiError(403, "forbidden")
    limit = state().config.page_size if since is not None else None
    return wire_answer("messages", state().storage.messages_wire(pair_key(user1, user2), since=since, limit=limit),
                       since, limit)


@blueprint.post("/get_inbox")
def get_inbox():
    """Every message to or from the caller after `since`: how a doctor learns of a new conversation."""
    body = json_body()
    caller = auth.require_caller()
    since = cursor(body)
    limit = state().config.page_size
    rows = state().storage.messages_of(caller.username, since=since, limit=limit)
    return _page(rows, since, limit)
