"""Who is calling: password checks (scrypt, legacy werkzeug hashes) and bearer tokens."""

from __future__ import annotations

import hashlib
import logging
import secrets
import time
from dataclasses import dataclass

from flask import current_app, g, request

from desktop_app.core import passwords
from server import legacy_passwords
from server.errors import ApiError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Caller:
    username: str
    role: str
    is_admin: bool
    token_hash: str | None  # None: an unauthenticated legacy call (only when explicitly allowed)

    @property
    def is_doctor(self) -> bool:
        return self.role == "doctor"


def now_ms() -> int:
    return int(time.time() * 1000)


def hash_password(password: str) -> str:
    return passwords.hash_password(password, n=current_app.extensions["tumorpredict"].config.scrypt_n)


def check_password(password: str, stored: str | None) -> tuple[bool, bool]:
    """(matches, should be rehashed); legacy hashes (werkzeug, SHA-256) still match and are always upgraded."""
    stored = stored or ""
    if legacy_passwords.is_legacy(stored):
        matches = legacy_passwords.verify(password, stored)
        if stored.startswith(legacy_passwords.SHA256_PREFIX):
            passwords.burn_time(password)  # as slow as any other check: the answer's timing tells nothing
        return matches, True
    if passwords.verify_password(password, stored):
        wanted_n = current_app.extensions["tumorpredict"].config.scrypt_n
        return True, int(stored.split("$")[1]) < wanted_n
    return False, False


def token_digest(token: str) -> str:
    # Tokens are 256 random bits, so a plain SHA-256 at rest is enough (no salt or stretching needed).
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(username: str) -> tuple[str, int]:
    """A new random token for `username` and its expiry (Unix ms); only the digest is stored."""
    state = current_app.extensions["tumorpredict"]
    token = secrets.token_urlsafe(32)
    created = now_ms()
    expires = created + state.config.token_ttl * 1000
    state.storage.add_token(token_digest(token), username, created, expires)
    return token, expires


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def require_caller(legacy_name: str | None = None) -> Caller:
    """The signed-in caller, or 401. `legacy_name` is who a token-less legacy call claims to be."""
    state = current_app.extensions["tumorpredict"]
    token = bearer_token()
    if token is None:
        if state.config.allow_legacy_unauthenticated and legacy_name:
            user = state.storage.get_user(legacy_name)
            if user:
                log.warning("unauthenticated legacy call %s as %s (legacy mode is on)", request.path, legacy_name)
                caller = Caller(user["username"], user["role"], bool(user["is_admin"]), None)
                g.caller = caller
                return caller
        raise ApiError(401, "token_required")
    row = state.storage.token_owner(token_digest(token)) if len(token) <= 200 else None
    if row is None or row["revoked"]:
        raise ApiError(401, "invalid_token")
    if row["expires_at"] <= now_ms():
        raise ApiError(401, "token_expired")
    caller = Caller(row["username"], row["role"], bool(row["is_admin"]), row["token_hash"])
    g.caller = caller
    return caller


def require_doctor(legacy_name: str | None = None) -> Caller:
    caller = require_caller(legacy_name)
    if not caller.is_doctor:
        raise ApiError(403, "forbidden")
    return caller


def require_admin() -> Caller:
    caller = require_caller()  # never on a token-less legacy call
    if not (caller.is_doctor and caller.is_admin) or caller.token_hash is None:
        raise ApiError(403, "forbidden")
    return caller
