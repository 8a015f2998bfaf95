"""The one error type the services raise for refusals a user can act on."""

from __future__ import annotations


class ServiceError(Exception):
    """A refusal with `user_message`: plain words a clinician or patient can act on."""

    def __init__(self, user_message: str):
        super().__init__(user_message)
        self.user_message = user_message
