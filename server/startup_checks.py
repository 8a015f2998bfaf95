"""Settings that would leave a clinic exposed, said loudly when the server starts."""

from __future__ import annotations

import logging
import math

from server.config import ServerConfig

log = logging.getLogger(__name__)

MIN_CODE_LENGTH = 12
MIN_CODE_DISTINCT = 6
MIN_CODE_BITS = 60  # with the per-address and per-role limits, far beyond what online guessing reaches


def _alphabet_size(code: str) -> int:
    size = 0
    size += 26 if any(c.islower() for c in code) else 0
    size += 26 if any(c.isupper() for c in code) else 0
    size += 10 if any(c.isdigit() for c in code) else 0
    size += 33 if any(not c.isalnum() for c in code) else 0
    return max(size, 1)


def enrollment_code_problem(code: str) -> str | None:
    """Why this doctor enrollment code is too weak to survive guessing, or None when it is fine."""
    if not code:
        return None
    bits = len(code) * math.log2(_alphabet_size(code))
    if len(code) < MIN_CODE_LENGTH or len(set(code)) < MIN_CODE_DISTINCT or bits < MIN_CODE_BITS:
        return (
            f"the doctor enrollment code is too easy to guess (it needs at least {MIN_CODE_LENGTH} characters, "
            f"{MIN_CODE_DISTINCT} of them different, e.g. four random words or `python -c \"import secrets; "
            "print(secrets.token_urlsafe(12))\"`); doctor sign-up stays closed until it is changed"
        )
    return None


def warn_about(config: ServerConfig) -> list[str]:
    """Logs (at ERROR/WARNING) every risky setting and returns the sentences, for `serve` to print."""
    problems = []
    weak = enrollment_code_problem(config.enrollment_code)
    if weak:
        log.error("TUMORPREDICT_ENROLLMENT_CODE: %s", weak)
        problems.append(weak)
    if not (config.smtp_host or config.otp_hook):
        if config.development:
            problem = ("password reset codes will be written to the server log (development mode, no mail "
                       "server): anyone who can read the log can take over any account")
            log.warning("!!! %s !!!", problem)
        else:
            problem = ("password reset by code is off: set TUMORPREDICT_SMTP_HOST (or TUMORPREDICT_OTP_HOOK) "
                       "so codes reach the users")
            log.error(problem)
        problems.append(problem)
    return problems
