"""The one error type federated learning raises for the user: `user_message` says why in plain words."""

from __future__ import annotations

from desktop_app.core.errors import UserFacingError


class FederatedError(UserFacingError, RuntimeError):
    pass
