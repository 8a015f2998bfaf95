"""Sync against the legacy server (file-based JSON, no ids from /predict, no cursors): nothing lost, nothing twice."""

from __future__ import annotations

import json
import logging

from devkit.sync_scenario import add_offline_messages, add_offline_reports


def _legacy_reports(root) -> list[dict]:
    return [json.loads(p.read_text()) for p in (root / "reports").glob("*.json")]


def _legacy_messages(root) -> list[dict]:
    path = root / "chat_messages.json"
    return json.loads(path.read_text()) if path.exists() else []


def _clinic(devices, url):
    doctor = devices("doctor", url)
    doctor.app.accounts.register("dr_bob", "bob@clinic.example", "doctor-password-1", "doctor")
    patient = devices("patient", url)
    patient.app.accounts.register("alice", "alice@clinic.example", "patient-password-1", "patient", doctor="dr_bob")
    return patient, doctor


def test_offline_work_reaches_the_legacy_server_once(devices, legacy_url, legacy_root):
    patient, _doctor = _clinic(devices, legacy_url)
    made = add_offline_reports(patient.app, "alice", 2)
    add_offline_messages(patient.app, "alice", "dr_bob", 2)

    first = patient.sync()
    assert first.ok and first.sent == {"create_report": 2, "send_message": 2}
    assert patient.app.sync.status.legacy_server and patient.app.sync.status.pending == 0
    for _ in range(3):
        again = patient.sync()
        assert again.ok and again.sent == {} and again.reports_pulled == 0 and again.messages_pulled == 0

    on_server = _legacy_reports(legacy_root)
    assert len(on_server) == 2 and len(_legacy_messages(legacy_root)) == 2
    local = {r["id"]: r for r in patient.docs("reports")}
    assert set(local) == {r["id"] for r in made}
    assert {r["server_id"] for r in local.values()} == {r["id"] for r in on_server}
    # The device keeps the result the patient saw, not the legacy server's demo label.
    assert [local[r["id"]]["label"] for r in made] == [r["label"] for r in made]
    assert all(m["state"] == "sent" and m["server_id"] for m in patient.docs("messages"))


def test_doctor_decision_travels_back_through_the_legacy_server(devices, legacy_url, legacy_root):
    patient, doctor = _clinic(devices, legacy_url)
    add_offline_reports(patient.app, "alice", 2)
    patient.sync()

    pulled = doctor.sync()
    assert pulled.reports_pulled == 2
    queue = doctor.app.reports.queue("pending")
    assert len(queue) == 2
    target = queue[0]
    doctor.app.reports.review(target["id"], "dr_bob", "approve", "No tumour visible; routine follow-up.")
    assert doctor.sync().sent == {"review_report": 1}
    decided = [r for r in _legacy_reports(legacy_root) if r["id"] == target["server_id"]]
    assert decided[0]["status"] == "approved"

    back = patient.sync()
    assert back.reports_pulled == 1
    mine = next(r for r in patient.docs("reports") if r["server_id"] == target["server_id"])
    assert mine["status"] == "approved" and mine["doctor_notes"].startswith("No tumour")
    kinds = [n["kind"] for n in patient.app.notifications.for_user("alice")]
    assert kinds.count("report_reviewed") == 1

    for device in (patient, doctor, patient, doctor):
        assert device.sync().reports_pulled == 0
    assert len(doctor.docs("reports")) == 2 and len(patient.docs("reports")) == 2
    assert len(_legacy_reports(legacy_root)) == 2


def test_messages_both_ways_never_duplicate(devices, legacy_url, legacy_root):
    patient, doctor = _clinic(devices, legacy_url)
    add_offline_reports(patient.app, "alice", 1)  # how a doctor learns of a patient
    add_offline_messages(patient.app, "alice", "dr_bob", 3)
    patient.sync()
    assert doctor.sync().messages_pulled == 3
    add_offline_messages(doctor.app, "dr_bob", "alice", 2)
    doctor.sync()
    assert patient.sync().messages_pulled == 2
    for device in (patient, doctor) * 2:
        device.sync()
    assert len(_legacy_messages(legacy_root)) == 5
    for device in (patient, doctor):
        conversation = device.app.chat.conversation("alice", "dr_bob")
        assert len(conversation) == 5
        assert len({m["server_id"] for m in conversation}) == 5
    assert [n["kind"] for n in patient.app.notifications.for_user("alice")].count("new_message") == 2


def test_lost_predict_answer_is_adopted_not_sent_twice(devices, legacy_proxy, legacy_root, caplog):
    patient, _doctor = _clinic(devices, legacy_proxy.url)
    made = add_offline_reports(patient.app, "alice", 1)
    patient.sync()  # learns the server is legacy
    legacy_proxy.inject("reset_after_commit", "/predict")
    made += add_offline_reports(patient.app, "alice", 1, start=1)

    lost = patient.sync()
    assert lost.error and "could not be reached" in lost.error and lost.waiting == 1
    assert len(_legacy_reports(legacy_root)) == 2  # the server did commit it

    with caplog.at_level(logging.INFO, logger="desktop_app.core.sync"):
        healed = patient.sync()
    assert healed.ok and healed.adopted == 1 and healed.sent == {}
    assert "not sent twice" in caplog.text
    assert len(_legacy_reports(legacy_root)) == 2
    assert {r["server_id"] for r in patient.docs("reports")} == {r["id"] for r in _legacy_reports(legacy_root)}


def test_lost_message_answer_is_adopted_not_sent_twice(devices, legacy_proxy, legacy_root):
    patient, _doctor = _clinic(devices, legacy_proxy.url)
    add_offline_messages(patient.app, "alice", "dr_bob", 1)
    patient.sync()
    legacy_proxy.inject("reset_after_commit", "/send_message")
    add_offline_messages(patient.app, "alice", "dr_bob", 1)
    assert patient.sync().error
    healed = patient.sync()
    assert healed.ok and healed.adopted == 1
    assert len(_legacy_messages(legacy_root)) == 2
    assert len(patient.app.chat.conversation("alice", "dr_bob")) == 2
