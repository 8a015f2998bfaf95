"""Counts in words: "1 case", "2 cases", never "case(s)"."""

from __future__ import annotations


def count_text(count: int, singular: str, plural: str | None = None) -> str:
    return f"{count} {singular if count == 1 else (plural or singular + 's')}"
