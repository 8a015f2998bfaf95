"""The API client against the real legacy server on loopback, directly and through faults."""

from __future__ import annotations

import pytest

from desktop_app.core.api_client import ApiClient, RequestRejected, ServerFailed, ServerUnreachable


def test_legacy_accounts_and_otp(legacy_url):
    client = ApiClient(legacy_url)
    assert client.register("alice", "a@example.org", "pw-1")["status"] == "ok"
    with pytest.raises(RequestRejected) as taken:
        client.register("alice", "a@example.org", "pw-1")
    assert taken.value.code == "username_taken"
    login = client.login("alice", "pw-1")
    assert login.token and login.role is None  # a legacy server keeps no roles
    otp = client.request_otp("alice")["debug_otp"]
    client.verify_otp("alice", otp, "pw-2")
    with pytest.raises(RequestRejected) as wrong:
        client.login("alice", "pw-1")
    assert "not correct" in wrong.value.user_message
    client.login("alice", "pw-2")
    client.logout()  # a legacy server has no /logout: the token is simply forgotten
    assert client.token is None


def test_legacy_shapes_are_detected(legacy_url):
    client = ApiClient(legacy_url)
    result = client.predict("alice", b"\x89PNG fake bytes", client_report_id="r-1")
    assert result.report_id is None and result.label == "No Tumor"
    page = client.list_reports("alice", since="0")
    assert page.cursor is None and len(page.items) == 1
    assert client.capabilities.legacy and not client.capabilities.honours_idempotency_keys
    assert client.send_message("alice", "dr_bob", "hello", client_message_id="m-1")
    assert [m["message"] for m in client.get_messages("dr_bob", "alice").items] == ["hello"]
    assert client.get_global_meta()["version"] == "v1"


def test_unreachable_server_is_reported_in_plain_words():
    client = ApiClient("http://127.0.0.1:9", max_retries=1, backoff_base=0.01)
    with pytest.raises(ServerUnreachable) as down:
        client.list_reports("alice")
    assert "could not be reached" in down.value.user_message


def test_read_only_calls_retry_through_500s(legacy_proxy):
    client = ApiClient(legacy_proxy.url, backoff_base=0.01)
    legacy_proxy.inject("500", "/list_reports", count=2)
    assert client.list_reports("all").items == []
    assert legacy_proxy.faults_seen("500") == 2


def test_writes_without_an_honoured_key_are_not_retried(legacy_proxy, legacy_root):
    client = ApiClient(legacy_proxy.url, backoff_base=0.01)
    legacy_proxy.inject("reset_after_commit", "/send_message")
    with pytest.raises(ServerUnreachable):
        client.send_message("alice", "dr_bob", "hi", client_message_id="m-1")
    # The legacy server committed once; the client did not blindly resend and duplicate it.
    assert len(client.get_messages("alice", "dr_bob").items) == 1


def test_hang_hits_the_read_timeout(legacy_proxy):
    client = ApiClient(legacy_proxy.url, read_timeout=0.5, max_retries=0)
    legacy_proxy.inject("hang", "/list_reports")
    with pytest.raises(ServerUnreachable) as slow:
        client.list_reports("all")
    assert "did not answer in time" in slow.value.user_message


def test_persistent_500_on_a_write_is_a_server_failure(legacy_proxy):
    client = ApiClient(legacy_proxy.url, backoff_base=0.01)
    legacy_proxy.inject("500", "/doctor_update_report")
    with pytest.raises(ServerFailed):
        client.doctor_update_report("x", "approve", "ok")


def test_keyed_writes_retry_once_the_server_honours_keys(project_proxy):
    from devkit.sync_scenario import PASSWORDS, register_on_server

    register_on_server(project_proxy.url, "alice", "dr_bob")
    client = ApiClient(project_proxy.url, backoff_base=0.01)
    assert client.login("alice", PASSWORDS["patient"]).role == "patient"
    assert client.list_reports("alice", since=0).cursor is not None
    assert client.capabilities.honours_idempotency_keys and not client.capabilities.legacy
    project_proxy.inject("reset_after_commit", "/send_message")
    project_proxy.inject("500", "/send_message")
    first = client.send_message("alice", "dr_bob", "hello", client_message_id="m-1")
    # Reset after the commit, then a 500, then the retry: one call for the caller, one message stored.
    assert project_proxy.faults_seen("reset_after_commit") == 1 and project_proxy.faults_seen("500") == 1
    assert [m["id"] for m in client.get_messages("alice", "dr_bob").items] == [first]
