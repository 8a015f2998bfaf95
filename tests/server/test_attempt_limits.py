"""Sign-in and enrollment limits as an attacker meets them: counted before the hash, per caller, with Retry-After."""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from devkit.loopback import serve_wsgi
from server.app import create_app, state_of
from tests.server.conftest import ENROLLMENT_CODE, PASSWORD, Api, server_config

ATTACKER = {"REMOTE_ADDR": "10.66.6.6"}
CLINIC_PC = {"REMOTE_ADDR": "10.1.1.20"}


def _login(app, username: str, password: str, address: dict):
    return app.test_client().post("/login", json={"username": username, "password": password}, environ_base=address)


def _doctor(app, username: str, code: str, address: dict):
    body = {"username": username, "email": f"{username}@clinic.test", "password": PASSWORD, "role": "doctor",
            "enrollment_code": code}
    return app.test_client().post("/register", json=body, environ_base=address)


@pytest.fixture
def limited_app(tmp_path, database_url):
    app = create_app(server_config(tmp_path, database_url, login_delay_base_s=1.0))
    Api(app.test_client()).register("alice")
    yield app
    state_of(app).storage.close()


def test_concurrent_wrong_passwords_are_counted_before_the_hash(tmp_path, database_url):
    # A slower hash widens the window the old check-then-hash-then-count order left open.
    app = create_app(server_config(tmp_path, database_url, scrypt_n=2**14))
    Api(app.test_client()).register("alice")
    with serve_wsgi(app) as url, ThreadPoolExecutor(32) as pool:
        answers = list(pool.map(lambda _: requests.post(f"{url}/login", timeout=60, json={
            "username": "alice", "password": "wrong guess"}).status_code, range(32)))
    assert answers.count(401) == 5 and answers.count(429) == 27
    state_of(app).storage.close()


def test_an_attacker_cannot_lock_the_real_user_out(limited_app):
    for _ in range(5):
        assert _login(limited_app, "alice", "wrong guess", ATTACKER).status_code == 401
    refused = _login(limited_app, "alice", PASSWORD, ATTACKER)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    # The patient at the clinic's computer signs in as usual.
    assert _login(limited_app, "alice", PASSWORD, CLINIC_PC).status_code == 200


def test_each_further_miss_from_the_same_address_waits_longer(limited_app):
    for _ in range(5):
        _login(limited_app, "alice", "wrong guess", ATTACKER)
    time.sleep(1.05)  # the first delay (1 s) has passed: one more try
    assert _login(limited_app, "alice", "wrong guess", ATTACKER).status_code == 401
    time.sleep(1.05)  # not enough now: the delay doubled to 2 s
    assert _login(limited_app, "alice", "wrong guess", ATTACKER).status_code == 429
    time.sleep(1.0)
    assert _login(limited_app, "alice", PASSWORD, ATTACKER).status_code == 200
    # A success starts the pair afresh.
    assert _login(limited_app, "alice", "wrong guess", ATTACKER).status_code == 401


def test_the_account_as_a_whole_has_a_ceiling(tmp_path, database_url):
    app = create_app(server_config(tmp_path, database_url, login_max_failures_account_total=3))
    Api(app.test_client()).register("alice")
    for last in (1, 2, 3):
        assert _login(app, "alice", "wrong guess", {"REMOTE_ADDR": f"10.9.9.{last}"}).status_code == 401
    assert _login(app, "alice", PASSWORD, {"REMOTE_ADDR": "10.9.9.4"}).status_code == 429
    state_of(app).storage.close()


def test_wrong_enrollment_codes_meet_429_per_address(app, caplog):
    caplog.set_level(logging.WARNING, logger="server")
    answers = [_doctor(app, f"dr_guess{i}", f"guess-{i:04d}", ATTACKER) for i in range(100)]
    codes = [a.status_code for a in answers]
    assert codes[:10] == [403] * 10 and set(codes[10:]) == {429}
    assert int(answers[-1].headers["Retry-After"]) > 60
    assert "wrong doctor enrollment code from 10.66.6.6" in caplog.text
    assert "guess-0001" not in caplog.text  # the attempted codes themselves stay out of the log
    # A doctor at another address enrols with the right code.
    assert _doctor(app, "dr_real", ENROLLMENT_CODE, CLINIC_PC).status_code == 200


def test_wrong_enrollment_codes_meet_429_per_role(tmp_path, database_url):
    app = create_app(server_config(tmp_path, database_url, enrollment_max_failures_role=4))
    for i in range(4):
        assert _doctor(app, f"dr_{i}", "wrong-code", {"REMOTE_ADDR": f"10.7.7.{i}"}).status_code == 403
    assert _doctor(app, "dr_5", "wrong-code", {"REMOTE_ADDR": "10.7.7.50"}).status_code == 429
    state_of(app).storage.close()


@pytest.mark.parametrize("code", ["1234", "clinic", "aaaaaaaaaaaaaaaa", "abcabcabcabc"])
def test_a_guessable_enrollment_code_is_refused_and_said_at_start(tmp_path, database_url, caplog, code):
    caplog.set_level(logging.ERROR, logger="server")
    app = create_app(server_config(tmp_path, database_url, enrollment_code=code))
    assert "enrollment code is too easy to guess" in caplog.text
    answer = _doctor(app, "dr_bob", code, CLINIC_PC)
    assert answer.status_code == 403 and answer.json["error"] == "doctor_enrollment_disabled"
    assert "longer" in answer.json["message"]
    state_of(app).storage.close()
