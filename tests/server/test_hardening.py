"""What the server gives away: files on disk, headers, timings, and reset codes in its log."""

from __future__ import annotations

import logging
import stat
import statistics
import time
from pathlib import Path

import requests

from devkit.loopback import serve_wsgi
from server.app import create_app, state_of
from server.headers import UnversionedRequestHandler
from tests.server.conftest import Api, server_config


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_data_folder_and_database_files_are_private(tmp_path):
    own = create_app(server_config(tmp_path / "own", "", data_dir=tmp_path / "own" / "data"))
    try:
        own.test_client().post("/register", json={"username": "p", "email": "p@x.test",
                                                  "password": "a long password 1"})
        folder = state_of(own).config.data_dir
        assert _mode(folder) == 0o700
        files = [folder / name for name in ("tumorpredict.sqlite3", "tumorpredict.sqlite3-wal",
                                            "tumorpredict.sqlite3-shm")]
        assert files[0].exists() and files[1].exists()
        for each in files:
            if each.exists():
                assert _mode(each) == 0o600, each
    finally:
        state_of(own).storage.close()


def test_a_folder_an_older_version_left_open_is_closed_at_start(tmp_path):
    folder = tmp_path / "data"
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)
    database = folder / "tumorpredict.sqlite3"
    database.touch()
    database.chmod(0o644)
    app = create_app(server_config(tmp_path, "", data_dir=folder))
    assert _mode(folder) == 0o700 and _mode(database) == 0o600
    state_of(app).storage.close()


def test_answers_are_not_cached_sniffed_or_timed(api):
    for answer in (api.post("/list_reports", {"username": "alice"}, as_="alice"), api.get("/health"),
                   api.post("/login", {"username": "alice", "password": "wrong guess"})):
        assert answer.headers["Cache-Control"] == "no-store"
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
        assert "Server-Timing" not in answer.headers


def test_server_timing_only_when_an_operator_turns_it_on(tmp_path, database_url):
    app = create_app(server_config(tmp_path, database_url, server_timing=True))
    assert app.test_client().get("/health").headers["Server-Timing"].startswith("app;dur=")
    state_of(app).storage.close()


def test_cors_never_allows_the_null_origin(tmp_path, database_url):
    app = create_app(server_config(tmp_path, database_url, cors_origins=("*",)))
    client = app.test_client()
    assert "Access-Control-Allow-Origin" not in client.get("/health", headers={"Origin": "null"}).headers
    assert client.get("/health", headers={"Origin": "https://clinic.example"}).headers[
        "Access-Control-Allow-Origin"] == "https://clinic.example"
    state_of(app).storage.close()


def test_the_development_server_names_no_versions(app):
    with serve_wsgi(app, request_handler=UnversionedRequestHandler) as url:
        answer = requests.get(f"{url}/health", timeout=30)
    assert answer.headers["Server"] == "TumorPredict"


def _in_app_ms(app, username: str) -> float:
    started = time.perf_counter()
    answer = app.test_client().post("/request_otp", json={"username": username})
    elapsed = (time.perf_counter() - started) * 1000
    assert answer.status_code == 200
    return elapsed


def test_request_otp_takes_as_long_for_unknown_names(tmp_path, database_url):
    # otp_max_attempts high so every request issues a code: the slow path the attack measured.
    app = create_app(server_config(tmp_path, database_url, otp_max_attempts=1000))
    Api(app.test_client()).register("alice")
    known, unknown = [], []
    for _ in range(40):  # interleaved, so machine noise falls on both alike
        known.append(_in_app_ms(app, "alice"))
        unknown.append(_in_app_ms(app, "nobody-here"))
    # Before, an unknown name skipped every database write: about a tenth of the time.
    assert statistics.median(unknown) >= 0.6 * statistics.median(known), (known, unknown)
    state_of(app).storage.close()


def test_production_refuses_the_reset_flow_without_mail(tmp_path, database_url, caplog):
    caplog.set_level(logging.WARNING, logger="server")
    app = create_app(server_config(tmp_path, database_url, development=False))
    assert "password reset by code is off" in caplog.text
    Api(app.test_client()).register("alice")
    caplog.clear()
    answer = app.test_client().post("/request_otp", json={"username": "alice"})
    assert answer.status_code == 503 and answer.json["error"] == "password_reset_unavailable"
    assert "administrator" in answer.json["message"]
    assert "code for alice" not in caplog.text
    state_of(app).storage.close()


def test_development_mode_says_loudly_that_codes_go_to_the_log(tmp_path, database_url, caplog):
    caplog.set_level(logging.WARNING, logger="server")
    app = create_app(server_config(tmp_path, database_url, development=True))
    assert "codes will be written to the server log" in caplog.text
    state_of(app).storage.close()


def test_a_delivery_program_gets_the_code_on_stdin(tmp_path, database_url, caplog):
    caplog.set_level(logging.WARNING, logger="server")
    outbox = tmp_path / "delivered.txt"
    hook = tmp_path / "deliver.sh"
    hook.write_text(f'#!/bin/sh\nread code\necho "$1 $2 $code" > {outbox}\n')
    hook.chmod(0o700)
    app = create_app(server_config(tmp_path, database_url, development=False, otp_hook=str(hook)))
    Api(app.test_client()).register("alice")
    assert app.test_client().post("/request_otp", json={"username": "alice"}).status_code == 200
    deadline = time.monotonic() + 20
    while not outbox.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    username, email, code = outbox.read_text().split()
    assert (username, email) == ("alice", "alice@clinic.test") and len(code) == 6
    assert code not in caplog.text
    state_of(app).storage.close()
