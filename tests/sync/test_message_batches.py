"""A chat backlog goes to this project's server in batches: in order, exactly once, through real faults."""

from __future__ import annotations

import pytest

from desktop_app.core.api_client import ApiClient, RequestRejected
from desktop_app.core.sync.push import MESSAGE_BATCH
from devkit.sync_scenario import PASSWORDS, add_offline_messages, register_on_server
from tests.helpers.chat_race import send_racing
from tests.sync.test_faults import _assert_exactly_once, _patient, _server_view


def _server_texts(url: str) -> list[str]:
    return [m["message"] for m in _server_view(url, "alice", PASSWORDS["patient"], "dr_bob")[1]]


def _sync_until_done(device, passes: int = 4):
    for _ in range(passes):
        report = device.sync()
        if report.ok and not report.waiting:
            return report
    raise AssertionError(report.lines())


def test_backlog_goes_in_batches_in_order(devices, project_proxy, project_server):
    patient = _patient(devices, project_proxy.url)
    count = MESSAGE_BATCH + 20
    add_offline_messages(patient.app, "alice", "dr_bob", count)
    report = patient.sync()
    assert report.ok and report.sent == {"send_message": count}
    batches = [path for path, what in project_proxy.events if path == "/send_messages"]
    assert len(batches) == 2 and not [p for p, _ in project_proxy.events if p == "/send_message"]
    assert _server_texts(project_server) == [f"message {i} from alice" for i in range(count)]
    _assert_exactly_once(patient, project_server, 0, count)
    assert {m["state"] for m in patient.docs("messages")} == {"sent"}


@pytest.mark.parametrize("resets", [1, 4], ids=["retried-at-once", "next-sync"])
def test_reset_after_the_server_committed_a_batch(devices, project_proxy, project_server, resets):
    """The answer to a committed batch is lost; the repeat (same ids) returns the first result."""
    patient = _patient(devices, project_proxy.url)
    patient.app.sync.client.backoff_base = 0.01
    add_offline_messages(patient.app, "alice", "dr_bob", 30)
    project_proxy.inject("reset_after_commit", "/send_messages", count=resets)
    first = patient.sync()
    if resets > patient.app.sync.client.max_retries:
        assert "could not be reached" in first.error and first.waiting == 30  # kept for the next pass
    _sync_until_done(patient)
    assert project_proxy.faults_seen("reset_after_commit") == resets
    assert _server_texts(project_server) == [f"message {i} from alice" for i in range(30)]
    _assert_exactly_once(patient, project_server, 0, 30)


def test_500_during_a_batch_loses_nothing(devices, project_proxy, project_server):
    patient = _patient(devices, project_proxy.url)
    patient.app.sync.client.backoff_base = 0.01
    add_offline_messages(patient.app, "alice", "dr_bob", 12)
    project_proxy.inject("500", "/send_messages", count=4)  # more than the client's retries
    failed = patient.sync()
    assert "problem" in failed.error and failed.waiting == 12
    assert _server_texts(project_server) == []
    assert {m["state"] for m in patient.docs("messages")} == {"sending"}
    _sync_until_done(patient)
    assert project_proxy.faults_seen("500") == 4
    assert _server_texts(project_server) == [f"message {i} from alice" for i in range(12)]
    _assert_exactly_once(patient, project_server, 0, 12)


def test_refused_items_are_marked_failed_and_the_rest_goes(devices, project_server):
    """Messages to someone the server does not know are refused one by one, like single sends."""
    patient = _patient(devices, project_server)
    add_offline_messages(patient.app, "alice", "nobody_here", 3)
    add_offline_messages(patient.app, "alice", "dr_bob", 3)
    report = patient.sync()
    assert report.sent == {"send_message": 3} and len(report.failed) == 3 and report.waiting == 0
    states = {m["receiver"]: set() for m in patient.docs("messages")}
    for message in patient.docs("messages"):
        states[message["receiver"]].add(message["state"])
    assert states == {"nobody_here": {"failed"}, "dr_bob": {"sent"}}
    assert "sync_problem" in [n["kind"] for n in patient.app.notifications.for_user("alice")]
    assert len(_server_texts(project_server)) == 3


def test_doctor_device_receives_the_batch_in_order(devices, project_server):
    patient = _patient(devices, project_server)
    add_offline_messages(patient.app, "alice", "dr_bob", 40)
    _sync_until_done(patient)
    register_on_server(project_server, "alice", "dr_bob")
    doctor = devices("doctor", project_server)
    doctor.app.accounts.login("dr_bob", PASSWORDS["doctor"])
    assert doctor.sync().messages_pulled == 40
    shown = [m["message"] for m in doctor.app.chat.conversation("dr_bob", "alice")]
    assert shown == [f"message {i} from alice" for i in range(40)]


def test_a_server_without_batches_is_noted_and_legacy_gets_single_sends(devices, legacy_url, legacy_root):
    client = ApiClient(legacy_url)
    with pytest.raises(RequestRejected) as missing:
        client.send_messages([{"sender": "alice", "receiver": "dr_bob", "message": "hi", "client_message_id": "m-1"}])
    assert missing.value.status == 404 and client.capabilities.message_batches is False
    assert client.get_messages("alice", "dr_bob").items == []  # nothing was stored
    # A device on the legacy server sends its backlog one message at a time, in order.
    register_on_server(legacy_url, "alice", "dr_bob")
    patient = devices("legacy-patient", legacy_url)
    patient.app.accounts.login("alice", PASSWORDS["patient"])
    add_offline_messages(patient.app, "alice", "dr_bob", 5)
    _sync_until_done(patient)
    stored = client.get_messages("alice", "dr_bob").items
    assert [m["message"] for m in stored] == [f"message {i} from alice" for i in range(5)]


def test_racing_sends_reach_the_server_in_the_order_they_were_sent(devices, project_server):
    """The first message is held up between its stamp and the outbox while the second is sent."""
    patient = _patient(devices, project_server)
    send_racing(patient.app, "alice", "dr_bob")
    _sync_until_done(patient)
    assert _server_texts(project_server) == ["first", "second"]
