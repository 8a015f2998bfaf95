"""What the main window calls on every screen it hosts, so it never has to ask whether it may."""

from __future__ import annotations

from typing import Protocol


class Screen(Protocol):
    """A navigation entry's widget (a QWidget too). Every method is required; a screen with nothing
    to do there implements it as a no-op, as the page base `widgets.common.Screen` does."""

    def entered(self) -> None:
        """Opened from the navigation: start from the top (a list, not the last item opened)."""

    def refresh(self) -> None:
        """Reload what the screen shows; called each time it is opened, after `entered`."""

    def shutdown(self) -> None:
        """The window is going away: stop timers and listeners of the screen's own."""
