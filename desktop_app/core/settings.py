"""The app's settings document (`settings/app`): server, signed-in user, idle logout, kiosk, clinic."""

from __future__ import annotations

import copy
import hmac
import logging
import os
import threading
import time
from typing import Any

from desktop_app.core import events
from desktop_app.core.errors import UserFacingError
from desktop_app.core.passwords import hash_password, verify_password

log = logging.getLogger(__name__)

ENROLLMENT_CODE_ENV = "TUMORPREDICT_ENROLLMENT_CODE"

DEFAULTS: dict[str, Any] = {
    "server_url": None,
    "current_user": None,
    "stay_signed_in": None,  # a doctor who chose to stay signed in when the window closes (never a patient)
    "idle_logout_minutes": 15,  # a clinic workstation signs out a forgotten session
    # export_dir: the only folder a kiosk saves PDF reports to (None: no PDF export in a kiosk).
    # pin_failures / pin_failed_at: wrong operator PINs in a row, for growing delays and the lockout.
    "kiosk": {"pin_verifier": None, "import_dir": None, "export_dir": None, "idle_minutes": 2,
              "pin_failures": 0, "pin_failed_at": 0.0},
    "clinic_name": "",
    "chat_poll_seconds": 3,
    "doctor_enrollment_verifier": None,  # the clinic's doctor enrollment code, as a verifier
    "emergency_numbers": None,  # None: the numbers shipped in resources/emergency.json
}
# Operator PIN: a few free tries, then waits that double, then a lockout an operator can sit out.
PIN_FREE_TRIES = 3
PIN_FIRST_WAIT_S = 5.0
PIN_LOCKOUT_AFTER = 10
PIN_LOCKOUT_S = 60 * 60
_MIN_IDLE_MINUTES = 1
_MAX_IDLE_MINUTES = 24 * 60


class PinLockedError(UserFacingError):
    """Too many wrong operator PINs: the next try has to wait."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        minutes = int(seconds // 60) + 1
        when = f"{int(seconds) + 1} seconds" if seconds < 90 else f"{minutes} minutes"
        super().__init__(f"Too many wrong PINs. Try again in {when}.")


def pin_wait_after_failures(failures: int) -> float:
    """Seconds to wait after `failures` wrong operator PINs in a row (the lockout from the tenth on)."""
    if failures < PIN_FREE_TRIES:
        return 0.0
    if failures >= PIN_LOCKOUT_AFTER:
        return float(PIN_LOCKOUT_S)
    return PIN_FIRST_WAIT_S * 2 ** (failures - PIN_FREE_TRIES)


class Settings:
    """Read and change `settings/app`; every change is written at once and announced."""

    DOC_ID = "app"

    def __init__(self, store, bus: events.EventBus):
        self._docs = store.collection("settings")
        self._bus = bus
        self._lock = threading.Lock()

    def all(self) -> dict[str, Any]:
        """Every setting, defaults filled in (a copy: change settings through `update`)."""
        stored = self._docs.get(self.DOC_ID) or {}
        merged = copy.deepcopy(DEFAULTS)
        for key, value in stored.items():
            if isinstance(value, dict) and isinstance(merged.get(key), dict):
                merged[key].update(value)
            else:
                merged[key] = value
        return merged

    def get(self, key: str, default: Any = None) -> Any:
        value = self.all().get(key)
        return default if value is None else value

    def update(self, **values: Any) -> None:
        """Sets several keys in one durable write."""
        with self._lock:
            stored = dict(self._docs.get(self.DOC_ID) or {})
            stored.update(values)
            self._docs.put(self.DOC_ID, stored)
        self._bus.emit(events.SETTINGS_CHANGED, keys=sorted(values))

    def set(self, key: str, value: Any) -> None:
        self.update(**{key: value})

    # ---- typed helpers ----------------------------------------------------------------------

    @property
    def server_url(self) -> str | None:
        return self.get("server_url")

    @property
    def current_user(self) -> str | None:
        return self.get("current_user")

    @property
    def clinic_name(self) -> str:
        return self.get("clinic_name", "") or ""

    @property
    def idle_logout_minutes(self) -> int:
        return _clamp_minutes(self.get("idle_logout_minutes"), DEFAULTS["idle_logout_minutes"])

    def set_idle_logout_minutes(self, minutes: int) -> None:
        self.set("idle_logout_minutes", _clamp_minutes(minutes, DEFAULTS["idle_logout_minutes"]))

    @property
    def kiosk_idle_minutes(self) -> int:
        return _clamp_minutes(self.get("kiosk", {}).get("idle_minutes"), DEFAULTS["kiosk"]["idle_minutes"])

    def set_kiosk_pin(self, pin: str) -> None:
        kiosk = self.get("kiosk", {})
        kiosk.update(pin_verifier=hash_password(pin), pin_failures=0, pin_failed_at=0.0)
        self.set("kiosk", kiosk)

    def kiosk_pin_wait(self, now: float | None = None) -> float:
        """Seconds before the operator PIN may be tried again (0: now)."""
        kiosk = self.get("kiosk", {})
        wait = pin_wait_after_failures(int(kiosk.get("pin_failures") or 0))
        return max(0.0, float(kiosk.get("pin_failed_at") or 0.0) + wait - (time.time() if now is None else now))

    def check_kiosk_pin(self, pin: str) -> bool:
        """Whether `pin` is the operator PIN; PinLockedError while wrong tries must wait (kept across restarts)."""
        wait = self.kiosk_pin_wait()
        if wait > 0:
            raise PinLockedError(wait)
        ok = verify_password(pin, self.get("kiosk", {}).get("pin_verifier"))
        with self._lock:
            stored = dict(self._docs.get(self.DOC_ID) or {})
            kiosk = {**DEFAULTS["kiosk"], **(stored.get("kiosk") or {})}
            failures = 0 if ok else int(kiosk.get("pin_failures") or 0) + 1
            if ok and not kiosk.get("pin_failures"):
                return True  # nothing to reset: no write
            kiosk.update(pin_failures=failures, pin_failed_at=0.0 if ok else time.time())
            stored["kiosk"] = kiosk
            self._docs.put(self.DOC_ID, stored)
        if not ok:
            log.warning("wrong kiosk operator PIN (%d in a row)", failures)
        return ok

    # ---- doctor enrollment code ---------------------------------------------------------------

    @property
    def enrollment_code_configured(self) -> bool:
        return bool(os.environ.get(ENROLLMENT_CODE_ENV) or self.get("doctor_enrollment_verifier"))

    def set_enrollment_code(self, code: str | None) -> None:
        """Stores the code as a verifier (it is a shared secret); None removes it."""
        self.set("doctor_enrollment_verifier", hash_password(code) if code else None)

    def check_enrollment_code(self, code: str | None) -> bool:
        """The code matches the one in the environment (a managed install) or the one stored here."""
        if not code:
            return False
        env_code = os.environ.get(ENROLLMENT_CODE_ENV)
        if env_code and _same_text(code, env_code):
            return True
        verifier = self.get("doctor_enrollment_verifier")
        return bool(verifier) and verify_password(code.strip(), verifier)


def _same_text(a: str, b: str) -> bool:
    return hmac.compare_digest(a.strip().encode("utf-8"), b.strip().encode("utf-8"))


def _clamp_minutes(value: Any, default: int) -> int:
    try:
        minutes = int(value)
    except (TypeError, ValueError):
        return default
    return max(_MIN_IDLE_MINUTES, min(_MAX_IDLE_MINUTES, minutes))
