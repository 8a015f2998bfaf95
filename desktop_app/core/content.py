"""Shipped reading content: health tips, emergency numbers and warning signs, the clinic's doctors directory.

Each file is read from the data dir's `content/` folder first (a clinic's own version), then from the
install's `resources/`. Emergency numbers may also be set in settings (`emergency_numbers`).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from desktop_app.paths import resources_dir

log = logging.getLogger(__name__)

HEALTH_TIPS = "health_tips.json"
EMERGENCY = "emergency.json"
DOCTORS = "doctors.json"


class Content:
    def __init__(self, data_dir: Path | None = None, settings=None, resources: Path | None = None):
        self._folders = [p for p in ((data_dir / "content") if data_dir else None, resources or resources_dir()) if p]
        self._settings = settings

    def health_tips(self) -> list[dict[str, Any]]:
        """[{title, category, body, source?}] in reading order."""
        data = self._load(HEALTH_TIPS, {"tips": []})
        return [t for t in data.get("tips", []) if isinstance(t, dict) and t.get("title") and t.get("body")]

    def emergency(self) -> dict[str, Any]:
        """{numbers: [{label, number, note?}], warning_signs, while_waiting: [str], advice, urgent_message}."""
        data = self._load(EMERGENCY, {})
        result = {
            "numbers": [n for n in data.get("numbers", []) if isinstance(n, dict) and n.get("number")],
            "warning_signs": [s for s in data.get("warning_signs", []) if isinstance(s, str)],
            "while_waiting": [s for s in data.get("while_waiting", []) if isinstance(s, str)],
            "advice": data.get("advice", ""),
            "urgent_message": data.get("urgent_message", ""),
        }
        configured = self._settings.get("emergency_numbers") if self._settings is not None else None
        if isinstance(configured, list) and configured:
            result["numbers"] = [n for n in configured if isinstance(n, dict) and n.get("number")]
        return result

    def doctors_directory(self) -> list[dict[str, Any]]:
        """The clinic's doctors as the clinic published them (empty when none is installed)."""
        data = self._load(DOCTORS, {"doctors": []})
        return [d for d in data.get("doctors", []) if isinstance(d, dict) and d.get("username")]

    def _load(self, name: str, empty: dict[str, Any]) -> dict[str, Any]:
        for folder in self._folders:
            path = folder / name
            if not path.is_file():
                continue
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                # A broken clinic file must not hide the shipped content.
                log.warning("ignoring unreadable content file %s (%s)", path, exc)
                continue
            if isinstance(data, dict):
                return data
            log.warning("ignoring content file %s: not a JSON object", path)
        return empty
