"""Scans that fail to download are listed, retried each pass with backoff, shown as downloading, and arrive."""

from __future__ import annotations

import pytest

from desktop_app.core.reports import ReportError
from devkit.sync_scenario import PASSWORDS, Device, add_offline_reports
from tests.sync.test_faults import _doctor, _patient


def _images_asked(proxy) -> int:
    return sum(1 for path, _what in proxy.events if path.startswith("/report_image/"))


def _due_now(engine) -> None:
    for report_id, entry in engine.state.missing_scans().items():
        engine.state.set_missing_scan(report_id, {**entry, "next_at": 0})


def test_a_scan_that_failed_to_download_is_fetched_again(devices, project_server, project_proxy):
    patient = _patient(devices, project_server)
    add_offline_reports(patient.app, "alice", 3)
    assert patient.sync().ok
    originals = {r["server_id"]: patient.app.reports.image(r["id"]) for r in patient.docs("reports")}
    doctor = _doctor(devices, project_proxy.url, "doctor")
    doctor.app.sync.client.backoff_base = 0.01
    # Every try of the first two scans (and their retries inside the client) fails.
    project_proxy.inject("cut_answer", "/report_image/*", count=2 * (1 + doctor.app.sync.client.max_retries))
    first = doctor.sync()
    assert first.ok and first.reports_pulled == 3
    assert first.scans_downloading == 2 and "2 scans still downloading" in "\n".join(first.lines())
    status = doctor.app.sync.status
    assert status.scans_downloading == 2 and "2 scans still downloading" in status.summary()
    waiting = [r for r in doctor.docs("reports") if not r.get("image_hash")]
    assert len(waiting) == 2 and all(r["scan_downloading"] for r in waiting)
    with pytest.raises(ReportError, match="still downloading"):
        doctor.app.reports.image(waiting[0]["id"])

    asked = _images_asked(project_proxy)
    assert doctor.sync().scans_downloading == 2  # backoff: not due yet, nothing asked
    assert _images_asked(project_proxy) == asked

    _due_now(doctor.app.sync)
    again = doctor.sync()
    assert again.ok and again.scans_fetched == 2 and again.scans_downloading == 0
    assert doctor.app.sync.status.scans_downloading == 0 and "downloading" not in doctor.app.sync.status.summary()
    for report in doctor.docs("reports"):
        assert "scan_downloading" not in report
        assert doctor.app.reports.image(report["id"]) == originals[report["server_id"]]


def test_backoff_doubles_and_a_scan_the_server_lacks_leaves_the_list(devices, project_server, project_proxy):
    patient = _patient(devices, project_server)
    add_offline_reports(patient.app, "alice", 1)
    assert patient.sync().ok
    doctor = _doctor(devices, project_proxy.url, "doctor")
    doctor.app.sync.client.backoff_base = 0.01
    project_proxy.inject("500", "/report_image/*", count=100)
    doctor.sync()
    scans = doctor.app.sync.session.scans
    (report_id, entry), = doctor.app.sync.state.missing_scans().items()
    waits = []
    for now in (entry["next_at"], entry["next_at"] + 10**9):
        before = doctor.app.sync.state.missing_scans()[report_id]
        scans.retry_due(doctor.app.sync.session.call_as, {"dr_bob"}, now)
        after = doctor.app.sync.state.missing_scans()[report_id]
        waits.append(after["next_at"] - now)
        assert after["attempts"] == before["attempts"] + 1
    assert waits == [int(scans.base_s * 2 * 1000), int(scans.base_s * 4 * 1000)]
    project_proxy.clear()
    doc = doctor.app.store.collection("reports").get(report_id)
    doctor.app.store.collection("reports").put(report_id, {**doc, "server_id": "no-such-report"})
    doctor.app.sync.state.set_missing_scan(report_id, {**entry, "server_id": "no-such-report", "next_at": 0})
    scans.retry_due(doctor.app.sync.session.call_as, {"dr_bob"}, 1)
    assert doctor.app.sync.state.missing_scans() == {}
    assert doctor.app.sync.session.scans.list_earlier_losses(2) == 0  # asked once, never listed again
    with pytest.raises(ReportError, match="missing on this computer"):
        doctor.app.reports.image(report_id)


def test_reports_pulled_without_their_scan_before_the_list_existed_get_it(devices, project_server):
    patient = _patient(devices, project_server)
    add_offline_reports(patient.app, "alice", 2)
    assert patient.sync().ok
    doctor = _doctor(devices, project_server, "doctor")
    assert doctor.sync().ok
    reports = doctor.app.store.collection("reports")
    for report in reports.all():  # what the old pull left: no image, no mark, the cursor past it
        reports.put(report["id"], {**report, "image_hash": None})
    data_dir = doctor.data_dir
    doctor.close()
    again = Device(data_dir, project_server)
    try:
        again.app.accounts.login("dr_bob", PASSWORDS["doctor"])
        assert again.sync().scans_fetched == 2
        assert all(r["image_hash"] for r in again.docs("reports"))
    finally:
        again.close()
