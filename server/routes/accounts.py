"""Accounts: register, login, logout, password reset by one-time code, health."""

from __future__ import annotations

import hmac

from flask import Blueprint, jsonify, request
from sqlalchemy import text as sql_text

from desktop_app.core.common_passwords import is_common_password
from server import attempts, auth, otp
from server.errors import ApiError
from server.routes import state
from server.startup_checks import enrollment_code_problem
from server.storage import DuplicateError
from server.validation import json_body, name, text

blueprint = Blueprint("accounts", __name__)

MIN_PASSWORD = 8
MAX_PASSWORD = 256
RESERVED_NAMES = {"all", "pending"}  # /list_reports gives these a meaning of their own
UNKNOWN_USER_SLOT = ""  # where /request_otp puts codes for names that have no account (no name is empty)


def public_user(user: dict) -> dict:
    return {
        "username": user["username"],
        "email": user["email"],
        "role": user["role"],
        "is_admin": bool(user["is_admin"]),
        "doctor": user["doctor"],
        "full_name": user["full_name"],
    }


@blueprint.post("/register")
def register():
    body = json_body()
    missing = "username, email, password required"
    username = name(body, "username", required=True, missing=missing)
    email = text(body, "email", max_len=320, required=True, missing=missing)
    password = text(body, "password", max_len=MAX_PASSWORD, required=True, missing=missing)
    if username.lower() in RESERVED_NAMES:
        raise ApiError(400, "invalid_username")
    _check_new_password(password)
    role = text(body, "role", max_len=20, default="patient")
    if role not in ("patient", "doctor"):
        raise ApiError(400, "invalid_role")
    full_name = text(body, "full_name", max_len=300, default="")
    doctor = None
    if role == "doctor":
        _check_enrollment_code(text(body, "enrollment_code", max_len=200), username)
    else:
        # Kept even when that doctor has not reached the server yet (devices sync in any order);
        # the assignment grants nothing by itself, so there is nothing to verify here.
        doctor = name(body, "doctor")
    try:
        state().storage.create_user({
            "username": username, "email": email, "password_hash": auth.hash_password(password),
            "role": role, "is_admin": False, "doctor": doctor, "full_name": full_name,
            "created_at": auth.now_ms(), "imported": False,
        }, unique_name=True)
    except DuplicateError:
        raise ApiError(400, "username_taken") from None
    return jsonify(status="ok", username=username, role=role)


def _check_new_password(password: str) -> None:
    if len(password) < MIN_PASSWORD or not password.strip():
        raise ApiError(400, "weak_password", min_length=MIN_PASSWORD)
    if is_common_password(password):
        raise ApiError(400, "weak_password", min_length=MIN_PASSWORD, reason="common",
                       message="This password is one of the most common ones and is guessed first. "
                               "Please choose another.")


def _check_enrollment_code(code: str | None, username: str) -> None:
    expected = state().config.enrollment_code
    if not expected:
        raise ApiError(403, "doctor_enrollment_disabled")
    if enrollment_code_problem(expected):  # said at start too; a guessable code opens nothing
        raise ApiError(403, "doctor_enrollment_disabled",
                       message="Doctor sign-up is closed until the server's enrollment code is made longer.")
    address = request.remote_addr or "unknown"
    attempts.begin_enrollment(address, "doctor")
    if not code or not hmac.compare_digest(code.encode(), expected.encode()):
        attempts.enrollment_failed(address, username)
        raise ApiError(403, "invalid_enrollment_code")
    attempts.enrollment_succeeded(address, "doctor")


@blueprint.post("/login")
def login():
    body = json_body()
    username = name(body, "username", required=True, missing="invalid_credentials")
    password = text(body, "password", max_len=MAX_PASSWORD, required=True, missing="invalid_credentials")
    address = request.remote_addr or "unknown"
    attempts.begin_login(username, address)  # counted before the slow hash
    storage = state().storage
    user = storage.get_user(username)
    matches, rehash = auth.check_password(password, user["password_hash"] if user else None)
    if not (user and matches):
        raise ApiError(401, "invalid_credentials")
    attempts.login_succeeded(username, address)
    if rehash:  # legacy werkzeug hash or a weaker cost: upgrade while we know the password
        storage.update_user(username, password_hash=auth.hash_password(password))
    token, expires_at = auth.issue_token(username)
    return jsonify(status="ok", token=token, expires_at=expires_at, user=public_user(user))


@blueprint.post("/logout")
def logout():
    caller = auth.require_caller()
    if caller.token_hash:
        state().storage.revoke_token(caller.token_hash)
    return jsonify(status="ok")


@blueprint.post("/me")
def me():
    caller = auth.require_caller()
    return jsonify(user=public_user(state().storage.get_user(caller.username)))


@blueprint.post("/request_otp")
def request_otp():
    body = json_body()
    username = name(body, "username", required=True, missing="username_required")
    st = state()
    if not otp.delivery_configured(st.config) and not st.config.development:
        raise ApiError(503, "password_reset_unavailable",
                       message="Password reset by code is not set up on this server. "
                               "Please ask the clinic's administrator to reset your password.")
    user = st.storage.get_user(username)
    now = auth.now_ms()
    window = st.config.login_failure_window * 1000
    key = f"otp:{username}"
    # The same answer and the same work whether or not the user exists (timing must not tell):
    # an unknown name's code goes to a slot no account can use, and is never sent.
    if st.storage.failure_counts([key], now, window).get(key, 0) < st.config.otp_max_attempts:
        st.storage.record_failure([key], now, window)
        code = otp.new_code()
        slot = username if user else UNKNOWN_USER_SLOT
        st.storage.put_otp(slot, otp.code_digest(st.config.secret_key, username, code),
                           now + st.config.otp_ttl * 1000)
        if user:
            otp.deliver(st.config, username, user["email"], code)
    return jsonify(status="ok")


@blueprint.post("/verify_otp")
def verify_otp():
    body = json_body()
    username = name(body, "username", required=True, missing="invalid_otp")
    code = body.get("otp")
    if isinstance(code, int) and not isinstance(code, bool):
        code = f"{code:06d}"
    if not isinstance(code, str) or len(code) > 12:
        raise ApiError(400, "invalid_otp")
    new_password = text(body, "new_password", max_len=MAX_PASSWORD, required=True, missing="invalid_otp")
    _check_new_password(new_password)
    st = state()
    stored = st.storage.take_otp_attempt(username)
    valid = (
        stored is not None
        and stored["expires_at"] > auth.now_ms()
        and stored["attempts"] <= st.config.otp_max_attempts
        and otp.codes_match(stored["code_digest"], st.config.secret_key, username, code.strip())
    )
    if not valid:
        if stored is not None and stored["attempts"] >= st.config.otp_max_attempts:
            st.storage.delete_otp(username)  # used up: a new code must be requested
        raise ApiError(400, "invalid_otp")
    st.storage.delete_otp(username)
    st.storage.update_user(username, password_hash=auth.hash_password(new_password))
    st.storage.revoke_user_tokens(username)  # a reset signs out every device
    attempts.forget_account(username)
    return jsonify(status="ok")


@blueprint.get("/health")
def health():
    storage = state().storage
    try:
        with storage.engine.connect() as conn:
            conn.execute(sql_text("SELECT 1"))
    except Exception:
        return jsonify(status="unavailable", database=storage.engine.dialect.name), 503
    return jsonify(status="ok", database=storage.engine.dialect.name)
