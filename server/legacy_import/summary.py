"""The import's report: counts per kind, and problems grouped by cause (a few examples each, not one line per record)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

EXAMPLES = 8  # names shown per group; the rest are counted
KINDS = ("users", "reports", "images", "messages", "weight_files", "unlinked_images")


@dataclass
class Group:
    level: str  # "NOT IMPORTED": records left out; "CHECK": imported, but someone should look
    title: str
    items: list[str] = field(default_factory=list)

    def line(self) -> str:
        shown = ", ".join(self.items[:EXAMPLES])
        more = f" and {len(self.items) - EXAMPLES} more" if len(self.items) > EXAMPLES else ""
        return f"{self.level}: {self.title} ({len(self.items)}): {shown}{more}"


@dataclass
class ImportReport:
    """What was (or, in a dry run, would be) imported, what was already there, and what needs a look."""

    dry_run: bool = False
    imported: Counter = field(default_factory=Counter)
    already_present: Counter = field(default_factory=Counter)
    groups: dict[tuple[str, str], Group] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def problem(self, title: str, item: str) -> None:
        """A record that was not imported, and why (`title` is the why, shared by the group)."""
        self._group("NOT IMPORTED", title).items.append(item)

    def check(self, title: str, item: str) -> None:
        """A record that was imported but needs someone's attention."""
        self._group("CHECK", title).items.append(item)

    def _group(self, level: str, title: str) -> Group:
        return self.groups.setdefault((level, title), Group(level, title))

    @property
    def problems(self) -> int:
        """How many records were left out (0: everything was imported)."""
        return sum(len(g.items) for g in self.groups.values() if g.level == "NOT IMPORTED")

    def count_of(self, level: str, title: str) -> int:
        group = self.groups.get((level, title))
        return len(group.items) if group else 0

    def lines(self) -> list[str]:
        verb = "would import" if self.dry_run else "imported"
        out = [f"{verb} {self.imported[k]} {k.replace('_', ' ')}" for k in KINDS]
        out += [f"{verb} {n} {k}" for k, n in sorted(self.imported.items()) if k not in KINDS]
        out += [f"already present (skipped) {n} {k.replace('_', ' ')}" for k, n in sorted(self.already_present.items())]
        out += [g.line() for g in self.groups.values() if g.level == "CHECK"]
        out += [f"note: {n}" for n in self.notes]
        out += [g.line() for g in self.groups.values() if g.level == "NOT IMPORTED"]
        return out
