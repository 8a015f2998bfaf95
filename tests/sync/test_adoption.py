"""A report pulled before our own send's answer arrived: the doctor's decision reaches the patient's original."""

from __future__ import annotations

from desktop_app.core.sync.wire import report_from_wire
from devkit.sync_scenario import PASSWORDS, Device, add_offline_reports
from tests.sync.test_faults import _doctor, _patient


def test_approval_of_a_report_whose_answer_was_lost_twice_reaches_the_patient(devices, project_proxy):
    patient = _patient(devices, project_proxy.url)
    doctor = _doctor(devices, project_proxy.url, "doctor")
    assert patient.sync().ok  # the server has shown it honours idempotency keys
    original = add_offline_reports(patient.app, "alice", 1)[0]
    patient.app.sync.client.backoff_base = 0.01
    tries = 1 + patient.app.sync.client.max_retries  # a keyed create is retried within a pass
    project_proxy.inject("reset_after_commit", "/predict", count=2 * tries)
    patient.sync()  # the report reaches the server; the answer is lost
    patient.sync()  # the pull meets the server's record; the resend's answer is lost again
    assert [r["id"] for r in patient.docs("reports")] == [original["id"]], "recognised, not shown twice"
    assert doctor.sync().reports_pulled == 1
    on_desk = doctor.app.reports.queue("pending")[0]
    doctor.app.reports.review(on_desk["id"], "dr_bob", "approve", "Benign; see you in a year.")
    assert doctor.sync().ok

    patient.sync()  # the approved copy is pulled, then the resend's answer finally arrives
    reports = patient.docs("reports")
    assert [r["id"] for r in reports] == [original["id"]], "one report, the patient's own"
    mine = reports[0]
    assert (mine["status"], mine["doctor_notes"], mine["reviewed_by"]) == ("approved", "Benign; see you in a year.", "dr_bob")
    assert mine["image_hash"] == original["image_hash"] and mine["label"] == original["label"]
    assert [a["action"] for a in mine["audit"]].count("synced") == 1
    reviewed = [n for n in patient.app.notifications.for_user("alice") if n["kind"] == "report_reviewed"]
    assert [n["ref"] for n in reviewed] == [original["id"]], "the notification opens the patient's report"
    assert patient.sync().reports_pulled == 0  # nothing left to fetch, nothing lost
    assert project_proxy.faults_seen("reset_after_commit") >= tries  # (a server that echoes client ids needs no resend)


def test_a_copy_with_a_decision_and_a_queued_review_folds_into_the_original(devices, project_server):
    """What an older server (that does not echo client ids) leaves: the copy lives until the id arrives."""
    patient = _patient(devices, project_server)
    original = add_offline_reports(patient.app, "alice", 1)[0]
    record = {"id": "srv-1", "username": "alice", "status": "rejected", "doctor_notes": "Motion; rescan.",
              "reviewed_by": "dr_bob", "reviewed_at": 5, "reject_reason": "poor image", "report": {"label": "Glioma"}}
    copy_doc = report_from_wire(record, doctor="dr_bob", now_ms=10)
    copy_doc["audit"].append({"at": 11, "by": "dr_bob", "action": "synced", "status": "rejected", "notes": ""})
    app = patient.app
    app.store.collection("reports").put("srv-1", copy_doc)
    app.sync.session.report_ids.remember("srv-1", "srv-1")
    app.notifications.add("alice", "report_reviewed", "Your scan has been reviewed", "...", ref="srv-1")

    app.sync.session.map_report(original["id"], "srv-1")

    reports = app.store.collection("reports")
    assert reports.get("srv-1") is None
    mine = reports.get(original["id"])
    assert (mine["server_id"], mine["status"], mine["reject_reason"]) == ("srv-1", "rejected", "poor image")
    assert mine["label"] == original["label"] and mine["image_hash"] == original["image_hash"]
    assert [a["action"] for a in mine["audit"]] == ["created", "synced"]
    assert [n["ref"] for n in app.notifications.for_user("alice")] == [original["id"]]


def test_a_copy_left_by_a_crash_is_folded_at_the_next_pass(devices, project_server):
    patient = _patient(devices, project_server)
    original = add_offline_reports(patient.app, "alice", 1)[0]
    assert patient.sync().ok
    server_id = patient.app.store.collection("reports").get(original["id"])["server_id"]
    data_dir = patient.data_dir
    # The original was written with its server id, then the app died before the copy was removed.
    copy_doc = report_from_wire({"id": server_id, "username": "alice", "status": "pending"}, doctor="dr_bob", now_ms=1)
    patient.app.store.collection("reports").put(server_id, copy_doc)
    patient.close()
    again = Device(data_dir, project_server)
    try:
        again.app.accounts.login("alice", PASSWORDS["patient"])
        assert again.sync().ok
        assert [r["id"] for r in again.docs("reports")] == [original["id"]]
    finally:
        again.close()
