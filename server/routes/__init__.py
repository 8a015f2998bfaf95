"""HTTP routes grouped by area: accounts, reports, chat, federated learning."""

from __future__ import annotations

from flask import Response, current_app

from server.app import EXTENSION
from server.storage.wire import WirePage


def state():
    """This app's ServerState (config, storage, blobs, engine, federation)."""
    return current_app.extensions[EXTENSION]


def wire_answer(key: str, found: WirePage, since: int | None, limit: int | None) -> Response:
    """`{key: [...], cursor, next_since, has_more}` around rows the database already wrote as JSON."""
    next_cursor = str(found.last_seq if found.last_seq is not None else (since or 0))
    has_more = "true" if limit and found.count >= limit else "false"
    body = (f'{{"{key}":[{found.items}],"cursor":"{next_cursor}","next_since":"{next_cursor}",'
            f'"has_more":{has_more}}}\n')  # jsonify ends with a newline too
    return Response(body, mimetype="application/json")
