"""Sync against this project's server through real faults: every record ends up on both sides exactly once."""

from __future__ import annotations

import logging
import signal
import subprocess
import time

import pytest

from desktop_app.core.api_client import ApiClient
from desktop_app.core.sync.push import MESSAGE_BATCH
from devkit.sync_scenario import (
    PASSWORDS,
    REPO,
    Device,
    add_offline_messages,
    add_offline_reports,
    headless_env,
    register_on_server,
    sync_command,
)


def _server_view(url: str, username: str, password: str, peer: str) -> tuple[list[dict], list[dict]]:
    """What the server holds for `username` (reports, conversation with `peer`), read with a fresh client."""
    client = ApiClient(url)
    client.login(username, password)
    return client.list_reports(username).items, client.get_messages(username, peer).items


def _patient(devices, url: str, name: str = "patient"):
    register_on_server(url, "alice", "dr_bob")
    device = devices(name, url)
    device.app.accounts.login("alice", PASSWORDS["patient"])
    return device


def _doctor(devices, url: str, name: str):
    register_on_server(url, "alice", "dr_bob")
    device = devices(name, url)
    device.app.accounts.login("dr_bob", PASSWORDS["doctor"])
    return device


def _assert_exactly_once(device, server_url: str, reports: int, messages: int) -> None:
    server_reports, server_messages = _server_view(server_url, "alice", PASSWORDS["patient"], "dr_bob")
    assert len(server_reports) == reports, "each report on the server exactly once"
    assert len(server_messages) == messages, "each message on the server exactly once"
    local_reports, local_messages = device.docs("reports"), device.docs("messages")
    assert len(local_reports) == reports and len(local_messages) == messages
    assert {r["server_id"] for r in local_reports} == {str(r["id"]) for r in server_reports}
    assert {m["server_id"] for m in local_messages} == {str(m["id"]) for m in server_messages}
    assert device.app.sync.status.pending == 0


def test_server_down_keeps_everything_and_sends_it_later(devices, project_proxy, project_server, caplog):
    patient = _patient(devices, project_proxy.url)
    add_offline_reports(patient.app, "alice", 2)
    add_offline_messages(patient.app, "alice", "dr_bob", 2)
    project_proxy.down = True
    with caplog.at_level(logging.WARNING, logger="desktop_app.core.sync"):
        down = patient.sync()
    assert "could not be reached" in down.error and down.waiting == 4
    status = patient.app.sync.status
    assert not status.online and status.pending == 4 and "could not be reached" in status.last_error
    assert "sync stopped" in caplog.text
    project_proxy.down = False
    assert patient.sync().ok
    _assert_exactly_once(patient, project_server, 2, 2)


def test_500s_and_timeouts_then_recovery(devices, project_proxy, project_server):
    patient = _patient(devices, project_proxy.url)
    patient.app.sync.client.timeout = (2.0, 1.0)  # a hung server is given up on after 1 s
    patient.app.sync.client.backoff_base = 0.01
    add_offline_reports(patient.app, "alice", 2)
    add_offline_messages(patient.app, "alice", "dr_bob", 2)
    project_proxy.inject("500", "/predict", count=10)
    project_proxy.inject("hang", "/send_messages", count=1)  # the two messages go as one batch
    report = patient.sync()
    assert report.error  # stopped by the 500s; nothing lost
    for _ in range(4):
        report = patient.sync()
        if report.ok and not report.waiting:
            break
    assert report.ok, report.lines()
    assert project_proxy.faults_seen("500") == 10 and project_proxy.faults_seen("hang") == 1
    _assert_exactly_once(patient, project_server, 2, 2)


@pytest.mark.parametrize("path", ["/predict", "/send_message"])
def test_reset_after_commit_is_not_a_duplicate(devices, project_proxy, project_server, path):
    patient = _patient(devices, project_proxy.url)
    add_offline_reports(patient.app, "alice", 1)
    add_offline_messages(patient.app, "alice", "dr_bob", 1)
    patient.sync()  # the server has shown it honours idempotency keys
    add_offline_reports(patient.app, "alice", 1, start=1)
    add_offline_messages(patient.app, "alice", "dr_bob", 1)
    project_proxy.inject("reset_after_commit", path)
    for _ in range(3):
        patient.sync()
    assert project_proxy.faults_seen("reset_after_commit") == 1
    _assert_exactly_once(patient, project_server, 2, 2)


def test_app_killed_mid_sync_and_restarted(devices, project_server, tmp_path):
    """`tumorpredict sync` in a subprocess, killed with SIGKILL part-way, then run again to the end."""
    patient = _patient(devices, project_server)
    messages = 4 * MESSAGE_BATCH + 100  # five batches: the kill lands between two of them
    add_offline_messages(patient.app, "alice", "dr_bob", messages)
    add_offline_reports(patient.app, "alice", 3)
    data_dir = patient.data_dir
    token = patient.app.accounts.token("alice")
    patient.close()  # releases the data-dir lock for the subprocess
    env = headless_env(tmp_path / "keyring.json", project_server, {"alice": token})
    command = sync_command(data_dir, project_server)

    killed = subprocess.Popen(command, env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    checker = ApiClient(project_server)
    checker.login("alice", PASSWORDS["patient"])
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not checker.get_messages("alice", "dr_bob").items:
        time.sleep(0.005)
    killed.send_signal(signal.SIGKILL)
    killed.wait()
    sent_before_kill = len(checker.get_messages("alice", "dr_bob").items)
    assert 0 < sent_before_kill < messages, "the kill must land mid-sync"

    again = subprocess.run(command, env=env, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "0 changes still waiting" in again.stdout
    reopened = Device(data_dir, project_server)
    try:
        _assert_exactly_once(reopened, project_server, 3, messages)
    finally:
        reopened.close()


def test_two_devices_of_one_doctor_and_a_conflict(devices, project_server):
    patient = _patient(devices, project_server)
    add_offline_reports(patient.app, "alice", 2)
    patient.sync()
    desk, laptop = _doctor(devices, project_server, "desk"), _doctor(devices, project_server, "laptop")
    for device in (desk, laptop):
        assert device.sync().reports_pulled == 2
    first, second = sorted(desk.app.reports.queue("pending"), key=lambda r: r["server_id"])
    originals = {r["server_id"]: patient.app.reports.image(r["id"]) for r in patient.docs("reports")}
    assert desk.app.reports.image(first["id"]) == originals[first["server_id"]]  # the scan came along

    desk.app.reports.review(first["id"], "dr_bob", "approve", "Looks benign.")
    desk.sync()
    laptop.sync()
    on_laptop = next(r for r in laptop.docs("reports") if r["server_id"] == first["server_id"])
    assert on_laptop["status"] == "approved" and on_laptop["doctor_notes"] == "Looks benign."

    # Both devices decide the second report differently before either syncs.
    desk.app.reports.review(second["id"], "dr_bob", "approve", "Fine.")
    laptop_copy = next(r for r in laptop.docs("reports") if r["server_id"] == second["server_id"])
    laptop.app.reports.review(laptop_copy["id"], "dr_bob", "reject", "Motion artefact; rescan.", reason="poor image")
    desk.sync()
    laptop_report = laptop.sync()
    assert laptop_report.conflicts == [laptop_copy["id"]]
    desk_report = desk.sync()
    assert desk_report.conflicts == [second["id"]]
    desk_doc = desk.app.store.collection("reports").get(second["id"])
    assert desk_doc["status"] == "rejected" and desk_doc["conflict"]["status"] == "approved"
    laptop_doc = laptop.app.store.collection("reports").get(laptop_copy["id"])
    assert laptop_doc["status"] == "rejected" and laptop_doc["conflict"]["status"] == "approved"
    assert "sync_problem" in [n["kind"] for n in desk.app.notifications.for_user("dr_bob")]

    for device in (desk, laptop, patient):
        device.sync()
        assert len(device.docs("reports")) == 2
    server_reports, _ = _server_view(project_server, "alice", PASSWORDS["patient"], "dr_bob")
    assert len(server_reports) == 2


def test_expired_sign_in_asks_for_login_and_keeps_the_queue(devices, project_server):
    patient = _patient(devices, project_server)
    add_offline_messages(patient.app, "alice", "dr_bob", 1)
    patient.sync()
    revoker = ApiClient(project_server, token=patient.app.accounts.token("alice"))
    revoker.logout()  # the server forgets the token, as when it expires
    add_offline_messages(patient.app, "alice", "dr_bob", 2)
    expired = patient.sync()
    assert expired.needs_login == ["alice"] and expired.waiting == 2
    assert patient.app.sync.status.needs_login == frozenset({"alice"})
    assert "sync_problem" in [n["kind"] for n in patient.app.notifications.for_user("alice")]
    patient.app.accounts.login("alice", PASSWORDS["patient"])
    back = patient.sync()
    assert back.ok and back.sent == {"send_message": 2}
    _assert_exactly_once(patient, project_server, 0, 3)


def test_a_review_resent_after_a_lost_answer_is_audited_once(devices, project_proxy, project_server):
    patient = _patient(devices, project_server)
    add_offline_reports(patient.app, "alice", 1)
    patient.sync()
    doctor = _doctor(devices, project_proxy.url, "doctor")
    doctor.app.sync.client.backoff_base = 0.01
    doctor.sync()
    report = doctor.app.reports.queue("pending")[0]
    doctor.app.reports.review(report["id"], "dr_bob", "approve", "Benign.")
    project_proxy.inject("reset_after_commit", "/doctor_update_report", count=1)
    doctor.sync()  # the review reached the server and its answer was lost
    assert doctor.sync().ok and doctor.app.sync.status.pending == 0  # the resend changed nothing
    project_proxy.inject("reset_after_commit", "/doctor_update_report", count=10)
    doctor.app.reports.review(report["id"], "dr_bob", "save", "Benign; follow up in a year.")
    assert doctor.sync().error  # every try of this one lost its answer
    project_proxy.clear()
    assert doctor.sync().ok and doctor.app.sync.status.pending == 0
    checker = ApiClient(project_server)
    checker.login("dr_bob", PASSWORDS["doctor"])
    answer = checker._call("POST", "/get_report", {"report_id": report["server_id"]}, safe=True)
    assert [a["action"] for a in answer["audit"]] == ["created", "approve", "save"]
    first_approval = answer["audit"][1]["at"]
    assert answer["report"]["reviewed_at"] == first_approval
