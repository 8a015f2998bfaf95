"""Errors about the shipped model files (missing, damaged, mismatched)."""

from __future__ import annotations

from desktop_app.core.errors import UserFacingError


class ModelError(UserFacingError, RuntimeError):
    """The model cannot be used; `user_message` says so in plain words."""
