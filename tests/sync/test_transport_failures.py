"""Every way an answer can fail on the wire ends the same way: "server not reachable", the pass failed."""

from __future__ import annotations

import pytest
from flask import Flask, Response

from desktop_app.core.api_client import ApiClient, ServerUnreachable
from devkit.loopback import serve_wsgi
from devkit.sync_scenario import PASSWORDS, add_offline_messages, register_on_server
from tests.sync.test_cli_and_worker import _tumorpredict
from tests.sync.test_faults import _patient


def test_an_answer_cut_off_mid_body_is_an_unreachable_server(project_proxy):
    register_on_server(project_proxy.url, "alice", "dr_bob")
    client = ApiClient(project_proxy.url, backoff_base=0.01)
    client.login("alice", PASSWORDS["patient"])
    project_proxy.inject("cut_answer", "/list_reports", count=1)
    assert client.list_reports("alice").items == []  # a read is simply asked again
    project_proxy.inject("cut_answer", "/list_reports", count=10)
    with pytest.raises(ServerUnreachable) as cut:
        client.list_reports("alice")
    assert "could not be reached" in cut.value.user_message
    assert project_proxy.faults_seen("cut_answer") == 1 + 1 + client.max_retries


def test_truncated_json_is_an_unreachable_server():
    app = Flask(__name__)
    app.get("/get_global_meta")(lambda: Response('{"version": "v1", "upd', mimetype="application/json"))
    with serve_wsgi(app) as url:
        client = ApiClient(url, max_retries=1, backoff_base=0.01)
        with pytest.raises(ServerUnreachable) as cut:
            client.get_global_meta()
    assert "could not be reached" in cut.value.user_message


def test_a_pass_whose_answers_are_cut_off_fails_and_keeps_the_queue(devices, project_proxy):
    patient = _patient(devices, project_proxy.url)
    patient.app.sync.client.backoff_base = 0.01
    assert patient.sync().ok
    reached_at = patient.app.sync.status.last_sync_at
    add_offline_messages(patient.app, "alice", "dr_bob", 2)
    project_proxy.inject("cut_answer", count=50)
    cut = patient.sync()
    assert cut.error and "could not be reached" in cut.error and cut.waiting == 2
    status = patient.app.sync.status
    assert not status.online and status.last_sync_at == reached_at
    project_proxy.clear()
    assert patient.sync().ok and patient.app.sync.status.pending == 0


def test_sync_command_says_unreachable_in_one_line_when_answers_are_cut(project_proxy, tmp_path):
    project_proxy.inject("cut_answer", count=50)
    result = _tumorpredict("--data-dir", str(tmp_path / "d"), "--server", project_proxy.url, "sync")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert [line for line in result.stdout.splitlines() if "could not be reached" in line] == [
        f"stopped: The server at {project_proxy.url} could not be reached. "
        "Your changes are kept and will be sent later."]
