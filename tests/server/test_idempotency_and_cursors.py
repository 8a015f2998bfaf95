"""Retries with a client id create nothing new; `since` cursors return exactly what changed."""

from __future__ import annotations

from server.app import state_of


def test_predict_retry_with_client_report_id_creates_one_report(api, app):
    first = api.predict("alice", client_report_id="local-42")
    again = api.predict("alice", client_report_id="local-42")
    assert first.status_code == again.status_code == 200
    assert first.json["report_id"] == again.json["report_id"]
    assert first.json["created"] is True and again.json["created"] is False
    assert state_of(app).storage.counts()["reports"] == 1
    # The same client id from another patient is their own, separate report.
    assert api.predict("bert", client_report_id="local-42").json["report_id"] != first.json["report_id"]


def test_device_result_is_kept(api):
    answer = api.predict("alice", prediction={"label": "Pituitary tumor", "label_key": "pituitary",
                                              "confidence": 0.77, "probabilities": {"Pituitary tumor": 0.77},
                                              "is_brain_mri": True, "model_version": "head-v3"},
                         timestamp=1_764_355_200_000)
    record = api.post("/list_reports", {"username": "alice"}, as_="alice").json["reports"][0]
    assert record["report"]["label"] == "Pituitary tumor" and record["report"]["model_version"] == "head-v3"
    assert record["timestamp"] == 1_764_355_200_000 and record["source"] == "device"
    assert answer.json["label_key"] == "pituitary"


def test_an_abstention_travels_with_the_report_to_every_list(api):
    """A scan the device's model could not judge stays marked for the doctor on any device."""
    api.predict("alice", prediction={"label": "No Tumor", "label_key": "notumor", "confidence": 0.6,
                                     "is_brain_mri": True, "abstained": True})
    api.predict("alice")
    for body in ({"username": "alice"}, {"username": "alice", "since": "0"}):  # whole list and cursor page
        flags = [r["report"]["abstained"] for r in api.post("/list_reports", body, as_="dr_bob").json["reports"]]
        assert sorted(flags) == [False, True], body
    bad = api.predict("alice", prediction={"label": "Glioma", "is_brain_mri": True, "abstained": "yes"})
    assert bad.status_code == 400 and bad.json["field"] == "prediction.abstained"


def test_device_result_that_is_not_an_mri_is_refused(api, app):
    answer = api.predict("alice", prediction={"label": "No Tumor", "confidence": 0.5, "is_brain_mri": False})
    assert answer.status_code == 422 and answer.json["error"] == "not_brain_mri"
    assert state_of(app).storage.counts()["reports"] == 0


def test_send_message_retry_creates_one_message(api, app):
    body = {"sender": "alice", "receiver": "dr_bob", "message": "Is my scan ok?", "client_message_id": "m-1"}
    first = api.post("/send_message", body, as_="alice").json
    second = api.post("/send_message", body, as_="alice").json
    assert first["message_id"] == second["message_id"] and second["created"] is False
    assert state_of(app).storage.counts()["messages"] == 1


def test_review_retry_with_client_review_id_is_applied_once(api, app):
    report_id = api.predict("alice", client_report_id="local-7").json["report_id"]
    body = {"report_id": report_id, "action": "approve", "doctor_notes": "Benign.", "client_review_id": "rev-1"}
    first = api.post("/doctor_update_report", body, as_="dr_bob").json
    again = api.post("/doctor_update_report", body, as_="dr_bob").json
    assert (first["status"], first["message"]) == (again["status"], again["message"]) == ("ok", "report_updated")
    assert first["applied"] is True and again["applied"] is False
    assert again["report"]["reviewed_at"] == first["report"]["reviewed_at"]
    assert [row["action"] for row in state_of(app).storage.report_audit(report_id)] == ["created", "approve"]
    # Another review is another key: applied and audited.
    body.update(action="save", doctor_notes="Benign; follow up in a year.", client_review_id="rev-2")
    assert api.post("/doctor_update_report", body, as_="dr_bob").json["applied"] is True
    # Without a key (a legacy client) every request is a review of its own, as before.
    del body["client_review_id"]
    api.post("/doctor_update_report", body, as_="dr_bob")
    assert [row["action"] for row in state_of(app).storage.report_audit(report_id)] == ["created", "approve", "save", "save"]


def test_npz_upload_retry_creates_one_update(api, app):
    import io

    from tests.server.conftest import head_npz

    def upload():
        return api.client.post("/upload_weights", headers=api.headers("dr_bob"), content_type="multipart/form-data",
                               data={"username": "dr_bob", "num_examples": "9", "client_update_id": "u-1",
                                     "weights": (io.BytesIO(head_npz(0.3)), "update.npz")})

    first, second = upload(), upload()
    assert first.status_code == second.status_code == 200
    assert first.json["update_id"] == second.json["update_id"]
    assert len(state_of(app).storage.updates_for_round(1)) == 1


def test_report_cursor_returns_only_changes(api):
    first = api.predict("alice").json["report_id"]
    page = api.post("/list_reports", {"username": "alice", "since": "0"}, as_="alice").json
    assert [r["id"] for r in page["reports"]] == [first] and page["cursor"] == page["next_since"]
    cursor = page["cursor"]
    assert api.post("/list_reports", {"username": "alice", "since": cursor}, as_="alice").json["reports"] == []
    second = api.predict("alice").json["report_id"]
    api.predict("bert")  # someone else's change is not alice's business
    page = api.post("/list_reports", {"username": "alice", "since": cursor}, as_="alice").json
    assert [r["id"] for r in page["reports"]] == [second]
    cursor = page["cursor"]
    api.post("/doctor_update_report", {"report_id": first, "action": "approve"}, as_="dr_bob")
    page = api.post("/list_reports", {"username": "alice", "since": cursor}, as_="alice").json
    assert [(r["id"], r["status"]) for r in page["reports"]] == [(first, "approved")]
    # Integer cursors work too; a doctor's "all" feed sees every change.
    assert len(api.post("/list_reports", {"username": "all", "since": 0}, as_="dr_bob").json["reports"]) == 3


def test_report_cursor_pages(api, app):
    state_of(app).config.page_size = 2
    ids = [api.predict("alice").json["report_id"] for _ in range(5)]
    seen, cursor = [], "0"
    while True:
        page = api.post("/list_reports", {"username": "alice", "since": cursor}, as_="alice").json
        seen += [r["id"] for r in page["reports"]]
        cursor = page["cursor"]
        if not page["has_more"]:
            break
    assert seen == ids


def test_message_cursor(api):
    def send(sender, receiver, text):
        api.post("/send_message", {"sender": sender, "receiver": receiver, "message": text}, as_=sender)

    send("alice", "dr_bob", "one")
    page = api.post("/get_messages", {"user1": "alice", "user2": "dr_bob", "since": "0"}, as_="alice").json
    assert [m["message"] for m in page["messages"]] == ["one"]
    send("dr_bob", "alice", "two")
    send("bert", "dr_bob", "elsewhere")
    page = api.post("/get_messages", {"user1": "alice", "user2": "dr_bob", "since": page["cursor"]},
                    as_="dr_bob").json
    assert [m["message"] for m in page["messages"]] == ["two"]
    inbox = api.post("/get_inbox", {"since": "0"}, as_="dr_bob").json
    assert [m["message"] for m in inbox["messages"]] == ["one", "two", "elsewhere"]


def test_bad_cursor_is_a_clear_4xx(api):
    for since in ("abc", -1, 1.5, True, {"x": 1}):
        answer = api.post("/list_reports", {"username": "alice", "since": since}, as_="alice")
        assert answer.status_code == 400 and answer.json == {"error": "invalid_cursor"}
