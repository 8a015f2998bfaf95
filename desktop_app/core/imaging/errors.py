"""The one error type for images the app cannot use, with a message meant for a clinician."""

from __future__ import annotations

from desktop_app.core.errors import UserFacingError


class ImageError(UserFacingError, ValueError):
    """An image that cannot be analysed; `user_message` says why in plain words."""

    def __init__(self, user_message: str, *, reason: str = "unreadable"):
        super().__init__(user_message)
        # A short machine-readable tag (not_an_image, truncated, too_large, blank, dicom, frame).
        self.reason = reason
