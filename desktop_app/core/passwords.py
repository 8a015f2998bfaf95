"""Password verifiers: salted scrypt, self-describing, checked in constant time; never the password itself."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

# scrypt cost: 32 MiB and about 0.1-0.2 s per check on a clinic PC; slow enough to make
# guessing from a stolen store expensive, fast enough for a sign-in. Stored with each verifier,
# so raising it later still checks old verifiers (and `needs_rehash` upgrades them).
DEFAULT_N = 2**15
DEFAULT_R = 8
DEFAULT_P = 1
_SALT_BYTES = 16
_KEY_BYTES = 32
_MAX_N = 2**20  # refuse absurd costs from a hand-edited store instead of eating all memory


def _derive(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    maxmem = 128 * r * (n + p + 2) + 1024 * 1024
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=maxmem, dklen=_KEY_BYTES)


def hash_password(password: str, *, n: int = DEFAULT_N, r: int = DEFAULT_R, p: int = DEFAULT_P) -> str:
    """A verifier string `scrypt$n$r$p$salt_b64$hash_b64` for `password`."""
    salt = os.urandom(_SALT_BYTES)
    key = _derive(password, salt, n, r, p)
    return "$".join(("scrypt", str(n), str(r), str(p), _b64(salt), _b64(key)))


def _parse(verifier: str) -> tuple[int, int, int, bytes, bytes] | None:
    try:
        scheme, n, r, p, salt, key = verifier.split("$")
        if scheme != "scrypt":
            return None
        n_i, r_i, p_i = int(n), int(r), int(p)
        if not (1 < n_i <= _MAX_N and n_i & (n_i - 1) == 0 and 0 < r_i <= 32 and 0 < p_i <= 16):
            return None
        return n_i, r_i, p_i, base64.b64decode(salt, validate=True), base64.b64decode(key, validate=True)
    except (ValueError, AttributeError):
        return None


def verify_password(password: str, verifier: str | None) -> bool:
    """True when `password` matches; a missing or malformed verifier never matches."""
    parsed = _parse(verifier or "")
    if parsed is None:
        burn_time(password)
        return False
    n, r, p, salt, expected = parsed
    return hmac.compare_digest(_derive(password, salt, n, r, p), expected)


def needs_rehash(verifier: str) -> bool:
    """True when the verifier was made with a weaker cost than today's default."""
    parsed = _parse(verifier)
    return parsed is None or parsed[0] < DEFAULT_N or parsed[1] < DEFAULT_R


def burn_time(password: str) -> None:
    """Spends as long as a real check, so an unknown user name cannot be told from a wrong password."""
    _derive(password, b"\0" * _SALT_BYTES, DEFAULT_N, DEFAULT_R, DEFAULT_P)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
