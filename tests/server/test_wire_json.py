"""Whole-list polls answer with JSON the database writes: the same values as the row-by-row wire shapes."""

from __future__ import annotations

import json
import uuid

from server.app import state_of
from server.routes.chat import message_wire
from server.routes.reports import report_wire
from server.storage import conversation_key

AWKWARD_TEXT = 'quote " backslash \\ tab \t newline \n bell \x07 accents éü emoji 🧠 </script>'
AWKWARD_FLOATS = [0.1 + 0.2, 0.9123456789012345, 0.93, 1.0, 1e-07, None]


def seed_awkward_records(storage) -> None:
    """Reports and messages holding every kind of value the wire carries, stored as the routes store them."""
    for index, confidence in enumerate(AWKWARD_FLOATS):
        storage.create_report({
            "id": str(uuid.uuid4()), "username": "alice", "doctor": "dr_bob" if index % 2 else None,
            "timestamp": 1_764_355_200_123 + index, "status": ("pending", "approved", "rejected")[index % 3],
            "doctor_notes": AWKWARD_TEXT if index % 2 else "", "label": "Glioma" if index != 3 else None,
            "label_key": "glioma" if index != 3 else None, "confidence": confidence,
            "probabilities": json.dumps({"Glioma": confidence or 0.0, "No Tumor": 0.25}) if index % 3 else None,
            "is_brain_mri": (True, False, None)[index % 3], "model_version": "tumornet-1.2+global-3",
            "notes": AWKWARD_TEXT, "source": ("server", "device", "legacy")[index % 3],
            "image_hash": ("ab" * 32, "", None)[index % 3], "client_report_id": None, "created_by": "alice",
            "updated_at": 1_764_355_299_000 + index,
        }, {"at": 0, "by": "alice", "action": "created", "status": "pending", "notes": "", "label": None})
    pair = conversation_key("alice", "dr_bob")
    stamps = [1_764_355_200.0, 1_764_355_200.123, 1_764_355_200.1234567, 0.1 + 0.2, 17.0]
    for index, stamp in enumerate(stamps):
        storage.add_message({"id": str(uuid.uuid4()), "pair": pair, "sender": ("alice", "dr_bob")[index % 2],
                             "receiver": ("dr_bob", "alice")[index % 2], "message": f"{AWKWARD_TEXT} #{index}",
                             "timestamp": stamp, "client_message_id": None}, rising_stamps=False)


def test_report_lists_carry_the_same_values_as_the_row_by_row_shape(app, api):
    storage = state_of(app).storage
    seed_awkward_records(storage)
    for body, as_ in (({"username": "alice"}, "alice"), ({"username": "all"}, "dr_bob"),
                      ({"username": "pending"}, "dr_bob"), ({"username": "alice", "since": "2"}, "alice"),
                      ({"username": "bert"}, "bert")):
        answer = api.post("/list_reports", body, as_=as_)
        assert answer.status_code == 200 and answer.mimetype == "application/json"
        who = body["username"]
        rows = storage.list_reports(username=None if who in ("all", "pending") else who,
                                    status="pending" if who == "pending" else None,
                                    since=int(body["since"]) if "since" in body else None)
        cursor = str(rows[-1]["seq"]) if rows else body.get("since", "0")
        expected = {"reports": [report_wire(r) for r in rows], "cursor": cursor, "next_since": cursor,
                    "has_more": False}
        assert answer.get_json() == expected
        assert list(answer.get_json()) == list(expected)  # and in the same order of keys
    floats = [r["report"]["confidence"] for r in api.post("/list_reports", {"username": "alice"}, as_="alice").get_json()["reports"]]
    assert floats == AWKWARD_FLOATS  # every double comes back bit for bit


def test_conversations_carry_the_same_values_as_the_row_by_row_shape(app, api):
    storage = state_of(app).storage
    seed_awkward_records(storage)
    pair = conversation_key("alice", "dr_bob")
    for body in ({"user1": "alice", "user2": "dr_bob"}, {"user1": "dr_bob", "user2": "alice", "since": "0"},
                 {"user1": "alice", "user2": "dr_bob", "since": "99"}):
        answer = api.post("/get_messages", body, as_="alice")
        assert answer.status_code == 200
        rows = storage.list_messages(pair, since=int(body["since"]) if "since" in body else None)
        cursor = str(rows[-1]["seq"]) if rows else body.get("since", "0")
        assert answer.get_json() == {"messages": [message_wire(r) for r in rows], "cursor": cursor,
                                     "next_since": cursor, "has_more": False}
    messages = api.post("/get_messages", {"user1": "alice", "user2": "dr_bob"}, as_="alice").get_json()["messages"]
    assert [m["timestamp"] for m in messages] == [1_764_355_200.0, 1_764_355_200.123, 1_764_355_200.1234567,
                                                  0.1 + 0.2, 17.0]
    assert messages[2]["message"] == f"{AWKWARD_TEXT} #2"


def test_a_full_page_says_there_is_more(tmp_path, database_url):
    from server.app import create_app
    from tests.server.conftest import Api, server_config

    app = create_app(server_config(tmp_path, database_url, page_size=3))
    api = Api(app.test_client())
    api.register("dr_bob", role="doctor")
    api.register("alice")
    api.login("alice")
    seed_awkward_records(state_of(app).storage)
    first = api.post("/list_reports", {"username": "alice", "since": "0"}, as_="alice").get_json()
    assert len(first["reports"]) == 3 and first["has_more"] is True
    rest = api.post("/list_reports", {"username": "alice", "since": first["cursor"]}, as_="alice").get_json()
    assert len(rest["reports"]) == 3 and rest["has_more"] is True
    last = api.post("/list_reports", {"username": "alice", "since": rest["cursor"]}, as_="alice").get_json()
    assert last == {"reports": [], "cursor": rest["cursor"], "next_since": rest["cursor"], "has_more": False}
    chat = api.post("/get_messages", {"user1": "alice", "user2": "dr_bob", "since": "0"}, as_="alice").get_json()
    assert len(chat["messages"]) == 3 and chat["has_more"] is True
    state_of(app).storage.close()


def test_a_database_from_before_stored_message_json_is_upgraded_and_its_old_rows_still_served(tmp_path, database_url):
    from sqlalchemy import text

    from server.app import create_app
    from server.storage import Storage
    from tests.server.conftest import Api, server_config

    config = server_config(tmp_path, database_url)
    app = create_app(config)
    api = Api(app.test_client())
    api.register("dr_bob", role="doctor")
    api.register("alice")
    api.login("alice")
    storage = state_of(app).storage
    seed_awkward_records(storage)
    expected = api.post("/get_messages", {"user1": "alice", "user2": "dr_bob"}, as_="alice").get_json()
    storage.close()
    with Storage.open(database_url).engine.begin() as conn:  # the table as an older version made it
        conn.execute(text("ALTER TABLE messages DROP COLUMN wire"))

    app = create_app(config)  # opening the database adds the column; the old rows keep it empty
    api = Api(app.test_client())
    api.login("alice")
    storage = state_of(app).storage
    with storage.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM messages WHERE wire IS NULL")).scalar() == 5
    assert api.post("/get_messages", {"user1": "alice", "user2": "dr_bob"}, as_="alice").get_json() == expected
    api.post("/send_message", {"sender": "alice", "receiver": "dr_bob", "message": "new one"}, as_="alice")
    mixed = api.post("/get_messages", {"user1": "alice", "user2": "dr_bob"}, as_="alice").get_json()["messages"]
    assert mixed[:5] == expected["messages"] and mixed[5]["message"] == "new one"
    assert mixed == [message_wire(r) for r in storage.list_messages(conversation_key("alice", "dr_bob"))]
    storage.close()
