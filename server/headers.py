"""Headers on every answer: nothing cached or sniffed, no version banner, CORS only for named origins."""

from __future__ import annotations

import time

from flask import Flask, g, request
from werkzeug.serving import WSGIRequestHandler

SERVER_NAME = "TumorPredict"


def add_security_headers(app: Flask) -> None:
    """Answers carry reports, messages, scans and tokens: no cache may keep them, no browser may
    reinterpret them."""

    @app.after_request
    def _secure(response):
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response


def add_server_timing(app: Flask) -> None:
    """`Server-Timing: app;dur=<ms>` (time inside the app, apart from queueing), when an operator turns it on:
    timings tell an outsider which code path ran (for example whether a user name exists)."""

    @app.before_request
    def _start_clock() -> None:
        g.started = time.perf_counter()

    @app.after_request
    def _stop_clock(response):
        started = g.get("started")
        if started is not None:
            response.headers["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.2f}"
        return response


def enable_cors(app: Flask, origins: tuple[str, ...]) -> None:
    """CORS headers for the configured origins ("*": any real origin; never the opaque "null")."""
    allowed = set(origins)

    @app.after_request
    def _cors(response):
        origin = request.headers.get("Origin")
        # "null" is what sandboxed frames and local files send: allowing it allows every such page.
        if origin and origin != "null" and (origin in allowed or "*" in allowed):
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Vary"] = "Origin"
            response.headers["Access-Control-Allow-Headers"] = "Authorization, Content-Type"
            response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
        return response


class UnversionedRequestHandler(WSGIRequestHandler):
    """The development server's handler without `Server: Werkzeug/x Python/y` (versions help attackers)."""

    def version_string(self) -> str:
        return SERVER_NAME
