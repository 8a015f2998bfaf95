"""Who a user is (the `User` record) and the rules for user names, emails and passwords."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from desktop_app.core.common_passwords import is_common_password
from desktop_app.core.errors import ServiceError

ROLES = ("patient", "doctor")
USERNAME_RE = re.compile(r"^[a-z][a-z0-9._-]{2,31}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 256
PROFILE_FIELDS = ("email", "full_name", "doctor", "specialty", "clinic", "phone")


class AccountError(ServiceError):
    """A refusal about accounts or signing in."""


class AccessDenied(AccountError):
    """The signed-in user (or nobody) may not see or change this."""


@dataclass(frozen=True)
class User:
    username: str
    email: str
    role: str
    full_name: str = ""
    doctor: str | None = None
    specialty: str = ""
    clinic: str = ""
    phone: str = ""
    is_admin: bool = False
    server_user: bool = False
    created_at: int = 0

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> User:
        return cls(
            username=doc["username"],
            email=doc.get("email") or "",
            role=doc.get("role") or "patient",
            full_name=doc.get("full_name") or "",
            doctor=doc.get("doctor") or None,
            specialty=doc.get("specialty") or "",
            clinic=doc.get("clinic") or "",
            phone=doc.get("phone") or "",
            is_admin=bool(doc.get("is_admin")),
            server_user=bool(doc.get("server_user")),
            created_at=int(doc.get("created_at") or 0),
        )

    @property
    def is_doctor(self) -> bool:
        return self.role == "doctor"

    @property
    def is_patient(self) -> bool:
        return self.role == "patient"

    @property
    def display_name(self) -> str:
        name = self.full_name or self.username
        return f"Dr. {name}" if self.is_doctor and not name.lower().startswith(("dr.", "dr ")) else name


def normalize_username(username: str) -> str:
    return (username or "").strip().lower()


def check_username(username: str) -> None:
    if not USERNAME_RE.match(username):
        raise AccountError(
            "Usernames are 3 to 32 characters: letters, digits, dots, dashes or underscores, starting with a letter."
        )


def check_email(email: str) -> None:
    if not EMAIL_RE.match(email):
        raise AccountError("Enter a valid email address, for example name@clinic.org.")


def check_password(password: str) -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise AccountError(f"Choose a password of at least {MIN_PASSWORD_LENGTH} characters.")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError(f"Passwords can be at most {MAX_PASSWORD_LENGTH} characters.")
    if not password.strip():
        raise AccountError("A password cannot be only spaces.")
    if is_common_password(password):
        raise AccountError("This password is one of the most common ones and is guessed first. "
                           "Please choose another.")
