"""Reports and messages as finished wire JSON, built by the database: no Python object per row.

A whole-list poll (a patient's reports, a 500-message conversation) used to turn every row into a
SQLAlchemy row, a dict, a wire dict and then JSON text; here SQLite's json_object / PostgreSQL's
json_build_object write each row's JSON, and the route joins the texts. The shapes are those of
`report_wire` and `message_wire` (tests compare them field by field on both databases).
"""

from __future__ import annotations

import json
from dataclasses import dataclass


def _sqlite_float(column: str) -> str:
    # SQLite writes REALs with 15 significant digits, which can lose the last bits of a double:
    # use 17 only when 15 does not round-trip, so 0.93 stays "0.93" and every value parses back exact.
    short = f"printf('%!.15g', {column})"
    return (f"json(CASE WHEN {column} IS NULL THEN 'null' WHEN CAST({short} AS REAL) = {column} THEN {short} "
            f"ELSE printf('%!.17g', {column}) END)")


def _sqlite_bool(condition: str) -> str:
    return f"json(CASE WHEN {condition} THEN 'true' ELSE 'false' END)"


_SQLITE_REPORT = f"""json_object(
  'id', id, 'username', username, 'timestamp', "timestamp", 'status', status, 'doctor_notes', doctor_notes,
  'report', json_object(
    'label', label, 'confidence', {_sqlite_float("confidence")}, 'model_version', model_version, 'notes', notes,
    'label_key', label_key, 'probabilities', json(COALESCE(NULLIF(probabilities, ''), '{{}}')),
    'is_brain_mri', json(CASE WHEN is_brain_mri IS NULL THEN 'null' WHEN is_brain_mri THEN 'true' ELSE 'false' END),
    'abstained', {_sqlite_bool("COALESCE(abstained, 0)")}),
  'doctor', doctor, 'reviewed_by', reviewed_by, 'reviewed_at', reviewed_at, 'confirmed_label', confirmed_label,
  'reject_reason', reject_reason, 'source', source, 'has_image', {_sqlite_bool("COALESCE(image_hash, '') <> ''")},
  'updated_at', updated_at, 'client_report_id', client_report_id)"""

_POSTGRES_REPORT = """json_build_object(
  'id', id, 'username', username, 'timestamp', "timestamp", 'status', status, 'doctor_notes', doctor_notes,
  'report', json_build_object(
    'label', label, 'confidence', confidence, 'model_version', model_version, 'notes', notes,
    'label_key', label_key, 'probabilities', COALESCE(NULLIF(probabilities, '')::json, '{}'::json),
    'is_brain_mri', is_brain_mri, 'abstained', COALESCE(abstained, false)),
  'doctor', doctor, 'reviewed_by', reviewed_by, 'reviewed_at', reviewed_at, 'confirmed_label', confirmed_label,
  'reject_reason', reject_reason, 'source', source, 'has_image', COALESCE(image_hash, '') <> '',
  'updated_at', updated_at, 'client_report_id', client_report_id)::text"""

# Messages carry their JSON from the moment they are stored (`message_text`); rows older than that
# column are built here. On SQLite the stamp is then added by `page` with Python's own float text
# (SQLite would write only 15 digits, and checking each row in SQL costs more than the rest of it).
_SQLITE_MESSAGE = """wire, CASE WHEN wire IS NULL THEN
  json_object('id', id, 'sender', sender, 'receiver', receiver, 'message', message) END, "timestamp" """

_POSTGRES_MESSAGE = """COALESCE(wire, json_build_object('id', id, 'sender', sender, 'receiver', receiver,
  'message', message, 'timestamp', "timestamp")::text)"""
MESSAGE_FIELDS = ("id", "sender", "receiver", "message", "timestamp")


def message_text(record: dict) -> str:
    """A message's wire JSON, as `message_wire` gives it and jsonify would write it."""
    return json.dumps({k: record[k] for k in MESSAGE_FIELDS}, separators=(",", ":"))


@dataclass(frozen=True)
class WirePage:
    """Rows as one JSON array body (without the brackets), in cursor order."""

    items: str
    count: int
    last_seq: int | None


def reports_query(dialect: str, *, username: bool, status: bool, since: bool, limit: bool) -> str:
    """SELECT seq, <report JSON> with `?` placeholders for the filters asked for, in that order."""
    filters = [f for f, wanted in (("username = ?", username), ("status = ?", status), ("seq > ?", since)) if wanted]
    return _query(dialect, _SQLITE_REPORT if dialect == "sqlite" else _POSTGRES_REPORT, "reports", filters, limit)


def messages_query(dialect: str, *, since: bool, limit: bool) -> str:
    filters = ["pair = ?"] + (["seq > ?"] if since else [])
    return _query(dialect, _SQLITE_MESSAGE if dialect == "sqlite" else _POSTGRES_MESSAGE, "messages", filters, limit)


def _query(dialect: str, row_json: str, table: str, filters: list[str], limit: bool) -> str:
    where = f" WHERE {' AND '.join(filters)}" if filters else ""
    sql = f"SELECT seq, {row_json} FROM {table}{where} ORDER BY seq{' LIMIT ?' if limit else ''}"
    return sql if dialect == "sqlite" else sql.replace("?", "%s")  # psycopg's placeholder


def page(rows: list[tuple], dialect: str, kind: str) -> WirePage:
    """Rows of (seq, JSON text) as one page (SQLite messages: seq, stored JSON or the parts to build it)."""
    if kind == "messages" and dialect == "sqlite":
        items = ",".join([r[1] if r[1] is not None else f'{r[2][:-1]},"timestamp":{r[3]!r}}}' for r in rows])
    else:
        items = ",".join([r[1] for r in rows])
    return WirePage(items, len(rows), rows[-1][0] if rows else None)
