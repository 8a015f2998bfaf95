"""The plain-words errors: the base every user-facing error shares, and the services' refusals."""

from __future__ import annotations

from local_store.errors import UserFacingError

__all__ = ["ServiceError", "UserFacingError", "user_message_of"]


class ServiceError(UserFacingError):
    """A refusal with `user_message`: plain words a clinician or patient can act on."""


def user_message_of(exc: BaseException, fallback: str) -> str:
    """What to show for `exc`: its own plain words when it has them, else `fallback`."""
    if isinstance(exc, UserFacingError) and exc.user_message:
        return exc.user_message
    return fallback
