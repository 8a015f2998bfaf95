"""The doctor's Federated learning screen."""

from desktop_app.ui.federated.screen import FederatedScreen

__all__ = ["FederatedScreen"]
