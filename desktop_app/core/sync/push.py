"""Pushing: one outbox entry to the server through its kind (`outbox_kinds.py`), or a run of one
sender's messages as one batch, exactly once whatever happened to earlier tries."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from desktop_app.core.api_client import RequestRejected
from desktop_app.core.sync.outbox_kinds import SendMessage, entry_field, kind_of

if TYPE_CHECKING:
    from desktop_app.core.sync.session import SyncPass, SyncSession

MESSAGE_BATCH = 250  # messages per /send_messages request (the server takes up to 500)


def send_entry(session: SyncSession, ctx: SyncPass, entry: Any, owner: str) -> str:
    """DONE, or WAIT when the entry depends on something not yet on the server."""
    return kind_of(entry).send(session, ctx, entry, owner)


def message_batch(session: SyncSession, entries: list[Any], start: int, owner: str) -> list[Any]:
    """The run of `owner`'s messages from `start` that can go as one batch ([] when batches cannot help)."""
    caps = session.client.capabilities
    if not caps.honours_idempotency_keys or caps.message_batches is False:
        return []  # a legacy server (or an older project server) takes one message per request
    end = start
    while (end < len(entries) and end - start < MESSAGE_BATCH
           and entry_field(entries[end], "kind") == SendMessage.name
           and kind_of(entries[end]).owner(session, entries[end]) == owner):
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
