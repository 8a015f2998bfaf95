"""Password verifiers the legacy server wrote (werkzeug hashes, unsalted SHA-256) and how to check them."""

from __future__ import annotations

import hashlib
import hmac
import re

from werkzeug.security import check_password_hash

WERKZEUG_PREFIXES = ("pbkdf2:", "scrypt:")  # what werkzeug's generate_password_hash writes
# The legacy server's fallback for old installs: the bare SHA-256 hex of the password. Kept under
# this prefix so it can never be mistaken for another format, and replaced at the first sign-in.
SHA256_PREFIX = "legacy-sha256$"
_SHA256_HEX = re.compile(r"^[0-9a-fA-F]{64}$")


def is_legacy(stored: str) -> bool:
    return stored.startswith(WERKZEUG_PREFIXES) or stored.startswith(SHA256_PREFIX)


def verify(password: str, stored: str) -> bool:
    """True when `password` matches a legacy verifier (call only when `is_legacy(stored)`)."""
    if stored.startswith(SHA256_PREFIX):
        expected = stored[len(SHA256_PREFIX):].lower()
        return hmac.compare_digest(hashlib.sha256(password.encode("utf-8")).hexdigest(), expected)
    try:
        return check_password_hash(stored, password)
    except (ValueError, TypeError):  # a damaged hash, or a werkzeug method this version cannot run
        return False


def from_legacy_record(record: dict) -> tuple[str | None, bool]:
    """(verifier to store, is weak) for one users.json record, read the way the legacy server reads it.

    The legacy server checks `password_hash` with werkzeug and only when it is absent falls back
    to `password` holding the unsalted SHA-256 hex. (None, False): nothing it could sign in with.
    """
    werkzeug_hash = record.get("password_hash")
    if isinstance(werkzeug_hash, str) and werkzeug_hash.startswith(WERKZEUG_PREFIXES):
        return werkzeug_hash, False
    if werkzeug_hash:
        return None, False
    password = record.get("password")
    if isinstance(password, str) and _SHA256_HEX.match(password):
        return SHA256_PREFIX + password.lower(), True
    if isinstance(password, str) and password.startswith(WERKZEUG_PREFIXES):
        return password, False  # some forks kept the werkzeug hash under the old field name
    return None, False
