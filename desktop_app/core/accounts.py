"""Accounts: local (offline) and server sign-in, the signed-in user, password changes, login backoff.

Local accounts keep only a scrypt verifier. With a server configured, register and sign-in also go
to the server through `remote` (see `AccountsRemote`); after one successful online sign-in the local
verifier lets the same user sign in offline later.

Doctor enrollment on this computer: when the clinic has set an enrollment code (in settings, or
`TUMORPREDICT_ENROLLMENT_CODE` on a managed install) a doctor account needs it. On a fresh install
with no code, the first doctor account is created freely and becomes this computer's administrator
(the person installing the app at the clinic); any further doctor needs a code that administrator sets.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from desktop_app.core import events
from desktop_app.core.api_client import ApiError, RequestRejected
from desktop_app.core.credentials import CredentialStore
from desktop_app.core.login_guard import LoginGuard, duration_text
from desktop_app.core.passwords import burn_time, hash_password, needs_rehash, verify_password
from desktop_app.core.settings import Settings
from desktop_app.core.sync.outbox_kinds import RegisterAccount
from desktop_app.core.users import (
    PROFILE_FIELDS,
    ROLES,
    AccessDenied,
    AccountError,
    User,
    check_email,
    check_password,
    check_username,
    normalize_username,
)

log = logging.getLogger(__name__)


class AccountsRemote(Protocol):
    """What accounts need from the server (the api client, wrapped)."""

    def register(self, username: str, email: str, password: str, role: str, **extra: Any) -> Any: ...

    def login(self, username: str, password: str) -> Any: ...  # {"token", "user"} as a dict or an object

    def logout(self, token: str) -> None: ...  # revokes the token on the server


class Accounts:
    """Registers users, signs them in and out, and knows who is signed in."""

    def __init__(
        self,
        store,
        settings: Settings,
        bus: events.EventBus,
        credentials: CredentialStore,
        remote: AccountsRemote | None = None,
        *,
        clock: Callable[[], float] = time.time,
        restore_session: bool = True,
    ):
        self._users = store.collection("users")
        self._guard = LoginGuard(store.collection("settings"), clock)
        self._settings = settings
        self._bus = bus
        self.credentials = credentials
        self.remote = remote
        self._outbox = store.outbox
        self._clock = clock
        self._lock = threading.RLock()
        self._current: str | None = None
        self._resumed = False  # True while the signed-in user is the one remembered from the last run
        if restore_session:
            remembered = settings.current_user
            if remembered and self._users.get(remembered):
                self._current = remembered
                self._resumed = True

    # ---- who is signed in -----------------------------------------------------------------

    @property
    def current_user(self) -> User | None:
        if self._current is None:
            return None
        doc = self._users.get(self._current)
        return User.from_doc(doc) if doc else None

    @property
    def resumed(self) -> bool:
        """Whether the signed-in user was remembered from an earlier run rather than signed in now."""
        return self._resumed and self._current is not None

    def keep_signed_in(self, keep: bool) -> None:
        """A doctor's choice to stay signed in on this computer when the window closes.

        Patients never stay signed in: on a shared computer the next person must not find their data.
        """
        user = self.require_user()
        wanted = user.username if keep and user.is_doctor else None
        if self._settings.get("stay_signed_in") != wanted:  # no write (and no settings event) when unchanged
            self._settings.set("stay_signed_in", wanted)

    def stays_signed_in(self) -> bool:
        """True when the signed-in user is a doctor who chose to stay signed in on this computer."""
        user = self.current_user
        return bool(user and user.is_doctor and self._settings.get("stay_signed_in") == user.username)

    def require_user(self, *roles: str) -> User:
        """The signed-in user, or AccessDenied; with `roles`, only a user with one of them."""
        user = self.current_user
        if user is None:
            raise AccessDenied("Please sign in first.")
        if roles and user.role not in roles:
            raise AccessDenied(f"This is only available to {' or '.join(r + 's' for r in roles)}.")
        return user

    def get(self, username: str) -> User | None:
        doc = self._users.get(normalize_username(username))
        return User.from_doc(doc) if doc else None

    def doctors(self) -> list[User]:
        return sorted((u for u in self._all_users() if u.is_doctor), key=lambda u: u.display_name.lower())

    def patients_of(self, doctor: str) -> list[User]:
        doctor = normalize_username(doctor)
        found = (u for u in self._all_users() if u.is_patient and u.doctor == doctor)
        return sorted(found, key=lambda u: (u.full_name or u.username).lower())

    def _all_users(self) -> list[User]:
        return [User.from_doc(d) for d in self._users.all() if d.get("username")]

    # ---- registration -----------------------------------------------------------------------

    def register(
        self,
        username: str,
        email: str,
        password: str,
        role: str,
        full_name: str = "",
        doctor: str | None = None,
        enrollment_code: str | None = None,
        **profile: str,
    ) -> User:
        """Creates the account (here, and on the server when one is configured) and signs it in."""
        username = normalize_username(username)
        email = (email or "").strip()
        doctor = normalize_username(doctor) if doctor else None
        check_username(username)
        check_email(email)
        check_password(password)
        if role not in ROLES:
            raise AccountError("Choose whether this is a patient or a doctor account.")
        unknown = set(profile) - set(PROFILE_FIELDS)
        if unknown:
            raise AccountError(f"Unknown account detail: {', '.join(sorted(unknown))}.")
        with self._lock:
            if self._users.get(username):
                raise AccountError(f"The username “{username}” is already taken on this computer. Choose another one or sign in.")
            is_admin, server_must_confirm = (
                self._check_doctor_enrollment(enrollment_code) if role == "doctor" else (False, False)
            )
            if role == "patient" and doctor:
                self._check_assigned_doctor(doctor)
            server_user, token = self._register_remote(
                username, email, password, role, full_name=full_name, doctor=doctor, enrollment_code=enrollment_code
            )
            if server_must_confirm and not server_user:
                raise AccountError(
                    "Doctor accounts are confirmed by the clinic server, which cannot be reached now. "
                    "Please try again when the connection is back."
                )
            doc = {
                "username": username,
                "email": email,
                "role": role,
                "full_name": (full_name or "").strip(),
                "doctor": doctor if role == "patient" else None,
                "specialty": "",
                "clinic": "",
                "phone": "",
                "is_admin": is_admin,
                "password_verifier": hash_password(password),
                "server_user": server_user,
                "created_at": self._now_ms(),
            }
            doc.update({k: (v or "").strip() for k, v in profile.items() if k in ("specialty", "clinic", "phone")})
            self._users.put(username, doc)
            if self.remote is not None and not server_user:
                # The server did not answer: the account works here now and is created there at the
                # next online sign-in (the password is needed for that and is never kept).
                RegisterAccount.queue(self._outbox, username)
            if token:
                self._remember_token(username, token)
            log.info("registered %s account %s (server: %s)", role, username, server_user)
            self._bus.emit(events.ACCOUNT_REGISTERED, username=username, role=role)
            self._sign_in(username)
            return User.from_doc(doc)

    def _check_doctor_enrollment(self, code: str | None) -> tuple[bool, bool]:
        """Raises unless this doctor may enroll; returns (becomes administrator, needs the server's yes)."""
        if self._settings.enrollment_code_configured:
            if not code:
                raise AccountError("A doctor account needs the clinic's enrollment code. Ask your clinic administrator for it.")
            if not self._settings.check_enrollment_code(code):
                raise AccountError("That enrollment code is not correct. Check it with your clinic administrator.")
            return False, False
        if self.remote is not None:
            # The clinic server holds the proof; never let an offline form grant a doctor's access.
            return False, True
        doctors = [u for u in self._all_users() if u.is_doctor]
        if doctors:
            names = ", ".join(u.display_name for u in doctors if u.is_admin) or "a doctor already registered here"
            raise AccountError(
                f"A doctor account on this computer needs an enrollment code. Ask {names} to set one "
                "(Profile → Doctor enrollment code), then register with it."
            )
        return True, False

    def next_doctor_becomes_admin(self) -> bool:
        """True on a fresh offline install: the first doctor account becomes the administrator."""
        return (not self._settings.enrollment_code_configured and self.remote is None
                and not any(u.is_doctor for u in self._all_users()))

    def _check_assigned_doctor(self, doctor: str) -> None:
        known = self._users.get(doctor)
        if known and known.get("role") != "doctor":
            raise AccountError(f"“{doctor}” is not a doctor's account. Choose your doctor from the list.")
        if not known and self.remote is None:
            raise AccountError(f"There is no doctor “{doctor}” on this computer. Choose your doctor from the list.")

    def _register_remote(self, username: str, email: str, password: str, role: str, **extra: Any) -> tuple[bool, str | None]:
        """(server knows the user, token); refusals become AccountError, silence means "later"."""
        if self.remote is None:
            return False, None
        try:
            self.remote.register(username, email, password, role=role, **{k: v for k, v in extra.items() if v})
        except RequestRejected as exc:
            raise AccountError(exc.user_message) from exc
        except (ApiError, OSError) as exc:
            log.info("server unavailable for registration of %s (%s); created offline", username, exc)
            return False, None
        try:
            answer = self.remote.login(username, password)
        except (ApiError, OSError) as exc:
            log.info("registered %s on the server but could not sign in there yet (%s)", username, exc)
            return True, None
        return True, _field(answer, "token")

    # ---- signing in and out ---------------------------------------------------------------------

    def login(self, username: str, password: str) -> User:
        username = normalize_username(username)
        if not username or not password:
            raise AccountError("Enter your username and password.")
        with self._lock:
            self._check_backoff(username)
            doc = self._users.get(username)
            if self.remote is not None:
                doc = self._login_remote(username, password, doc)
            elif doc is None or not verify_password(password, doc.get("password_verifier")):
                if doc is None:
                    burn_time(password)  # an unknown name takes as long as a wrong password
                self._record_failure(username)
                raise AccountError("The username or password is not correct.")
            if needs_rehash(doc.get("password_verifier") or ""):
                doc = {**doc, "password_verifier": hash_password(password)}
                self._users.put(username, doc)
            self._clear_failures(username)
            self._sign_in(username)
            return User.from_doc(doc)

    def _login_remote(self, username: str, password: str, doc: dict | None) -> dict:
        """Signs in on the server; falls back to the local verifier when the server does not answer."""
        try:
            answer = self.remote.login(username, password)
        except RequestRejected as exc:
            if exc.code == "invalid_credentials" and doc and not doc.get("server_user"):
                if verify_password(password, doc.get("password_verifier")):
                    return self._finish_deferred_registration(doc, password)
            self._record_failure(username)
            raise AccountError(exc.user_message) from exc
        except (ApiError, OSError) as exc:
            log.info("server unavailable for sign-in (%s); checking this computer's copy", exc)
            if doc is None:
                raise AccountError(
                    "The clinic server cannot be reached, and this account has not signed in on this "
                    "computer before. Please try again when the connection is back."
                ) from exc
            if not verify_password(password, doc.get("password_verifier")):
                self._record_failure(username)
                raise AccountError("The username or password is not correct.") from exc
            return doc
        return self._adopt_server_user(username, password, doc, answer)

    def _finish_deferred_registration(self, doc: dict, password: str) -> dict:
        """An account made while the server was away: create it there now that the password is at hand."""
        username = doc["username"]
        extra = {k: doc.get(k) for k in ("full_name", "doctor") if doc.get(k)}
        try:
            self.remote.register(username, doc.get("email", ""), password, role=doc.get("role", "patient"), **extra)
            answer = self.remote.login(username, password)
        except RequestRejected as exc:
            raise AccountError(
                f"This account was created offline, but the server refused it: {exc.user_message}"
            ) from exc
        except (ApiError, OSError):
            return doc  # still offline: the local sign-in stands
        self._outbox.mark_done(RegisterAccount.key(username))
        return self._adopt_server_user(username, password, doc, answer)

    def _adopt_server_user(self, username: str, password: str, doc: dict | None, answer: Any) -> dict:
        """Updates (or creates) the local copy after a server sign-in so offline sign-in works later."""
        server = _field(answer, "user") or {}
        fresh = dict(doc or {"username": username, "created_at": self._now_ms(), "is_admin": False})
        # The legacy server keeps no roles: the one on this computer stands, else the least privilege.
        server_role = _field(answer, "role") or server.get("role")
        fresh["role"] = server_role if server_role in ROLES else fresh.get("role", "patient")
        for key in ("email", "full_name", "doctor", "specialty", "clinic", "phone"):
            if server.get(key):
                fresh[key] = server[key]
        fresh.setdefault("email", "")
        if not verify_password(password, fresh.get("password_verifier")):
            fresh["password_verifier"] = hash_password(password)
        fresh["server_user"] = True
        fresh["server_admin"] = bool(server.get("is_admin"))  # may run federated aggregation there
        self._users.put(username, fresh)
        token = _field(answer, "token")
        if token:
            self._remember_token(username, token)
        return fresh

    def logout(self) -> None:
        """Signs out here and revokes the server token (best effort: offline sign-out always works)."""
        with self._lock:
            username = self._current
            if username is None:
                return
            server_url = self._settings.server_url
            if server_url:
                token = self.credentials.get_token(server_url, username)
                if token and self.remote is not None:
                    try:
                        self.remote.logout(token)
                    except (ApiError, OSError) as exc:
                        log.info("could not revoke the server token of %s (%s)", username, exc)
                self.credentials.delete_token(server_url, username)
            self._current = None
            changes = {"current_user": None}
            if self._settings.get("stay_signed_in") == username:
                changes["stay_signed_in"] = None  # signing out on purpose ends the choice too
            self._settings.update(**changes)
        self._bus.emit(events.ACCOUNT_SIGNED_OUT, username=username)

    def token(self, username: str | None = None) -> str | None:
        """The server token of `username` (default: the signed-in user), if any."""
        username = username or self._current
        server_url = self._settings.server_url
        if not username or not server_url:
            return None
        return self.credentials.get_token(server_url, username)

    def _sign_in(self, username: str) -> None:
        self._current = username
        self._resumed = False
        self._settings.set("current_user", username)
        self._bus.emit(events.ACCOUNT_SIGNED_IN, username=username)

    def _remember_token(self, username: str, token: str) -> None:
        server_url = self._settings.server_url
        if server_url:
            self.credentials.set_token(server_url, username, token)

    # ---- changing things ------------------------------------------------------------------

    def change_password(self, old_password: str, new_password: str) -> None:
        user = self.require_user()
        with self._lock:
            self._check_backoff(user.username)
            doc = self._users.get(user.username) or {}
            if not verify_password(old_password, doc.get("password_verifier")):
                self._record_failure(user.username)
                raise AccountError("Your current password is not correct.")
            check_password(new_password)
            if new_password == old_password:
                raise AccountError("The new password must be different from the current one.")
            if user.server_user and self.remote is not None:
                self._change_password_remote(user.username, old_password, new_password)
            self._clear_failures(user.username)
            self._users.put(user.username, {**doc, "password_verifier": hash_password(new_password)})
        self._bus.emit(events.ACCOUNT_UPDATED, username=user.username, what="password")

    def _change_password_remote(self, username: str, old_password: str, new_password: str) -> None:
        change = getattr(self.remote, "change_password", None)
        if change is None:
            raise AccountError(
                "Your password is kept by the clinic server, which does not support changing it from "
                "the app. Use “Forgot password” on the sign-in screen instead."
            )
        try:
            change(username, old_password, new_password, token=self.token(username))
        except RequestRejected as exc:
            raise AccountError(exc.user_message) from exc
        except (ApiError, OSError) as exc:
            raise AccountError("The clinic server cannot be reached. Change your password when you are online.") from exc

    def update_profile(self, **fields: str) -> User:
        """Changes the signed-in user's own details (email, full name, doctor, specialty, clinic, phone)."""
        user = self.require_user()
        unknown = set(fields) - set(PROFILE_FIELDS)
        if unknown:
            raise AccountError(f"Unknown account detail: {', '.join(sorted(unknown))}.")
        if "email" in fields:
            check_email(fields["email"].strip())
        if fields.get("doctor"):
            if not user.is_patient:
                raise AccountError("Only a patient's account has an assigned doctor.")
            fields["doctor"] = normalize_username(fields["doctor"])
            self._check_assigned_doctor(fields["doctor"])
        cleaned = {k: (v or "").strip() for k, v in fields.items()}
        if "doctor" in cleaned:
            cleaned["doctor"] = cleaned["doctor"] or None
        with self._lock:
            doc = {**(self._users.get(user.username) or {}), **cleaned}
            self._users.put(user.username, doc)
        self._bus.emit(events.ACCOUNT_UPDATED, username=user.username, what="profile")
        return User.from_doc(doc)

    def set_enrollment_code(self, code: str | None) -> None:
        """Sets (or with None removes) the code new doctors need on this computer; administrators only."""
        user = self.require_user("doctor")
        if not user.is_admin:
            raise AccessDenied("Only this computer's administrator can set the doctor enrollment code.")
        if code is not None and len(code.strip()) < 6:
            raise AccountError("Choose an enrollment code of at least 6 characters.")
        self._settings.set_enrollment_code(code.strip() if code else None)

    # ---- sign-in backoff --------------------------------------------------------------------

    def _check_backoff(self, username: str) -> None:
        remaining = self._guard.seconds_to_wait(username)
        if remaining > 0:
            raise AccountError(
                f"Too many unsuccessful sign-ins for this account. Please wait {duration_text(remaining)} and try again."
            )

    def _record_failure(self, username: str) -> None:
        self._guard.record_failure(username)

    def _clear_failures(self, username: str) -> None:
        self._guard.clear(username)

    def _now_ms(self) -> int:
        return int(self._clock() * 1000)


def _field(answer: Any, name: str) -> Any:
    """Reads `name` from a dict answer or an object answer (the api client returns dataclasses)."""
    if isinstance(answer, dict):
        return answer.get(name)
    return getattr(answer, name, None)
