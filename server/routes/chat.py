"""Chat between a patient and doctors: idempotent sends, conversations with an optional cursor."""

from __future__ import annotations

import time
import uuid
from typing import Any

from flask import Blueprint, jsonify

from server import auth
from server.errors import ApiError
from server.routes import state
from server.storage import conversation_key as pair_key
from server.validation import cursor, json_body, name, text

blueprint = Blueprint("chat", __name__)


def message_wire(row: dict[str, Any]) -> dict[str, Any]:
    return {"id": row["id"], "sender": row["sender"], "receiver": row["receiver"],
            "message": row["message"], "timestamp": row["timestamp"]}


def _page(rows: list[dict[str, Any]], since: int | None, limit: int | None):
    next_cursor = str(rows[-1]["seq"] if rows else (since or 0))
    return jsonify(messages=[message_wire(r) for r in rows], cursor=next_cursor, next_since=next_cursor,
                   has_more=bool(limit and len(rows) >= limit))


@blueprint.post("/send_message")
def send_message():
    body = json_body()
    st = state()
    sender = name(body, "sender", required=True, missing="missing_fields")
    receiver = name(body, "receiver", required=True, missing="missing_fields")
    message = text(body, "message", max_len=st.config.max_message_chars, required=True, missing="missing_fields")
    caller = auth.require_caller(legacy_name=sender)
    if sender != caller.username:
        raise ApiError(403, "forbidden")  # nobody writes in someone else's name
    peer = st.storage.get_user(receiver)
    if peer is None or receiver == sender:
        raise ApiError(400, "unknown_receiver")
    if not caller.is_doctor and peer["role"] != "doctor":
        raise ApiError(403, "forbidden")  # patients talk to doctors, not to other patients
    record = {
        "id": str(uuid.uuid4()), "pair": pair_key(sender, receiver), "sender": sender, "receiver": receiver,
        "message": message, "timestamp": round(time.time(), 3),
        "client_message_id": text(body, "client_message_id", max_len=100),
    }
    row, created = st.storage.add_message(record)
    return jsonify(success=True, message_id=row["id"], timestamp=row["timestamp"], created=created)


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
    rows = state().storage.list_messages(pair_key(user1, user2), since=since, limit=limit)
    return _page(rows, since, limit)


@blueprint.post("/get_inbox")
def get_inbox():
    """Every message to or from the caller after `since`: how a doctor learns of a new conversation."""
    body = json_body()
    caller = auth.require_caller()
    since = cursor(body)
    limit = state().config.page_size
    rows = state().storage.messages_of(caller.username, since=since, limit=limit)
    return _page(rows, since, limit)
