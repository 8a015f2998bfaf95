"""Merge rules: the server's decision wins, an unsent local decision survives, conflicts are kept."""

from __future__ import annotations

from desktop_app.core.sync.merge import merge_report


def _local(**overrides):
    doc = {"id": "r1", "server_id": "s1", "username": "alice", "status": "pending", "doctor_notes": "",
           "reviewed_by": None, "reviewed_at": None, "conflict": None, "audit": []}
    doc.update(overrides)
    return doc


def _wire(status="pending", notes="", **extra):
    return {"id": "s1", "username": "alice", "status": status, "doctor_notes": notes, **extra}


def test_server_decision_wins_and_is_audited():
    merged = merge_report(_local(), _wire("approved", "benign", reviewed_by="dr_bob"), None, 1000)
    assert merged.changed and merged.newly_decided and not merged.new_conflict
    assert (merged.doc["status"], merged.doc["doctor_notes"], merged.doc["reviewed_by"]) == ("approved", "benign", "dr_bob")
    assert merged.doc["audit"][-1]["action"] == "synced"


def test_unchanged_record_changes_nothing():
    local = _local(status="approved", doctor_notes="ok")
    merged = merge_report(local, _wire("approved", "ok"), None, 1000)
    assert not merged.changed and merged.doc == local


def test_unsent_local_decision_is_never_overwritten():
    local = _local(status="approved", doctor_notes="mine", reviewed_by="dr_a")
    merged = merge_report(local, _wire("pending", ""), {"action": "approve", "notes": "mine"}, 1000)
    assert not merged.changed and merged.doc["status"] == "approved"


def test_different_decision_while_ours_is_unsent_is_kept_as_conflict():
    local = _local(status="approved", doctor_notes="mine", reviewed_by="dr_a")
    merged = merge_report(local, _wire("rejected", "theirs", reviewed_by="dr_b"), {"action": "approve"}, 1000)
    assert merged.new_conflict and merged.doc["status"] == "approved"
    assert merged.doc["conflict"]["status"] == "rejected" and merged.doc["conflict"]["reviewed_by"] == "dr_b"
    again = merge_report(merged.doc, _wire("rejected", "theirs", reviewed_by="dr_b"), {"action": "approve"}, 2000)
    assert not again.new_conflict  # reported once, not on every pass


def test_sent_decision_replaced_by_another_doctor_keeps_ours_as_conflict():
    local = _local(status="approved", doctor_notes="mine", reviewed_by="dr_a")
    merged = merge_report(local, _wire("rejected", "theirs", reviewed_by="dr_b"), None, 1000)
    assert merged.doc["status"] == "rejected" and merged.doc["doctor_notes"] == "theirs"
    assert merged.new_conflict and merged.doc["conflict"]["status"] == "approved"
    assert merged.doc["conflict"]["reviewed_by"] == "dr_a"
