"""A doctor triages the pending queue from the keyboard: open, zoom, heatmap, notes, approve,
next; reject with the correct finding; conflicts; earlier scans side by side."""

from __future__ import annotations

import random

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication

from desktop_app.core.labels import label_texts
from desktop_app.core.reports import ReportError
from desktop_app.core.wording import finding_text
from desktop_app.ui.doctor.data import show_screen
from desktop_app.ui.doctor.reject_dialog import RejectDialog
from devkit.report_factories import report_doc
from tests.ui.conftest import settle
from tests.ui.doctor.conftest import doctor_main_window, store_report


def stored(services, report_id: str) -> dict:
    return services.store.collection("reports").get(report_id)


def open_from_list(qtbot, reports) -> dict:
    """Reports screen, Pending tab, focus the table, Enter: the review opens with its scan."""
    show_screen(reports)
    reports.set_tab("pending")
    reports.table.setFocus()
    qtbot.keyClick(reports.table, Qt.Key.Key_Return)
    review = reports.review
    assert reports.in_review()
    qtbot.waitUntil(review.image_view.has_image, timeout=10_000)
    return review.report


def test_triage_the_pending_queue_without_the_mouse(qtbot, services, clinic, desk):
    _host, screens = desk
    reports = screens["Reports"]
    review = reports.review
    oldest_pending = clinic["pending"][0]

    opened = open_from_list(qtbot, reports)
    assert opened["id"] == oldest_pending["id"]  # the Pending tab lists the longest waiting first
    assert review.title.text() == "Anna Kowalska"
    assert review.position_label.text() == "Pending 1 of 3"
    assert review.finding_label.text().startswith(finding_text(oldest_pending["label"]))
    assert "brain MRI" in review.mri_verdict.text()

    # zoom in with the keyboard on the image, then fit again
    fitted = review.image_view.zoom()
    review.image_view.canvas.setFocus()
    qtbot.keyClick(review.image_view.canvas, Qt.Key.Key_Plus)
    qtbot.keyClick(review.image_view.canvas, Qt.Key.Key_Plus)
    assert review.image_view.zoom() > fitted * 1.5

    # notes: Ctrl+E jumps to the editor; typing is kept as a draft
    qtbot.keyClick(review, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    assert review.notes.hasFocus()
    qtbot.keyClicks(review.notes, "Enhancing lesion, left temporal. Refer to neurosurgery.")
    qtbot.waitUntil(lambda: services.reports.load_draft(opened["id"]) is not None, timeout=5000)

    # Ctrl+Enter approves and moves on to the next pending report
    qtbot.keyClick(review.notes, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: review.report["id"] != opened["id"], timeout=5000)  # decided, moved on
    decided = stored(services, opened["id"])
    assert decided["reviewed_by"] == "dr.lee" and decided["reviewed_at"]
    assert decided["doctor_notes"] == "Enhancing lesion, left temporal. Refer to neurosurgery."
    assert decided["audit"][-1]["action"] == "approve" and decided["audit"][-1]["by"] == "dr.lee"
    assert services.reports.load_draft(opened["id"]) is None
    assert any(e.kind == "review_report" for e in services.store.outbox.pending())
    assert review.report["status"] == "pending"
    assert review.notes.toPlainText() == ""
    assert len(reports.pending_ids()) == 2
    assert review.position_label.text() == "Pending 2 of 3"  # progress goes up as the queue goes down
    assert review.done_banner.isVisible() and review.done_banner.text_label.text().startswith("✓ Approved")

    # Ctrl+N (or J outside the editor) skips to the following pending report
    current = review.report["id"]
    qtbot.keyClick(review.notes, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    assert review.report["id"] != current
    review.image_view.canvas.setFocus()
    qtbot.keyClick(review.image_view.canvas, Qt.Key.Key_J)
    assert review.report["id"] == current  # two left: J wraps back

    # Esc returns to the list, on the Pending tab, with the approved report gone from it
    qtbot.keyClick(review.notes, Qt.Key.Key_Escape)
    assert not reports.in_review()
    assert opened["id"] not in {reports.proxy.report_at(r)["id"]
                                for r in range(reports.proxy.rowCount())}


def fill_reject_dialog(qtbot, finding_key: str, reason: str, seen: list) -> None:
    """Answers the modal reject dialog the way a doctor would, from the keyboard."""
    def answer() -> None:
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, RejectDialog)
        seen.append(dialog)
        qtbot.keyClick(dialog, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
        assert dialog.isVisible() and dialog.problem.text() == "Choose the correct finding."
        dialog.finding_buttons[finding_key].setFocus()
        qtbot.keyClick(dialog.finding_buttons[finding_key], Qt.Key.Key_Space)
        qtbot.keyClick(dialog, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
        assert dialog.isVisible() and "reason" in dialog.problem.text()
        qtbot.keyClicks(dialog.reason_edit, reason)
        qtbot.keyClick(dialog.reason_edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)

    QTimer.singleShot(0, answer)


def test_reject_records_the_reason_and_the_correct_finding(qtbot, services, clinic, desk):
    _host, screens = desk
    reports = screens["Reports"]
    review = reports.review
    opened = open_from_list(qtbot, reports)
    wrong_model_key = "meningioma" if opened["label_key"] != "meningioma" else "glioma"
    qtbot.keyClicks(review.notes, "Not a glioma on my read.")
    seen: list = []
    fill_reject_dialog(qtbot, wrong_model_key, "Extra-axial, dural tail sign.", seen)
    qtbot.keyClick(review.notes, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    assert seen, "the reject dialog did not open"
    qtbot.waitUntil(lambda: review.report["id"] != opened["id"], timeout=5000)
    decided = stored(services, opened["id"])
    assert decided["confirmed_label"] == wrong_model_key
    assert decided["reject_reason"] == "Extra-axial, dural tail sign."
    assert decided["doctor_notes"] == "Not a glioma on my read."
    assert decided["audit"][-1]["action"] == "reject"
    # the patient is told (the notification travels to their device with the next sync)
    notices = services.store.collection("notifications").all()
    assert any(n["username"] == "anna" and n["ref"] == opened["id"] for n in notices)


def test_not_assessable_is_a_finding_and_cancel_changes_nothing(qtbot, services, clinic, desk):
    _host, screens = desk
    reports = screens["Reports"]
    review = reports.review
    opened = open_from_list(qtbot, reports)

    def cancel() -> None:
        qtbot.keyClick(QApplication.activeModalWidget(), Qt.Key.Key_Escape)

    QTimer.singleShot(0, cancel)
    review.reject()
    assert stored(services, opened["id"])["status"] == "pending"

    def not_assessable() -> None:
        dialog = QApplication.activeModalWidget()
        dialog.select_finding("not_assessable")
        dialog.reason_edit.setPlainText("Motion artefact; repeat the scan.")
        dialog.reject_button.click()

    QTimer.singleShot(0, not_assessable)
    review.reject()
    qtbot.waitUntil(lambda: stored(services, opened["id"])["status"] == "rejected", timeout=5000)
    assert stored(services, opened["id"])["confirmed_label"] == "not_assessable"


def test_save_notes_keeps_the_report_pending_and_audits_it(qtbot, services, clinic, desk):
    _host, screens = desk
    review = screens["Reports"].review
    opened = open_from_list(qtbot, screens["Reports"])
    qtbot.keyClicks(review.notes, "Awaiting prior imaging from the referring hospital.")
    qtbot.keyClick(review.notes, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: stored(services, opened["id"])["doctor_notes"] != "", timeout=5000)
    saved = stored(services, opened["id"])
    assert saved["status"] == "pending" and saved["audit"][-1]["action"] == "save"
    qtbot.waitUntil(lambda: review.draft_label.text() == "Notes saved.", timeout=5000)
    assert review.report["id"] == opened["id"]  # saving does not move on
    assert review.audit_list.item(0).text().endswith("“Awaiting prior imaging from the referring hospital.”")


def test_earlier_scans_of_the_patient_are_shown_side_by_side(qtbot, services, clinic, desk):
    _host, screens = desk
    reports = screens["Reports"]
    review = reports.review
    opened = open_from_list(qtbot, reports)
    assert opened["username"] == "anna"
    earlier = [r for r in clinic["by_patient"]["anna"] if r["id"] != opened["id"]]
    assert review.history_list.count() == len(earlier)
    assert not review.compare_box.isVisibleTo(review)
    qtbot.keyClick(review.notes, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)
    assert review.compare_box.isVisibleTo(review)
    before = [r for r in earlier if r["timestamp"] < opened["timestamp"]]
    latest_earlier = max(before, key=lambda r: r["timestamp"])  # the scan just before this one
    assert review._compare_id == latest_earlier["id"]
    qtbot.waitUntil(review.compare_view.has_image, timeout=10_000)
    review.history_list.setFocus()
    qtbot.keyClick(review.history_list, Qt.Key.Key_Down)
    assert review._compare_id == review.history_list.item(1).data(Qt.ItemDataRole.UserRole)["id"]
    qtbot.keyClick(review.notes, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)
    assert not review.compare_box.isVisibleTo(review)


def test_conflict_banner_and_audit_trail(qtbot, services, clinic, desk):
    _host, screens = desk
    reports = screens["Reports"]
    review = reports.review
    conflicted = report_doc(random.Random(5), "ben", doctor="dr.lee", status="approved")
    # the shape the sync merge keeps when the server holds a different decision
    conflicted["conflict"] = {"status": "rejected", "doctor_notes": "Artefact, not a lesion.",
                              "reviewed_by": "dr.lee", "reviewed_at": conflicted["timestamp"],
                              "detected_at": conflicted["timestamp"]}
    store_report(services, conflicted, seed=99)
    reports.set_reports(services.reports.queue())
    assert reports.open_report_id(conflicted["id"])
    assert review.conflict_banner.isVisibleTo(review)
    banner = review.conflict_banner.text_label.text()
    assert "also reviewed this report on another computer (rejected" in banner
    assert "Artefact, not a lesion." in banner
    texts = [review.audit_list.item(i).text() for i in range(review.audit_list.count())]
    assert any("approved" in text for text in texts) and any("created" in text for text in texts)
    assert review.approve_button.isEnabled()  # the doctor can settle it

    # Deciding again settles the conflict; what it was stays on the audit trail.
    audited = len(stored(services, conflicted["id"])["audit"])
    qtbot.mouseClick(review.approve_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(stored(services, conflicted["id"])["audit"]) > audited, timeout=5000)
    settled = stored(services, conflicted["id"])
    assert settled["conflict"] is None
    assert settled["audit"][-1]["resolved_conflict"]["doctor_notes"] == "Artefact, not a lesion."


def test_a_missing_or_broken_scan_is_explained_and_the_review_still_works(qtbot, services,
                                                                          clinic, desk):
    _host, screens = desk
    reports = screens["Reports"]
    review = reports.review
    show_screen(reports)
    missing = report_doc(random.Random(8), "ben", doctor="dr.lee", status="pending")
    missing["image_hash"] = "0" * 64  # the scan never arrived on this computer
    services.store.collection("reports").put(missing["id"], missing)
    broken = report_doc(random.Random(9), "ben", doctor="dr.lee", status="pending")
    broken["image_hash"] = services.store.blobs.put(b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4)
    services.store.collection("reports").put(broken["id"], broken)
    reports.set_reports(services.reports.queue())

    for report, words in ((missing, "missing"), (broken, "")):
        assert reports.open_report_id(report["id"])
        qtbot.waitUntil(lambda: review.image_view.placeholder_text() != "Loading scan…",
                        timeout=10_000)
        text = review.image_view.placeholder_text()
        assert not review.image_view.has_image()
        assert words in text and "Traceback" not in text and "Error" not in text
        assert len(text) > 10
    # the doctor can still record a decision on the broken one
    qtbot.keyClicks(review.notes, "Scan unreadable; please upload it again.")
    review.save_notes()
    qtbot.waitUntil(lambda: stored(services, broken["id"])["doctor_notes"] != "", timeout=5000)


def test_rejecting_cannot_confirm_the_models_own_finding(qtbot, services, clinic, desk):
    _host, screens = desk
    reports = screens["Reports"]
    review = reports.review
    opened = open_from_list(qtbot, reports)
    model_key = opened["label_key"]
    offered: dict = {}

    def look_then_cancel() -> None:
        dialog = QApplication.activeModalWidget()
        offered.update({key: radio.isEnabled() for key, radio in dialog.finding_buttons.items()})
        offered["focus"] = dialog.focusWidget() is not dialog.finding_buttons[model_key]
        offered["text"] = dialog.finding_buttons[model_key].text()
        dialog.reject()

    QTimer.singleShot(0, look_then_cancel)
    review.reject()
    assert offered[model_key] is False and "approve instead" in offered["text"]
    assert offered["focus"]
    assert all(offered[key] for key in ("not_assessable", *(k for k in label_texts() if k != model_key)))
    # the service refuses it too (the command line, another client)
    with pytest.raises(ReportError, match="choose a different finding"):
        services.reports.review(opened["id"], "dr.lee", "reject", label=model_key, reason="Same.")
    assert stored(services, opened["id"])["status"] == "pending"


@pytest.mark.parametrize("size", [(1100, 760), (1920, 1080)])
def test_comparison_gives_the_earlier_scan_real_room(qtbot, services, clinic, size):
    window, reports = doctor_main_window(qtbot, services, clinic, size)
    reports.open_oldest_pending()
    window.open_screen("reports")
    review = reports.review
    qtbot.waitUntil(review.image_view.has_image, timeout=10_000)
    qtbot.keyClick(review.notes, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)
    settle(qtbot, 50)
    for view in (review.image_view, review.compare_view):
        assert min(view.width(), view.height()) >= 200, (size, view.size())
    window.shutdown()


def test_the_next_report_opens_at_its_finding_not_where_the_last_was_scrolled(qtbot, services, clinic):
    window, reports = doctor_main_window(qtbot, services, clinic, (1100, 760))
    reports.open_oldest_pending()
    window.open_screen("reports")
    review = reports.review
    settle(qtbot, 50)
    bar = review.side_scroll.verticalScrollBar()
    assert bar.maximum() > 0  # at this size the side panel scrolls
    bar.setValue(bar.maximum())
    qtbot.keyClick(review.notes, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    settle(qtbot, 50)
    assert bar.value() == 0
    window.shutdown()


def test_every_finding_in_the_reject_dialog_has_its_own_alt_letter(qtbot):
    dialog = RejectDialog("glioma")
    qtbot.addWidget(dialog)
    texts = {key: radio.text() for key, radio in dialog.finding_buttons.items() if radio.isEnabled()}
    assert texts == {"meningioma": "&Meningioma", "pituitary": "&Pituitary tumor", "notumor": "No &tumor",
                     "not_assessable": "Not &assessable — needs another scan"}
    letters = [text[text.index("&") + 1].lower() for text in texts.values()]
    assert len(set(letters)) == len(letters)
