"""Offline accounts: register, sign in and out, doctor enrollment, backoff, password change, session."""

import pytest

from desktop_app.core import events
from desktop_app.core.accounts import AccessDenied, AccountError
from desktop_app.core.login_guard import wait_after_failures
from desktop_app.core.settings import ENROLLMENT_CODE_ENV
from tests.core.conftest import PASSWORD, setup_clinic


def test_patient_registers_offline_signs_out_and_back_in(app):
    seen = []
    app.events.subscribe(seen.append, prefix="account.")
    setup_clinic(app)
    assert app.accounts.current_user.username == "alice"
    app.accounts.logout()
    assert app.accounts.current_user is None
    user = app.accounts.login("  Alice ", PASSWORD)
    assert (user.username, user.role, user.doctor, user.full_name) == ("alice", "patient", "dr_bob", "Alice Moss")
    assert app.accounts.current_user == user
    topics = [e.topic for e in seen]
    assert topics.count(events.ACCOUNT_SIGNED_IN) == 3 and events.ACCOUNT_SIGNED_OUT in topics


def test_the_store_holds_a_verifier_never_the_password(app, data_dir):
    setup_clinic(app)
    doc = app.store.collection("users").get("alice")
    assert doc["password_verifier"].startswith("scrypt$")
    for path in data_dir.rglob("*"):
        if path.is_file():
            assert PASSWORD.encode() not in path.read_bytes(), path


def test_the_signed_in_user_is_remembered_by_the_data_dir(open_app):
    first = open_app()
    setup_clinic(first)
    first.close()
    again = open_app()
    assert again.accounts.current_user.username == "alice"
    again.close()
    fresh = open_app(restore_session=False)
    assert fresh.accounts.current_user is None


@pytest.mark.parametrize(
    ("username", "email", "password", "role", "words"),
    [
        ("a", "a@b.org", PASSWORD, "patient", "3 to 32 characters"),
        ("bad name", "a@b.org", PASSWORD, "patient", "3 to 32 characters"),
        ("carol", "not-an-email", PASSWORD, "patient", "valid email"),
        ("carol", "c@b.org", "short", "patient", "at least 8"),
        ("carol", "c@b.org", "Password123", "patient", "most common"),
        ("carol", "c@b.org", PASSWORD, "admin", "patient or a doctor"),
    ],
)
def test_bad_registration_details_get_plain_reasons(app, username, email, password, role, words):
    with pytest.raises(AccountError, match=words):
        app.accounts.register(username, email, password, role)
    assert app.store.collection("users").all() == []


def test_duplicate_usernames_and_wrong_passwords_are_refused(app):
    setup_clinic(app)
    with pytest.raises(AccountError, match="already taken"):
        app.accounts.register("ALICE", "other@example.org", PASSWORD, "patient", doctor="dr_bob")
    app.accounts.logout()
    with pytest.raises(AccountError, match="username or password is not correct"):
        app.accounts.login("alice", "wrong password")
    with pytest.raises(AccountError, match="username or password is not correct"):
        app.accounts.login("nobody", PASSWORD)
    assert app.accounts.current_user is None


def test_a_patient_must_name_a_real_doctor_here(app):
    setup_clinic(app)
    app.accounts.logout()
    with pytest.raises(AccountError, match="no doctor “dr_who”"):
        app.accounts.register("carol", "c@x.org", PASSWORD, "patient", doctor="dr_who")
    with pytest.raises(AccountError, match="not a doctor's account"):
        app.accounts.register("carol", "c@x.org", PASSWORD, "patient", doctor="alice")


def test_first_doctor_administers_and_later_doctors_need_the_code(app):
    bob = app.accounts.register("dr_bob", "bob@clinic.org", PASSWORD, "doctor")
    assert bob.is_admin
    app.accounts.logout()
    with pytest.raises(AccountError, match="needs an enrollment code. Ask Dr. dr_bob"):
        app.accounts.register("dr_eve", "eve@clinic.org", PASSWORD, "doctor")
    app.accounts.login("dr_bob", PASSWORD)
    app.accounts.set_enrollment_code("clinic-2026")
    app.accounts.logout()
    with pytest.raises(AccountError, match="not correct"):
        app.accounts.register("dr_eve", "eve@clinic.org", PASSWORD, "doctor", enrollment_code="guess-1234")
    eve = app.accounts.register("dr_eve", "eve@clinic.org", PASSWORD, "doctor", enrollment_code="clinic-2026")
    assert eve.is_doctor and not eve.is_admin
    with pytest.raises(AccessDenied, match="administrator"):
        app.accounts.set_enrollment_code("another-code")
    assert "clinic-2026" not in str(app.store.collection("settings").get("app"))


def test_a_managed_install_sets_the_code_in_the_environment(app, monkeypatch):
    monkeypatch.setenv(ENROLLMENT_CODE_ENV, "managed-code")
    with pytest.raises(AccountError, match="needs the clinic's enrollment code"):
        app.accounts.register("dr_bob", "bob@clinic.org", PASSWORD, "doctor")
    user = app.accounts.register("dr_bob", "bob@clinic.org", PASSWORD, "doctor", enrollment_code="managed-code")
    assert not user.is_admin


def test_repeated_failures_back_off_and_survive_a_restart(open_app, clock):
    app = open_app()
    setup_clinic(app)
    app.accounts.logout()
    for _ in range(5):
        with pytest.raises(AccountError, match="not correct"):
            app.accounts.login("alice", "wrong password")
    with pytest.raises(AccountError, match="wait 30 seconds"):
        app.accounts.login("alice", PASSWORD)  # even the right password waits
    app.close()
    app = open_app()
    with pytest.raises(AccountError, match="Too many"):
        app.accounts.login("alice", PASSWORD)
    clock.advance(31)
    assert app.accounts.login("alice", PASSWORD).username == "alice"
    app.accounts.logout()
    with pytest.raises(AccountError, match="not correct"):
        app.accounts.login("alice", "wrong password")  # a success resets the count
    assert [wait_after_failures(n) for n in (4, 5, 6, 7, 30)] == [0, 30, 60, 120, 900]


def test_change_password(app):
    setup_clinic(app)
    with pytest.raises(AccountError, match="current password is not correct"):
        app.accounts.change_password("wrong one!", "brand new pass")
    with pytest.raises(AccountError, match="at least 8"):
        app.accounts.change_password(PASSWORD, "short")
    app.accounts.change_password(PASSWORD, "brand new pass")
    app.accounts.logout()
    with pytest.raises(AccountError):
        app.accounts.login("alice", PASSWORD)
    assert app.accounts.login("alice", "brand new pass").username == "alice"


def test_idle_logout_setting_is_kept_and_bounded(open_app):
    app = open_app()
    assert app.settings.idle_logout_minutes == 15
    app.settings.set_idle_logout_minutes(5)
    app.close()
    app = open_app()
    assert app.settings.idle_logout_minutes == 5
    app.settings.set_idle_logout_minutes(0)
    assert app.settings.idle_logout_minutes == 1


def test_directory_of_doctors_and_their_patients(app):
    setup_clinic(app)
    assert [d.username for d in app.accounts.doctors()] == ["dr_bob"]
    assert [p.username for p in app.accounts.patients_of("dr_bob")] == ["alice"]
    updated = app.accounts.update_profile(phone="+44 20 7946 0000", full_name="Alice M. Moss")
    assert updated.phone == "+44 20 7946 0000" and app.accounts.get("alice").full_name == "Alice M. Moss"
