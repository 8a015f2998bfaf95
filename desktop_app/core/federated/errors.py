"""The one error type federated learning raises for the user: `user_message` says why in plain words."""

from __future__ import annotations


class FederatedError(RuntimeError):
    def __init__(self, user_message: str):
        super().__init__(user_message)
        self.user_message = user_message
