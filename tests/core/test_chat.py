"""Chat on a real store: queued sending, ordering, unread counts, read marks, retry."""

import pytest

from desktop_app.core.accounts import AccessDenied
from desktop_app.core.chat import ChatError
from tests.core.conftest import PASSWORD, setup_clinic, sign_in
from tests.helpers.chat_race import queued_message_ids, send_racing


def test_sending_saves_at_once_and_queues_for_sync(app):
    setup_clinic(app)
    message = app.chat.send("alice", "dr_bob", "  I have a question about my scan.  ")
    assert message["state"] == "sending" and message["message"] == "I have a question about my scan."
    assert app.store.collection("messages").get(message["id"]) == message
    assert [(e.kind, e.payload) for e in app.store.outbox.pending()][-1] == ("send_message", {"message_id": message["id"]})


def test_conversation_order_unread_counts_and_read_marks(app, clock):
    setup_clinic(app)
    first = app.chat.send("alice", "dr_bob", "Hello doctor")
    clock.advance(5)
    sign_in(app, "dr_bob")
    reply = app.chat.send("dr_bob", "alice", "Hello Alice, how can I help?")
    clock.advance(5)
    sign_in(app, "alice")
    second = app.chat.send("alice", "dr_bob", "When will my result be reviewed?")
    assert [m["id"] for m in app.chat.conversation("alice", "dr_bob")] == [first["id"], reply["id"], second["id"]]
    assert app.chat.unread_count("alice") == 1
    [row] = app.chat.conversations("alice")
    assert (row["peer"], row["last"]["id"], row["unread"]) == ("dr_bob", second["id"], 1)
    assert app.chat.mark_read("alice", "dr_bob") == 1
    assert app.chat.unread_count("alice") == 0
    sign_in(app, "dr_bob")
    assert app.chat.unread_count("dr_bob") == 2
    assert app.chat.conversations("dr_bob")[0]["unread"] == 2


def test_only_participants_read_and_patients_write_to_doctors(app):
    setup_clinic(app)
    app.chat.send("alice", "dr_bob", "Private question")
    app.accounts.logout()
    app.accounts.register("carol", "carol@example.org", PASSWORD, "patient", doctor="dr_bob")
    with pytest.raises(AccessDenied):
        app.chat.conversation("alice", "dr_bob")
    with pytest.raises(AccessDenied):
        app.chat.send("alice", "dr_bob", "pretending to be alice")
    with pytest.raises(ChatError, match="doctors only"):
        app.chat.send("carol", "alice", "hi")
    with pytest.raises(ChatError, match="no one called"):
        app.chat.send("carol", "dr_nobody", "hi")
    with pytest.raises(ChatError, match="Type a message"):
        app.chat.send("carol", "dr_bob", "   ")


def test_only_failed_messages_are_retried_by_their_sender(app):
    setup_clinic(app)
    message = app.chat.send("alice", "dr_bob", "Are you there?")
    with pytest.raises(ChatError, match="failed"):
        app.chat.retry(message["id"])
    docs = app.store.collection("messages")
    docs.put(message["id"], {**docs.get(message["id"]), "state": "failed"})  # what sync records on a refusal
    retried = app.chat.retry(message["id"])
    assert retried["state"] == "sending" and docs.get(message["id"])["state"] == "sending"
    sends = [e for e in app.store.outbox.pending() if e.kind == "send_message"]
    assert [e.payload["message_id"] for e in sends] == [message["id"], message["id"]]


def _assert_kept_in_send_order(app, sent: list[dict]) -> None:
    ids = [m["id"] for m in sent]
    assert queued_message_ids(app.store.outbox) == ids
    shown = app.chat.conversation("alice", "dr_bob")
    assert [m["id"] for m in shown] == ids
    stamps = [m["timestamp"] for m in shown]
    assert all(earlier < later for earlier, later in zip(stamps, stamps[1:], strict=False)), stamps


def test_two_sends_a_millisecond_apart_from_two_threads_keep_their_order(app, clock):
    """The first send is held up between its stamp and the outbox; the second must wait for it."""
    setup_clinic(app)
    sent = send_racing(app, "alice", "dr_bob", before_second=lambda: clock.advance(0.001))
    assert [m["message"] for m in sent] == ["first", "second"]
    _assert_kept_in_send_order(app, sent)


def test_back_to_back_sends_in_one_millisecond_keep_their_order(app):
    """The test clock stands still, as a coarse system clock does between quick sends."""
    setup_clinic(app)
    sent = [app.chat.send("alice", "dr_bob", f"message {i}") for i in range(8)]
    _assert_kept_in_send_order(app, sent)
