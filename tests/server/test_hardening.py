"""What the server leaves on disk and in headers: private files, no caching, no sniffing, no banner, no timings."""

from __future__ import annotations

import stat
import threading
from pathlib import Path

import requests
from werkzeug.serving import make_server

from server.app import create_app, state_of
from server.headers import UnversionedRequestHandler
from tests.server.conftest import server_config


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
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=UnversionedRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        answer = requests.get(f"http://127.0.0.1:{server.server_port}/health", timeout=30)
    finally:
        server.shutdown()
        thread.join(timeout=10)
    assert answer.headers["Server"] == "TumorPredict"
