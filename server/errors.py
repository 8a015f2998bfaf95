"""API errors: every refusal is `{"error": code}` with a 4xx status; nothing unexpected leaks as HTML."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)

# Werkzeug's own refusals (routing, size, method) as short codes clients can match on.
_HTTP_CODES = {
    400: "bad_request",
    401: "token_required",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "too_many_requests",
}


class ApiError(Exception):
    """A refusal to answer as `{"error": code, **extra}` with `status`."""

    def __init__(self, status: int, code: str, *, headers: dict[str, str] | None = None, **extra: Any):
        super().__init__(code)
        self.status = status
        self.code = code
        self.headers = headers or {}
        self.extra = extra


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def _api_error(exc: ApiError):
        return jsonify(error=exc.code, **exc.extra), exc.status, exc.headers

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        status = exc.code or 500
        return jsonify(error=_HTTP_CODES.get(status, "http_error")), status

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("unexpected error while answering a request")
        return jsonify(error="internal_error"), 500
