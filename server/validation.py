"""Reading request bodies safely: a JSON object, fields of the right type and size, or a clear 4xx."""

from __future__ import annotations

from typing import Any

from flask import request

from server.errors import ApiError

MAX_NAME = 150
MAX_CURSOR = 2**62  # fits a 64-bit database integer


def json_body() -> dict[str, Any]:
    """The body as a JSON object; an empty body counts as `{}` (legacy clients send none on some calls)."""
    raw = request.get_data(cache=True)
    if not raw or not raw.strip():
        return {}
    try:
        data = request.get_json(force=True, silent=True)
    except RecursionError:  # absurdly deep nesting: junk, not a server fault
        data = None
    if not isinstance(data, dict):
        raise ApiError(400, "invalid_json")
    return data


def text(body: dict[str, Any], key: str, *, max_len: int, required: bool = False,
         missing: str | None = None, default: str | None = None) -> str | None:
    """A string field (stripped of nothing: passwords keep their spaces); `missing` names the error."""
    value = body.get(key)
    if value is None or value == "":
        if required:
            raise ApiError(400, missing or f"{key}_required")
        return default
    if not isinstance(value, str):
        raise ApiError(400, "invalid_field", field=key)
    if len(value) > max_len:
        raise ApiError(400, "field_too_long", field=key)
    if "\x00" in value:  # no database stores NUL in text (PostgreSQL refuses it outright)
        raise ApiError(400, "invalid_field", field=key)
    return value


def name(body: dict[str, Any], key: str, *, required: bool = False, missing: str | None = None) -> str | None:
    """A user name: printable, no surrounding spaces, at most MAX_NAME characters."""
    value = text(body, key, max_len=MAX_NAME, required=required, missing=missing)
    if value is not None and (value != value.strip() or not value.isprintable()):
        raise ApiError(400, "invalid_field", field=key)
    return value


def number(body: dict[str, Any], key: str, *, low: float, high: float) -> float | None:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise ApiError(400, "invalid_field", field=key)
    return float(value)


def cursor(body: dict[str, Any], key: str = "since") -> int | None:
    """An incremental-sync cursor: a non-negative integer, as a number or a string of digits."""
    value = body.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ApiError(400, "invalid_cursor")
    if isinstance(value, int) and 0 <= value <= MAX_CURSOR:
        return value
    if isinstance(value, str) and len(value) <= 19 and value.isascii() and value.isdigit() and int(value) <= MAX_CURSOR:
        return int(value)
    raise ApiError(400, "invalid_cursor")


def path_id(value: str | None, *, max_len: int = 200) -> str | None:
    """An id from a URL (path or query); None when it cannot name anything we store."""
    if not value or len(value) > max_len or not value.isprintable():
        return None
    return value
