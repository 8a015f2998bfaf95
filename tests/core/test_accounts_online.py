"""Accounts with a server configured: a real legacy server on 127.0.0.1, stopped and started by the test."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from desktop_app.core.accounts import AccountError
from desktop_app.core.credentials import SERVICE
from devkit.legacy_server import create_legacy_app
from devkit.loopback import LoopbackServer, free_port
from tests.core.conftest import PASSWORD


class LegacyServer:
    """The legacy server on a fixed loopback port, so it can go away and come back at the same address."""

    def __init__(self, root: Path):
        self.users_file = root / "fl_server" / "storage" / "users.json"
        self._server = LoopbackServer(create_legacy_app(root), port=free_port())
        self.url = self._server.url
        self.start, self.stop = self._server.start, self._server.stop

    def users(self) -> dict:
        return json.loads(self.users_file.read_text()) if self.users_file.exists() else {}


@pytest.fixture
def server(tmp_path):
    legacy = LegacyServer(tmp_path / "server")
    legacy.start()
    yield legacy
    legacy.stop()


def test_online_registration_reaches_the_server_and_keeps_the_token_in_the_keyring(open_app, server, dict_keyring):
    app = open_app(server.url)
    user = app.accounts.register("alice", "alice@example.org", PASSWORD, "patient")
    assert user.server_user and "alice" in server.users()
    key = (SERVICE, f"{server.url}|alice")
    assert dict_keyring.secrets.get(key)
    assert app.accounts.token() == dict_keyring.secrets[key]
    app.accounts.logout()
    assert key not in dict_keyring.secrets


def test_signed_in_online_once_then_offline_later(open_app, server):
    app = open_app(server.url)
    app.accounts.register("alice", "alice@example.org", PASSWORD, "patient")
    app.accounts.logout()
    server.stop()
    assert app.accounts.login("alice", PASSWORD).username == "alice"
    app.accounts.logout()
    with pytest.raises(AccountError, match="not correct"):
        app.accounts.login("alice", "not her password")


def test_a_user_known_only_to_the_server_signs_in_online_then_offline(open_app, server, tmp_path):
    import requests

    requests.post(server.url + "/register", json={"username": "dave", "email": "d@x.org", "password": PASSWORD}, timeout=5)
    app = open_app(server.url)
    server.stop()
    with pytest.raises(AccountError, match="has not signed in on this computer before"):
        app.accounts.login("dave", PASSWORD)
    server.start()
    user = app.accounts.login("dave", PASSWORD)
    assert user.role == "patient" and user.server_user  # the legacy server keeps no roles: least privilege
    app.accounts.logout()
    server.stop()
    assert app.accounts.login("dave", PASSWORD).username == "dave"


def test_an_account_made_while_the_server_is_away_reaches_it_at_the_next_online_sign_in(open_app, server):
    server.stop()
    app = open_app(server.url)
    user = app.accounts.register("alice", "alice@example.org", PASSWORD, "patient")
    assert not user.server_user
    assert [e.kind for e in app.store.outbox.pending()] == ["register_account"]
    app.accounts.logout()
    server.start()
    assert app.accounts.login("alice", PASSWORD).server_user
    assert "alice" in server.users()
    assert [e.kind for e in app.store.outbox.pending()] == []


def test_the_server_refusal_is_passed_on_in_plain_words(open_app, server):
    import requests

    requests.post(server.url + "/register", json={"username": "alice", "email": "a@x.org", "password": "other-password"}, timeout=5)
    app = open_app(server.url)
    with pytest.raises(AccountError, match="already taken on the server"):
        app.accounts.register("alice", "alice@example.org", PASSWORD, "patient")
    assert app.accounts.get("alice") is None


def test_doctors_are_never_enrolled_offline_when_a_server_decides(open_app, server):
    server.stop()
    app = open_app(server.url)
    with pytest.raises(AccountError, match="confirmed by the clinic server"):
        app.accounts.register("dr_bob", "bob@clinic.org", PASSWORD, "doctor")
    assert app.accounts.get("dr_bob") is None


def test_without_a_keyring_the_token_lives_in_memory_only(open_app, server, data_dir):
    from keyring.backends import fail

    from desktop_app.core.credentials import CredentialStore

    app = open_app(server.url, credentials=CredentialStore(fail.Keyring()))
    app.accounts.register("alice", "alice@example.org", PASSWORD, "patient")
    assert app.accounts.token() and "only while the app is open" in app.credentials.user_message
    token = app.accounts.token()
    assert not any(token.encode() in p.read_bytes() for p in data_dir.rglob("*") if p.is_file())
    app.close()
    assert open_app(credentials=CredentialStore(fail.Keyring())).accounts.token() is None


def test_a_server_managed_password_is_not_changed_behind_the_servers_back(open_app, server):
    app = open_app(server.url)
    app.accounts.register("alice", "alice@example.org", PASSWORD, "patient")
    with pytest.raises(AccountError, match="Forgot password"):
        app.accounts.change_password(PASSWORD, "a brand new password")
    app.accounts.logout()
    assert app.accounts.login("alice", PASSWORD).username == "alice"
