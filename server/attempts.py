"""Rate limits counted before the slow work: sign-ins (per account and address, growing delays) and enrollment codes.

Every limit is decided and counted in one locked transaction, before the password hash or the code
comparison, so a burst of concurrent guesses cannot all pass the check before the first one is counted.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable

from flask import current_app

from server.auth import now_ms
from server.errors import ApiError
from server.storage.sql import AttemptCount

log = logging.getLogger(__name__)


def _state():
    return current_app.extensions["tumorpredict"]


def _too_many(wait_ms: int) -> ApiError:
    return ApiError(429, "too_many_attempts", headers={"Retry-After": str(max(1, math.ceil(wait_ms / 1000)))})


def _take_or_429(ceilings: dict[str, int], window_ms: int,
                 extra_wait: Callable[[dict[str, AttemptCount], int], int] = lambda _seen, _now: 0) -> None:
    """Counts one attempt on every key of `ceilings`, or 429 while any key is at its ceiling for this
    window (or `extra_wait` says so); the wait becomes Retry-After. Returns nothing: allowed."""
    now = now_ms()
    wait = 0

    def allowed(seen: dict[str, AttemptCount]) -> bool:
        nonlocal wait
        waits = [extra_wait(seen, now)]
        waits += [seen[key].window_start + window_ms - now for key, ceiling in ceilings.items()
                  if seen[key].count >= ceiling]
        wait = max(waits)
        return wait <= 0

    ok, _ = _state().storage.take_attempt(list(ceilings), now, window_ms, allowed)
    if not ok:
        raise _too_many(wait)


# ---- sign-in -------------------------------------------------------------------------------


def _login_keys(username: str, address: str) -> tuple[str, str, str]:
    """(this account from this address, this account from anywhere, this address for any account)."""
    account = username.casefold()
    # The address first: it holds no spaces, so no account name can make two pairs share a key.
    return f"login:{address} {account}", f"login-account:{account}", f"login-address:{address}"


def pair_delay_ms(failures: int, free: int, base_s: float, cap_ms: int) -> int:
    """Wait before the next try after `failures` from one address: none for the first `free`, then doubling."""
    if failures < free:
        return 0
    return min(int(base_s * 1000 * 2 ** (failures - free)), cap_ms)


def begin_login(username: str, address: str) -> None:
    """Counts this sign-in attempt, or 429 with Retry-After while this caller must wait.

    One address guessing one account slows only itself (growing delays); the account as a whole
    and the address as a whole each have a high ceiling per window.
    """
    cfg = _state().config
    window = cfg.login_failure_window * 1000
    pair, account, address_key = _login_keys(username, address)

    def pair_wait(seen: dict[str, AttemptCount], now: int) -> int:
        delay = pair_delay_ms(seen[pair].count, cfg.login_max_failures_account, cfg.login_delay_base_s, window)
        return seen[pair].last_at + delay - now if delay else 0

    # The pair has no ceiling of its own, only the growing delay.
    _take_or_429({pair: 2**31, account: cfg.login_max_failures_account_total,
                  address_key: cfg.login_max_failures_address}, window, pair_wait)


def login_succeeded(username: str, address: str) -> None:
    """The right password: this pair starts afresh and the attempt no longer counts against anyone."""
    pair, account, address_key = _login_keys(username, address)
    storage = _state().storage
    storage.clear_attempts([pair])
    storage.give_back_attempt([account, address_key])


def forget_account(username: str) -> None:
    """After a password reset: earlier failures against the account no longer slow anyone down."""
    account = username.casefold()
    storage = _state().storage
    storage.clear_attempts([f"login-account:{account}"])


# ---- doctor enrollment codes ----------------------------------------------------------------


def _enrollment_keys(address: str, role: str) -> list[str]:
    return [f"enrol-address:{address}", f"enrol-role:{role}"]


def begin_enrollment(address: str, role: str) -> None:
    """Counts one try of the enrollment code, or 429 while this address or this role has too many."""
    cfg = _state().config
    by_address, by_role = _enrollment_keys(address, role)
    try:
        _take_or_429({by_address: cfg.enrollment_max_failures_address, by_role: cfg.enrollment_max_failures_role},
                     cfg.login_failure_window * 1000)
    except ApiError:
        log.warning("doctor enrollment from %s refused: too many wrong codes", address)
        raise


def enrollment_failed(address: str, username: str) -> None:
    # The attempted code itself is not logged: a near miss would put most of the real code in the log.
    log.warning("wrong doctor enrollment code from %s (registering %r)", address, username[:150])


def enrollment_succeeded(address: str, role: str) -> None:
    _state().storage.give_back_attempt(_enrollment_keys(address, role))
