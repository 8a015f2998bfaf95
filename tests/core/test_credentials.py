"""Tokens go to a real keyring backend; when none is usable they stay in memory, or in the owner-only
file IT opted into."""

from keyring.backends import chainer, fail, null

from desktop_app.core.credentials import SERVICE, CredentialStore
from desktop_app.core.token_file import TokenFile
from tests.helpers.keyring import DictKeyring

URL = "http://127.0.0.1:5000"


def test_tokens_are_kept_in_the_keyring_backend():
    backend = DictKeyring()
    creds = CredentialStore(backend)
    assert creds.persistent and creds.user_message is None
    creds.set_token(URL + "/", "alice", "tok-1")
    assert backend.secrets == {(SERVICE, f"{URL}|alice"): "tok-1"}
    assert CredentialStore(backend).get_token(URL, "alice") == "tok-1"  # a later process finds it
    creds.delete_token(URL, "alice")
    creds.delete_token(URL, "alice")  # deleting twice is fine
    assert CredentialStore(backend).get_token(URL, "alice") is None


def test_without_a_usable_keyring_tokens_live_in_memory_and_the_user_is_told(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for backend in (fail.Keyring(), null.Keyring()):
        creds = CredentialStore(backend)
        assert not creds.persistent
        assert "only while the app is open" in creds.user_message
        creds.set_token(URL, "alice", "tok-2")
        assert creds.get_token(URL, "alice") == "tok-2"
        assert CredentialStore(backend).get_token(URL, "alice") is None
    assert list(tmp_path.iterdir()) == []  # nothing written anywhere near


class EmptyChainer(chainer.ChainerBackend):
    backends = []  # what keyring finds on a machine with no keyring service at all


def test_an_empty_chainer_is_not_a_keyring():
    assert not CredentialStore(EmptyChainer()).persistent


class BrokenKeyring(DictKeyring):
    def set_password(self, service, username, password):
        from keyring.errors import PasswordSetError

        raise PasswordSetError("the keyring is locked")


def test_a_keyring_that_fails_at_use_falls_back_to_memory():
    creds = CredentialStore(BrokenKeyring())
    assert creds.persistent
    creds.set_token(URL, "bob", "tok-3")
    assert not creds.persistent and creds.user_message
    assert creds.get_token(URL, "bob") == "tok-3"


def test_the_opted_in_file_keeps_tokens_across_stores_and_only_for_its_owner(tmp_path):
    path = tmp_path / "server-sign-in.json"
    first = CredentialStore(fail.Keyring(), token_file=TokenFile(path))
    assert first.persistent and first.user_message is None
    first.set_token("https://clinic.example/", "alice", "tok-1")
    assert oct(path.stat().st_mode & 0o777) == oct(0o600)
    second = CredentialStore(fail.Keyring(), token_file=TokenFile(path))
    assert second.get_token("https://clinic.example", "alice") == "tok-1"
    second.delete_token("https://clinic.example", "alice")
    assert CredentialStore(fail.Keyring(), token_file=TokenFile(path)).get_token("https://clinic.example", "alice") is None


def test_a_sign_in_file_others_can_read_is_not_used(tmp_path, caplog):
    path = tmp_path / "server-sign-in.json"
    CredentialStore(fail.Keyring(), token_file=TokenFile(path)).set_token("https://c.example", "alice", "tok-1")
    path.chmod(0o644)
    assert CredentialStore(fail.Keyring(), token_file=TokenFile(path)).get_token("https://c.example", "alice") is None
    assert "can be read by other users" in caplog.text


def test_without_a_keyring_or_file_the_message_names_the_opt_in():
    assert "config set sign-in-file on" in CredentialStore(fail.Keyring()).user_message
