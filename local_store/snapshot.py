"""Collection snapshots: one readable JSON file, one document per line, written atomically."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .fsio import atomic_write
from .records import dumps

FORMAT = 1


@dataclass
class SnapshotRead:
    """What could be read from a snapshot file; `damaged` says why it is not fully trusted."""

    docs: dict[str, dict] = field(default_factory=dict)
    seq: int = 0
    damaged: str | None = None


def encode(name: str, seq: int, docs: dict[str, dict]) -> bytes:
    """The snapshot text: still valid JSON, but one document per line so a hand edit or a bad
    sector damages one line, and `salvage` can recover every other document."""
    header = f'{{"format":{FORMAT},"collection":{dumps(name)},"seq":{seq},"count":{len(docs)},"docs":{{\n'
    body = ",\n".join(f"{dumps(doc_id)}:{dumps(doc)}" for doc_id, doc in docs.items())
    return (header + body + "\n}}\n").encode("utf-8")


def write(path: Path, name: str, seq: int, docs: dict[str, dict]) -> int:
    """Atomically replaces the snapshot; returns its size in bytes. Raises OSError."""
    data = encode(name, seq, docs)
    atomic_write(path, data)
    return len(data)


def read(path: Path) -> SnapshotRead:
    """Reads a snapshot; a damaged one is salvaged line by line and flagged in `damaged`."""
    raw = path.read_bytes()
    try:
        parsed = json.loads(raw)
    except ValueError as exc:
        return _salvage(raw, f"it is not valid JSON ({exc})")
    problem = _problem(parsed)
    if problem:
        return _salvage(raw, problem)
    return SnapshotRead(parsed["docs"], parsed["seq"])


def _problem(parsed: Any) -> str | None:
    if not isinstance(parsed, dict) or parsed.get("format") != FORMAT:
        return "it is not a snapshot this version understands"
    if not isinstance(parsed.get("seq"), int) or not isinstance(parsed.get("docs"), dict):
        return "its header is damaged"
    if set(map(type, parsed["docs"].values())) - {dict}:  # map/set run in C: cheap on 50,000 documents
        bad = [doc_id for doc_id, doc in parsed["docs"].items() if not isinstance(doc, dict)]
        return f"{len(bad)} entries are not documents (first: {bad[0]!r})"
    return None


def _salvage(raw: bytes, reason: str) -> SnapshotRead:
    """Recovers every document line that still parses on its own."""
    lines = raw.decode("utf-8", errors="replace").split("\n")
    result = SnapshotRead(damaged=reason, seq=-1)  # unknown: the whole log is replayed on top
    try:
        header = json.loads(lines[0] + "}}")
        if isinstance(header.get("seq"), int):
            result.seq = header["seq"]
    except (ValueError, AttributeError):
        pass
    for line in lines[1:]:
        try:
            entry = json.loads("{" + line.rstrip().rstrip(",") + "}")
        except ValueError:
            continue
        for doc_id, doc in entry.items():
            if isinstance(doc, dict):
                result.docs[doc_id] = doc
    return result
