"""HTTP routes grouped by area: accounts, reports, chat, federated learning."""

from __future__ import annotations

from flask import current_app

from server.app import EXTENSION


def state():
    """This app's ServerState (config, storage, blobs, engine, federation)."""
    return current_app.extensions[EXTENSION]
