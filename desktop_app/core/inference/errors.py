"""Errors about the shipped model files (missing, damaged, mismatched)."""

from __future__ import annotations


class ModelError(RuntimeError):
    """The model cannot be used; `user_message` says so in plain words."""

    def __init__(self, user_message: str):
        super().__init__(user_message)
        self.user_message = user_message
