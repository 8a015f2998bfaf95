"""`tumorpredict sync` as IT staff run it, and the Qt sync worker as the app runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from desktop_app.core.api_client import ApiClient
from desktop_app.ui.sync_worker import SyncWorker
from devkit.sync_scenario import add_offline_messages, add_offline_reports

REPO = Path(__file__).resolve().parents[2]


def _patient(devices, url):
    device = devices("patient", url)
    device.app.accounts.register("alice", "alice@clinic.example", "patient-password-1", "patient", doctor="dr_bob")
    return device


def _tumorpredict(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "desktop_app", *args], env=env, cwd=REPO,
                          capture_output=True, text=True, timeout=120)


def test_sync_command_prints_what_moved(devices, legacy_url):
    patient = _patient(devices, legacy_url)
    add_offline_reports(patient.app, "alice", 2)
    add_offline_messages(patient.app, "alice", "dr_bob", 1)
    data_dir = patient.data_dir
    patient.close()

    status = _tumorpredict("--data-dir", str(data_dir), "sync", "--status")
    assert status.returncode == 0 and "3 changes waiting" in status.stdout
    first = _tumorpredict("--data-dir", str(data_dir), "sync")
    assert first.returncode == 0, first.stderr
    assert "sent 2 create report" in first.stdout and "sent 1 send message" in first.stdout
    assert "(legacy)" in first.stdout and "0 changes still waiting" in first.stdout
    again = _tumorpredict("--data-dir", str(data_dir), "sync")
    assert "sent" not in again.stdout.replace("still", "") and "received 0 report updates, 0 messages" in again.stdout


def test_sync_command_when_the_server_is_down(devices, tmp_path):
    down = _tumorpredict("--data-dir", str(tmp_path / "d"), "--server", "http://127.0.0.1:9", "sync")
    assert down.returncode == 2 and "could not be reached" in down.stdout


def test_sync_command_without_a_server(tmp_path):
    result = _tumorpredict("--data-dir", str(tmp_path / "offline"), "sync")
    assert result.returncode == 1 and "no server is configured" in result.stderr


def test_worker_syncs_on_start_after_changes_and_polls_the_open_chat(qtbot, devices, legacy_url):
    patient = _patient(devices, legacy_url)
    worker = SyncWorker(patient.app.sync, interval_s=3600, chat_poll_s=0.2, change_delay_ms=50)
    statuses = []
    worker.status_changed.connect(statuses.append)
    try:
        with qtbot.waitSignal(worker.sync_finished, timeout=10_000):
            worker.start()
        add_offline_reports(patient.app, "alice", 1)
        with qtbot.waitSignal(worker.sync_finished, timeout=10_000) as finished:
            worker.local_change()
        assert finished.args[0].sent == {"create_report": 1}
        qtbot.waitUntil(lambda: statuses and statuses[-1].online and statuses[-1].pending == 0, timeout=5000)

        doctor = ApiClient(legacy_url)
        worker.open_chat("alice", "dr_bob")
        with qtbot.waitSignal(worker.messages_arrived, timeout=10_000) as arrived:
            doctor.send_message("dr_bob", "alice", "Please book a follow-up scan.")
        assert arrived.args == ["dr_bob", 1]
        assert [m["message"] for m in patient.app.chat.conversation("alice", "dr_bob")] == ["Please book a follow-up scan."]
        worker.close_chat()
    finally:
        worker.stop()


def test_worker_backs_off_while_the_server_is_unreachable(qtbot, devices, legacy_proxy):
    patient = _patient(devices, legacy_proxy.url)
    worker = SyncWorker(patient.app.sync, interval_s=10, max_backoff_s=60)
    legacy_proxy.down = True
    try:
        for expected in (20, 40, 60):
            with qtbot.waitSignal(worker.sync_finished, timeout=10_000) as finished:
                worker.sync_now()
            assert finished.args[0].error
            assert worker.next_interval_s(worker.interval_s) == expected
        assert "could not be reached" in worker.status.last_error and not worker.status.online
        legacy_proxy.down = False
        with qtbot.waitSignal(worker.sync_finished, timeout=10_000):
            worker.sync_now()
        assert worker.next_interval_s(worker.interval_s) == 10
    finally:
        worker.stop()
