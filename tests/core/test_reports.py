"""Reports end to end on a real store: create, who sees what, review with audit, notifications, drafts."""

import pytest

from desktop_app.core import events
from desktop_app.core.accounts import AccessDenied
from desktop_app.core.reports import ReportError
from tests.core.conftest import PASSWORD, make_prediction, scan_bytes, setup_clinic, sign_in


def outbox_kinds(app):
    return [(e.kind, e.payload) for e in app.store.outbox.pending()]


def test_a_patient_scan_becomes_a_pending_report_queued_for_sync(app):
    setup_clinic(app)
    seen = []
    app.events.subscribe(seen.append, prefix="report.")
    image = scan_bytes()
    report = app.reports.create("alice", image, "scan.png", make_prediction())
    stored = app.store.collection("reports").get(report["id"])
    assert stored == report
    assert report["status"] == "pending" and report["server_id"] is None
    assert (report["label"], report["label_key"], report["confidence"]) == ("Glioma", "glioma", 0.91)
    assert report["doctor"] == "dr_bob" and report["model_version"] == "test-model-1"
    assert app.store.blobs.get(report["image_hash"]) == image
    assert app.reports.image(report["id"]) == image
    assert app.reports.heatmap_png(report["id"]).startswith(b"\x89PNG")
    assert app.reports.model_image_png(report["id"]).startswith(b"\x89PNG")
    assert ("create_report", {"report_id": report["id"]}) in outbox_kinds(app)
    assert [(e.topic, e.data["id"]) for e in seen] == [(events.REPORT_CREATED, report["id"])]


def test_non_mri_images_and_other_peoples_names_are_refused(app):
    setup_clinic(app)
    with pytest.raises(ReportError, match="does not look like a brain MRI"):
        app.reports.create("alice", scan_bytes(), "cat.jpg", make_prediction(brain=False))
    with pytest.raises(AccessDenied):
        app.reports.create("bob_patient", scan_bytes(), "scan.png", make_prediction())
    assert app.store.collection("reports").all() == []


def test_a_patient_only_ever_gets_their_own_reports(app):
    setup_clinic(app)
    mine = app.reports.create("alice", scan_bytes(1), "a.png", make_prediction())
    app.accounts.logout()
    app.accounts.register("carol", "carol@example.org", PASSWORD, "patient", doctor="dr_bob")
    hers = app.reports.create("carol", scan_bytes(2), "c.png", make_prediction("No Tumor", "notumor", 0.8))
    assert [r["id"] for r in app.reports.for_patient("carol")] == [hers["id"]]
    with pytest.raises(AccessDenied):
        app.reports.for_patient("alice")
    with pytest.raises(AccessDenied):
        app.reports.get(mine["id"])
    with pytest.raises(AccessDenied):
        app.reports.image(mine["id"])
    with pytest.raises(AccessDenied):
        app.reports.queue()
    app.accounts.logout()
    with pytest.raises(AccessDenied, match="sign in"):
        app.reports.for_patient("carol")


def test_doctor_approves_with_audit_outbox_and_patient_notification(app, clock):
    setup_clinic(app)
    older = app.reports.create("alice", scan_bytes(1), "a.png", make_prediction())
    clock.advance(60)
    newer = app.reports.create("alice", scan_bytes(2), "b.png", make_prediction("Meningioma", "meningioma", 0.7))
    sign_in(app, "dr_bob")
    assert [r["id"] for r in app.reports.queue("pending")] == [newer["id"], older["id"]]
    clock.advance(60)
    done = app.reports.review(older["id"], "dr_bob", "approve", notes="Agree. Refer to neurosurgery.")
    assert done["status"] == "approved" and done["confirmed_label"] == "glioma"
    assert done["reviewed_by"] == "dr_bob" and done["reviewed_at"] == int(clock.now * 1000)
    assert done["audit"][-1] == {"at": done["reviewed_at"], "by": "dr_bob", "action": "approve", "status": "approved",
                                 "notes": "Agree. Refer to neurosurgery.", "label": "glioma", "reason": ""}
    assert ("review_report", {"report_id": older["id"], "action": "approve", "notes": "Agree. Refer to neurosurgery.",
                              "label": "glioma", "reason": "", "doctor": "dr_bob"}) in outbox_kinds(app)
    assert [r["id"] for r in app.reports.queue("approved")] == [older["id"]]
    with pytest.raises(AccessDenied):
        app.notifications.for_user("alice")  # the doctor cannot read the patient's notifications
    sign_in(app, "alice")
    [note] = app.notifications.for_user("alice")
    assert (note["kind"], note["ref"], note["read"]) == ("report_reviewed", older["id"], False)
    assert "Glioma" not in note["body"]  # no diagnosis in a notification a tray might show
    assert app.reports.for_patient("alice")[1]["doctor_notes"] == "Agree. Refer to neurosurgery."


def test_reject_needs_a_reason_and_records_the_correct_finding(app):
    setup_clinic(app)
    report = app.reports.create("alice", scan_bytes(), "a.png", make_prediction())
    sign_in(app, "dr_bob")
    with pytest.raises(ReportError, match="give a reason"):
        app.reports.review(report["id"], "dr_bob", "reject", label="meningioma")
    with pytest.raises(ReportError, match="Unknown finding"):
        app.reports.review(report["id"], "dr_bob", "reject", label="astrocytoma", reason="x")
    with pytest.raises(ReportError, match="reject the report"):
        app.reports.review(report["id"], "dr_bob", "approve", label="meningioma")
    with pytest.raises(AccessDenied):
        app.reports.review(report["id"], "dr_eve", "approve")
    done = app.reports.review(report["id"], "dr_bob", "reject", notes="Extra-axial, dural tail.",
                              label="Meningioma", reason="Dural-based lesion")
    assert (done["status"], done["confirmed_label"], done["reject_reason"]) == ("rejected", "meningioma", "Dural-based lesion")
    again = app.reports.review(report["id"], "dr_bob", "reject", reason="Motion artefact")
    assert again["confirmed_label"] == "not_assessable"
    assert [a["action"] for a in again["audit"]] == ["created", "reject", "reject"]
    assert app.store.collection("reports").get(report["id"])["audit"] == again["audit"]


def test_saving_notes_keeps_the_status_and_does_not_notify(app):
    setup_clinic(app)
    report = app.reports.create("alice", scan_bytes(), "a.png", make_prediction())
    sign_in(app, "dr_bob")
    saved = app.reports.review(report["id"], "dr_bob", "save", notes="Compare with prior study.")
    assert saved["status"] == "pending" and saved["reviewed_by"] is None
    assert saved["audit"][-1]["action"] == "save"
    sign_in(app, "alice")
    assert app.notifications.for_user("alice") == []


def test_a_draft_survives_closing_the_app_and_goes_once_reviewed(open_app):
    app = open_app()
    setup_clinic(app)
    report = app.reports.create("alice", scan_bytes(), "a.png", make_prediction())
    sign_in(app, "dr_bob")
    app.reports.save_draft(report["id"], "Half-written: lesion in the left")
    app.close()  # as after a crash: only what was written is left
    app = open_app()
    assert app.reports.load_draft(report["id"]) == "Half-written: lesion in the left"
    app.reports.review(report["id"], "dr_bob", "approve", notes="Lesion in the left frontal lobe.")
    assert app.reports.load_draft(report["id"]) is None


def test_a_real_model_prediction_becomes_a_report(app):
    from desktop_app.paths import models_dir, resources_dir

    if not (models_dir() / "model.json").exists():
        pytest.skip("no model installed")
    setup_clinic(app)
    sample = resources_dir() / "samples" / "glioma_1.jpg"
    prediction = app.engine.predict_file(sample)
    report = app.reports.create("alice", sample.read_bytes(), sample.name, prediction)
    assert report["label"] == prediction.label and report["model_version"] == prediction.model_version
    assert report["probabilities"] == pytest.approx(prediction.probabilities)
    import io

    from PIL import Image

    with Image.open(io.BytesIO(app.reports.heatmap_png(report["id"]))) as heat:
        assert heat.size == prediction.heatmap.shape[::-1]
    assert app.store.collection("reports").get(report["id"])["timings_ms"]["total"] > 0


def test_a_report_saved_but_not_queued_before_a_crash_is_queued_at_the_next_start(open_app):
    app = open_app()
    setup_clinic(app)
    report = app.reports.create("alice", scan_bytes(), "a.png", make_prediction())
    message = app.chat.send("alice", "dr_bob", "Hello")
    # What a power cut between the two writes leaves: the documents, but no outbox entries.
    stranded = {**report, "id": "stranded-report"}
    app.store.collection("reports").put("stranded-report", stranded)
    app.store.collection("messages").put("stranded-message", {**message, "id": "stranded-message"})
    app.close()
    app = open_app()
    queued = [(e.kind, e.payload) for e in app.store.outbox.pending()]
    assert queued.count(("create_report", {"report_id": "stranded-report"})) == 1
    assert queued.count(("create_report", {"report_id": report["id"]})) == 1  # never twice
    assert queued.count(("send_message", {"message_id": "stranded-message"})) == 1
    assert queued.count(("send_message", {"message_id": message["id"]})) == 1


def test_the_review_notification_mentions_notes_only_when_there_are_some(app):
    setup_clinic(app)
    bare = app.reports.create("alice", scan_bytes(1), "a.png", make_prediction())
    noted = app.reports.create("alice", scan_bytes(2), "b.png", make_prediction())
    sign_in(app, "dr_bob")
    app.reports.review(bare["id"], "dr_bob", "approve")
    app.reports.review(noted["id"], "dr_bob", "approve", notes="Agree.")
    sign_in(app, "alice")
    bodies = {n["ref"]: n["body"] for n in app.notifications.for_user("alice")}
    assert "notes" not in bodies[bare["id"]] and bodies[bare["id"]].endswith("Open the report to see the review.")
    assert bodies[noted["id"]].endswith("Open the report to read your doctor's notes.")


def test_rejecting_cannot_name_the_models_own_finding(app):
    setup_clinic(app)
    report = app.reports.create("alice", scan_bytes(), "a.png", make_prediction())  # Glioma
    sign_in(app, "dr_bob")
    with pytest.raises(ReportError, match="choose a different finding"):
        app.reports.review(report["id"], "dr_bob", "reject", label="Glioma", reason="x")
    assert app.reports.review(report["id"], "dr_bob", "reject", label="not assessable",
                              reason="Motion")["confirmed_label"] == "not_assessable"
