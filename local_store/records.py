"""Encoding and checking of one log line: `<crc32 hex> <json record>\\n`."""

from __future__ import annotations

import json
import zlib
from typing import Any

_CRC_WIDTH = 8


def dumps(value: Any) -> str:
    """Compact, strict JSON (NaN/Infinity refused, non-ASCII kept readable)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def frame(record_json: str) -> bytes:
    """One log line: the CRC-32 of the JSON text, a space, the JSON, a newline."""
    body = record_json.encode("utf-8")
    return b"%08x %s\n" % (zlib.crc32(body), body)


def put_record(seq: int, doc_id: str, doc_json: str) -> str:
    return f'{{"seq":{seq},"op":"put","id":{dumps(doc_id)},"doc":{doc_json}}}'


def delete_record(seq: int, doc_id: str) -> str:
    return f'{{"seq":{seq},"op":"del","id":{dumps(doc_id)}}}'


def batch_record(seq: int, docs_json: dict[str, str], deleted: list[str] | None = None) -> str:
    inner = ",".join(f"{dumps(doc_id)}:{doc_json}" for doc_id, doc_json in docs_json.items())
    gone = f',"deleted":{dumps(deleted)}' if deleted else ""
    return f'{{"seq":{seq},"op":"batch","docs":{{{inner}}}{gone}}}'


def parse(line: bytes) -> dict[str, Any] | None:
    """The record in one log line (without its newline), or None when it is torn or damaged."""
    if len(line) < _CRC_WIDTH + 2 or line[_CRC_WIDTH:_CRC_WIDTH + 1] != b" ":
        return None
    body = line[_CRC_WIDTH + 1:]
    try:
        if int(line[:_CRC_WIDTH], 16) != zlib.crc32(body):
            return None
        record = json.loads(body)
    except ValueError:
        return None
    return record if _well_formed(record) else None


def _well_formed(record: Any) -> bool:
    if not isinstance(record, dict) or not isinstance(record.get("seq"), int):
        return False
    op = record.get("op")
    if op == "put":
        return isinstance(record.get("id"), str) and isinstance(record.get("doc"), dict)
    if op == "del":
        return isinstance(record.get("id"), str)
    if op == "batch":
        docs, deleted = record.get("docs"), record.get("deleted", [])
        return (isinstance(docs, dict) and all(isinstance(doc, dict) for doc in docs.values())
                and isinstance(deleted, list) and all(isinstance(doc_id, str) for doc_id in deleted))
    return False


def apply(docs: dict[str, dict], record: dict[str, Any]) -> None:
    """Replays one record onto the in-memory documents."""
    op = record["op"]
    if op == "put":
        docs[record["id"]] = record["doc"]
    elif op == "del":
        docs.pop(record["id"], None)
    else:
        docs.update(record["docs"])
        for doc_id in record.get("deleted", ()):
            docs.pop(doc_id, None)
