"""Security rules: hashing at rest, tokens, rate limits, one-time codes, size limits, CORS, legacy hashes."""

from __future__ import annotations

import base64
import logging
import threading

from werkzeug.security import generate_password_hash

from server.app import create_app, state_of
from server.auth import token_digest
from tests.server.conftest import PASSWORD, Api, scan_png, server_config


def test_password_is_stored_only_as_a_scrypt_verifier(api, app):
    stored = state_of(app).storage.get_user("alice")["password_hash"]
    assert stored.startswith("scrypt$") and PASSWORD not in stored


def test_tokens_are_hashed_at_rest_and_revoked_at_logout(api, app):
    token = api.tokens["alice"]
    row = state_of(app).storage.get_token(token_digest(token))
    assert row is not None and token not in str(row)
    assert api.post("/logout", {}, as_="alice").json == {"status": "ok"}
    again = api.post("/list_reports", {"username": "alice"}, as_="alice")
    assert again.status_code == 401 and again.json == {"error": "invalid_token"}


def test_tokens_expire(tmp_path, database_url):
    app = create_app(server_config(tmp_path, database_url, token_ttl=0))
    api = Api(app.test_client())
    api.register("erin")
    api.login("erin")
    answer = api.post("/list_reports", {"username": "erin"}, as_="erin")
    assert answer.status_code == 401 and answer.json == {"error": "token_expired"}
    state_of(app).storage.close()


def test_missing_or_garbage_token(api):
    assert api.post("/list_reports", {"username": "alice"}).json == {"error": "token_required"}
    answer = api.client.post("/list_reports", json={"username": "alice"}, headers={"Authorization": "Bearer nope"})
    assert answer.status_code == 401 and answer.json == {"error": "invalid_token"}


def test_failed_logins_are_rate_limited_per_account(api):
    for _ in range(5):
        assert api.post("/login", {"username": "alice", "password": "wrong guess"}).status_code == 401
    limited = api.post("/login", {"username": "alice", "password": PASSWORD})
    assert limited.status_code == 429 and limited.json == {"error": "too_many_attempts"}
    assert int(limited.headers["Retry-After"]) > 0
    assert api.post("/login", {"username": "bert", "password": PASSWORD}).status_code == 200  # others unaffected


def test_failed_logins_are_rate_limited_per_address(tmp_path, database_url):
    app = create_app(server_config(tmp_path, database_url, login_max_failures_address=3))
    api = Api(app.test_client())
    for name in ("u1", "u2", "u3"):
        assert api.post("/login", {"username": name, "password": "whatever pw"}).status_code == 401
    assert api.post("/login", {"username": "u4", "password": "whatever pw"}).status_code == 429
    other = app.test_client().post("/login", json={"username": "u4", "password": "whatever pw"},
                                   environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert other.status_code == 401
    state_of(app).storage.close()


def test_request_otp_answers_the_same_for_unknown_users(api, caplog):
    caplog.set_level(logging.WARNING, logger="server.otp")
    known = api.post("/request_otp", {"username": "alice"})
    unknown = api.post("/request_otp", {"username": "nobody-here"})
    assert (known.status_code, known.json) == (unknown.status_code, unknown.json) == (200, {"status": "ok"})
    assert "debug_otp" not in known.json
    assert not any("nobody-here" in r.getMessage() for r in caplog.records)


def _code_from_log(caplog, username: str) -> str:
    messages = [r.getMessage() for r in caplog.records if f"code for {username}:" in r.getMessage()]
    return messages[-1].split(": ")[1].split(" ")[0]


def test_otp_allows_five_attempts(api, caplog):
    caplog.set_level(logging.WARNING, logger="server.otp")
    api.post("/request_otp", {"username": "alice"})
    code = _code_from_log(caplog, "alice")
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(5):
        assert api.post("/verify_otp", {"username": "alice", "otp": wrong, "new_password": "new secret 12"}).status_code == 400
    # The right code after five wrong ones is refused: the code is used up.
    assert api.post("/verify_otp", {"username": "alice", "otp": code, "new_password": "new secret 12"}).status_code == 400


def test_otp_expires(tmp_path, database_url, caplog):
    caplog.set_level(logging.WARNING, logger="server.otp")
    app = create_app(server_config(tmp_path, database_url, otp_ttl=0))
    api = Api(app.test_client())
    api.register("fay")
    api.post("/request_otp", {"username": "fay"})
    code = _code_from_log(caplog, "fay")
    assert api.post("/verify_otp", {"username": "fay", "otp": code, "new_password": "new secret 12"}).json == {
        "error": "invalid_otp"}
    state_of(app).storage.close()


def test_otp_reset_signs_out_every_device(api, caplog):
    caplog.set_level(logging.WARNING, logger="server.otp")
    api.post("/request_otp", {"username": "alice"})
    api.post("/verify_otp", {"username": "alice", "otp": _code_from_log(caplog, "alice"), "new_password": "new secret 12"})
    assert api.post("/list_reports", {}, as_="alice").status_code == 401


def test_legacy_werkzeug_hashes_sign_in_and_are_upgraded(api, app):
    storage = state_of(app).storage
    for name, method in (("old_pbkdf2", "pbkdf2:sha256"), ("old_scrypt", "scrypt")):
        storage.create_user({"username": name, "email": "", "password_hash": generate_password_hash("legacy pw 1", method=method),
                             "role": "patient", "is_admin": False, "doctor": None, "full_name": "",
                             "created_at": 0, "imported": True})
        assert api.post("/login", {"username": name, "password": "wrong"}).status_code == 401
        assert api.post("/login", {"username": name, "password": "legacy pw 1"}).status_code == 200
        assert storage.get_user(name)["password_hash"].startswith("scrypt$")
        assert api.post("/login", {"username": name, "password": "legacy pw 1"}).status_code == 200


def test_request_size_limit(tmp_path, database_url):
    app = create_app(server_config(tmp_path, database_url, max_request_bytes=50_000))
    answer = app.test_client().post("/login", data=b"{" + b" " * 60_000 + b"}", content_type="application/json")
    assert answer.status_code == 413 and answer.json == {"error": "payload_too_large"}
    state_of(app).storage.close()


def test_image_size_limit(tmp_path, database_url):
    app = create_app(server_config(tmp_path, database_url, max_image_bytes=1000))
    api = Api(app.test_client())
    api.register("gus")
    api.login("gus")
    answer = api.post("/predict", {"username": "gus", "image_b64": base64.b64encode(scan_png()).decode()}, as_="gus")
    assert answer.status_code == 413 and answer.json == {"error": "image_too_large"}
    state_of(app).storage.close()


def test_cors_is_off_unless_configured(api, tmp_path, database_url):
    plain = api.client.get("/health", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in plain.headers
    app = create_app(server_config(tmp_path / "cors", database_url, cors_origins=("https://clinic.example",)))
    client = app.test_client()
    assert client.get("/health", headers={"Origin": "https://clinic.example"}).headers[
        "Access-Control-Allow-Origin"] == "https://clinic.example"
    assert "Access-Control-Allow-Origin" not in client.get("/health", headers={"Origin": "https://evil.example"}).headers
    state_of(app).storage.close()


def test_legacy_unauthenticated_mode_is_opt_in(tmp_path, database_url):
    app = create_app(server_config(tmp_path, database_url, allow_legacy_unauthenticated=True))
    api = Api(app.test_client())
    api.register("hal")
    assert api.post("/list_reports", {"username": "hal"}).status_code == 200
    assert api.post("/list_reports", {"username": "all"}).status_code == 401  # never "all" without a token
    assert api.post("/trigger_aggregation", {}).status_code == 401
    state_of(app).storage.close()


def test_legacy_mode_keeps_weight_uploads_token_only(tmp_path, database_url):
    import io

    from tests.server.conftest import head_npz

    app = create_app(server_config(tmp_path, database_url, allow_legacy_unauthenticated=True))
    api = Api(app.test_client())
    api.register("dr_bob", role="doctor")
    anonymous_json = api.post("/upload_weights", {"username": "dr_bob", "weights": [[0.1, 0.2]]})
    assert anonymous_json.status_code == 401 and anonymous_json.json == {"error": "token_required"}
    anonymous_npz = api.client.post("/upload_weights", content_type="multipart/form-data", data={
        "username": "dr_bob", "num_examples": "5", "weights": (io.BytesIO(head_npz(0.1)), "update.npz")})
    assert anonymous_npz.status_code == 401
    api.login("dr_bob")
    assert api.post("/upload_weights", {"username": "dr_bob", "weights": [[0.1, 0.2]]}, as_="dr_bob").status_code == 200
    state_of(app).storage.close()


def test_new_passwords_need_eight_characters(api):
    answer = api.post("/register", {"username": "ivy", "email": "i@x.test", "password": "short"})
    assert answer.status_code == 400 and answer.json["error"] == "weak_password"
    assert api.post("/register", {"username": "all", "email": "a@x.test", "password": PASSWORD}).json == {
        "error": "invalid_username"}


def test_concurrent_reset_code_tries_each_get_their_own_count(api, app):
    """Each try of a reset code sees its own count (PostgreSQL used to read the count before
    incrementing it, so simultaneous tries shared one count and more than five codes were compared)."""
    from concurrent.futures import ThreadPoolExecutor

    storage = state_of(app).storage
    api.post("/request_otp", {"username": "alice"})
    start = threading.Barrier(20)

    def one_try(_):
        start.wait(timeout=30)
        return storage.take_otp_attempt("alice")["attempts"]

    with ThreadPoolExecutor(20) as pool:
        counts = list(pool.map(one_try, range(20)))
    assert sorted(counts) == list(range(1, 21))
