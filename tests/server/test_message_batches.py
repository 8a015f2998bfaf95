"""`POST /send_messages`: a device's backlog in one request, with the checks of /send_message, once only."""

from __future__ import annotations

from server.app import state_of
from server.routes.chat import MAX_BATCH_MESSAGES


def _batch(sender: str, receiver: str, count: int, prefix: str = "m") -> list[dict]:
    return [{"sender": sender, "receiver": receiver, "message": f"{prefix} {i}", "client_message_id": f"{prefix}-{i}"}
            for i in range(count)]


def _conversation(api, user: str, peer: str) -> list[dict]:
    return api.post("/get_messages", {"user1": user, "user2": peer}, as_=user).json["messages"]


def test_batch_is_stored_in_order_with_one_id_each(api, app):
    answer = api.post("/send_messages", {"messages": _batch("alice", "dr_bob", 40)}, as_="alice")
    assert answer.status_code == 200 and answer.json["success"] is True
    results = answer.json["results"]
    assert [r["created"] for r in results] == [True] * 40
    stored = _conversation(api, "dr_bob", "alice")
    assert [m["message"] for m in stored] == [f"m {i}" for i in range(40)]
    assert [m["id"] for m in stored] == [r["message_id"] for r in results]
    # Stamps rise with the order, so a client sorting by time (ms) keeps it too.
    stamps = [int(m["timestamp"] * 1000) for m in stored]
    assert stamps == sorted(set(stamps))
    assert state_of(app).storage.counts()["messages"] == 40


def test_replayed_batch_creates_nothing_and_returns_the_same_ids(api, app):
    messages = _batch("alice", "dr_bob", 5)
    first = api.post("/send_messages", {"messages": messages}, as_="alice").json["results"]
    # The answer was lost; the device sends the batch again, with two new messages after it.
    again = api.post("/send_messages", {"messages": messages + _batch("alice", "dr_bob", 2, "new")},
                     as_="alice").json["results"]
    assert [r["message_id"] for r in again[:5]] == [r["message_id"] for r in first]
    assert [r["created"] for r in again] == [False] * 5 + [True] * 2
    # A single send of an id the batch used is the same message too.
    single = api.post("/send_message", messages[0], as_="alice").json
    assert single["message_id"] == first[0]["message_id"] and single["created"] is False
    assert state_of(app).storage.counts()["messages"] == 7
    assert [m["message"] for m in _conversation(api, "alice", "dr_bob")][-2:] == ["new 0", "new 1"]


def test_a_repeated_client_id_inside_one_batch_is_one_message(api, app):
    twice = _batch("alice", "dr_bob", 1) * 2
    results = api.post("/send_messages", {"messages": twice}, as_="alice").json["results"]
    assert results[0]["message_id"] == results[1]["message_id"]
    assert [r["created"] for r in results] == [True, False]
    assert state_of(app).storage.counts()["messages"] == 1


def test_each_item_is_checked_like_a_single_send(api, app):
    items = [
        {"sender": "alice", "receiver": "dr_bob", "message": "fine", "client_message_id": "a"},
        {"sender": "bert", "receiver": "dr_bob", "message": "as someone else", "client_message_id": "b"},
        {"sender": "alice", "receiver": "bert", "message": "to another patient", "client_message_id": "c"},
        {"sender": "alice", "receiver": "nobody", "message": "to no one", "client_message_id": "d"},
        {"sender": "alice", "receiver": "dr_bob", "message": "", "client_message_id": "e"},
        {"sender": "alice", "receiver": "dr_bob", "message": "no key"},
        "not an object",
        {"sender": "alice", "receiver": "dr_admin", "message": "another doctor is fine", "client_message_id": "f"},
    ]
    results = api.post("/send_messages", {"messages": items}, as_="alice").json["results"]
    assert [r.get("error") for r in results] == [
        None, "forbidden", "forbidden", "unknown_receiver", "missing_fields", "client_message_id_required",
        "invalid_json", None]
    assert [r.get("status") for r in results][1:4] == [403, 403, 400]
    # What /send_message refuses for the same items, it refuses alike.
    for item, result in zip(items[1:4], results[1:4], strict=True):
        single = api.post("/send_message", item, as_="alice")
        assert (single.status_code, single.json["error"]) == (result["status"], result["error"])
    assert [m["message"] for m in _conversation(api, "alice", "dr_bob")] == ["fine"]
    assert state_of(app).storage.counts()["messages"] == 2
    # A doctor may write to a patient.
    doctor = api.post("/send_messages", {"messages": _batch("dr_bob", "alice", 2)}, as_="dr_bob").json
    assert all("message_id" in r for r in doctor["results"])


def test_batch_needs_a_token_and_a_list_of_bounded_size(api, app):
    batch = {"messages": _batch("alice", "dr_bob", 2)}
    assert api.post("/send_messages", batch).status_code == 401
    bad_token = api.client.post("/send_messages", json=batch, headers={"Authorization": "Bearer nope"})
    assert bad_token.status_code == 401 and bad_token.json["error"] == "invalid_token"
    for body in ({}, {"messages": []}, {"messages": "text"}, {"messages": {"sender": "alice"}}):
        refused = api.post("/send_messages", body, as_="alice")
        assert (refused.status_code, refused.json["error"]) == (400, "messages_required")
    too_many = api.post("/send_messages", {"messages": _batch("alice", "dr_bob", MAX_BATCH_MESSAGES + 1)},
                        as_="alice")
    assert too_many.status_code == 413
    assert too_many.json == {"error": "too_many_messages", "limit": MAX_BATCH_MESSAGES}
    assert state_of(app).storage.counts()["messages"] == 0
    full = api.post("/send_messages", {"messages": _batch("alice", "dr_bob", MAX_BATCH_MESSAGES)}, as_="alice")
    assert full.status_code == 200 and len(full.json["results"]) == MAX_BATCH_MESSAGES


def test_batches_and_single_sends_interleave_in_arrival_order(api):
    api.post("/send_messages", {"messages": _batch("alice", "dr_bob", 3, "first")}, as_="alice")
    api.post("/send_message", {"sender": "dr_bob", "receiver": "alice", "message": "reply"}, as_="dr_bob")
    api.post("/send_messages", {"messages": _batch("alice", "dr_bob", 2, "second")}, as_="alice")
    stored = _conversation(api, "alice", "dr_bob")
    assert [m["message"] for m in stored] == ["first 0", "first 1", "first 2", "reply", "second 0", "second 1"]
    stamps = [m["timestamp"] for m in stored]
    assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps)
