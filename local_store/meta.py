"""`store.json`: the store's format marker and schema version, plus the migration runner."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .errors import StoreError
from .fsio import atomic_write, write_error
from .quarantine import Quarantine

log = logging.getLogger(__name__)

META_NAME = "store.json"
FORMAT = "tumorpredict-store"
BASE_VERSION = 1

Migration = Callable[[Any], None]


class Meta:
    """Reads and writes `store.json`; a damaged one is set aside and rebuilt from what is known."""

    def __init__(self, data_dir: Path, quarantine: Quarantine) -> None:
        self.path = data_dir / META_NAME
        self._quarantine = quarantine
        self.doc: dict[str, Any] = {}

    def load(self, *, fresh_version: int) -> bool:
        """Reads the file; returns True when it was created now (a new store)."""
        try:
            doc = json.loads(self.path.read_text(encoding="utf-8"))
            if not isinstance(doc, dict) or not isinstance(doc.get("schema_version"), int):
                raise ValueError("no schema_version")
        except FileNotFoundError:
            self.doc = {"format": FORMAT, "schema_version": fresh_version}
            self.save()
            return True
        except (OSError, ValueError) as exc:
            # Without a trustworthy version, assume the oldest so every migration runs again;
            # migrations are written to be idempotent for exactly this reason.
            self._quarantine.move(self.path, "meta", f"it is damaged ({exc}); assuming schema version {BASE_VERSION}")
            self.doc = {"format": FORMAT, "schema_version": BASE_VERSION}
            self.save()
            return False
        self.doc = doc
        return False

    @property
    def version(self) -> int:
        return int(self.doc["schema_version"])

    def set_version(self, version: int) -> None:
        self.doc["schema_version"] = version
        self.save()

    def save(self) -> None:
        try:
            atomic_write(self.path, (json.dumps(self.doc, indent=2) + "\n").encode("utf-8"))
        except OSError as exc:
            raise write_error(exc, "the store's version file") from exc


def target_version(migrations: dict[int, Migration] | None) -> int:
    return max([BASE_VERSION, *(migrations or {})])


def run_migrations(store: Any, meta: Meta, migrations: dict[int, Migration] | None) -> None:
    """Brings an older store up to date, one version at a time, recording each step durably."""
    target = target_version(migrations)
    if meta.version > target:
        raise StoreError(
            f"This data folder was saved by a newer version of TumorPredict (data version {meta.version}; "
            f"this version understands up to {target}). Please update TumorPredict to open it."
        )
    for version in sorted(migrations or {}):
        if version <= meta.version:
            continue
        log.info("Migrating the store in %s from version %d to %d", meta.path.parent, meta.version, version)
        try:
            migrations[version](store)
        except StoreError:
            raise
        except Exception as exc:
            raise StoreError(
                f"Updating the saved data to version {version} failed ({exc}). The data folder "
                f"stays at version {meta.version} and nothing was deleted; please contact support."
            ) from exc
        meta.set_version(version)
