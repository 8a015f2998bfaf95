"""Plain-words formatting shared by the doctor screens: dates, labels, statuses, confidence."""

from __future__ import annotations

import time
from datetime import datetime

from desktop_app.core.labels import key_of
from desktop_app.core.wording import finding_text, model_percent

STATUS_TEXT = {"pending": "Pending review", "approved": "Approved", "rejected": "Rejected"}
DAY_MS = 24 * 60 * 60 * 1000


def label_text(key: str | None, fallback: str | None = None) -> str:
    """Display text for a label key (falls back to the stored display label)."""
    return finding_text(key or fallback, fallback or "—")


def label_key_of(report: dict) -> str:
    """The report's label key, derived from the display label for older documents."""
    return report.get("label_key") or key_of(report.get("label")) or ""


def status_text(status: str | None) -> str:
    return STATUS_TEXT.get(status or "", (status or "—").capitalize())


def confidence_text(confidence: float | None) -> str:
    return model_percent(confidence)


def date_text(ms: int | float | None) -> str:
    """'28 Nov 2026 14:05' in local time; '—' if unknown."""
    if not ms:
        return "—"
    return datetime.fromtimestamp(ms / 1000).strftime("%d %b %Y %H:%M")


def short_date_text(ms: int | float | None) -> str:
    if not ms:
        return "—"
    return datetime.fromtimestamp(ms / 1000).strftime("%d %b %Y")


def age_text(ms: int | float | None, now_ms: int | None = None) -> str:
    """How long ago, in the words a clinic uses: 'today', '3 days', '5 weeks'."""
    if not ms:
        return "—"
    now_ms = now_ms if now_ms is not None else int(time.time() * 1000)
    days = max(0, int((now_ms - ms) // DAY_MS))
    if days == 0:
        return "today"
    if days == 1:
        return "1 day"
    if days < 14:
        return f"{days} days"
    return f"{days // 7} weeks"


def start_of_today_ms() -> int:
    today = datetime.now().replace(hour=0, minute=0, second=0, microsecond=0)
    return int(today.timestamp() * 1000)


def display_name(user: dict | None, username: str) -> str:
    """A person's full name when known, else their username."""
    if user and user.get("full_name"):
        return str(user["full_name"])
    return username


def patient_key(report: dict) -> str:
    """Groups a patient's reports: the account's username, else the DICOM Patient ID of a received series."""
    if report.get("username"):
        return report["username"]
    patient_id = (report.get("series") or {}).get("patient_id")
    return f"dicom:{patient_id}" if patient_id else ""


def patient_text(report: dict, name_of) -> str:
    """The patient's name; for a received series with no account here, the name and ID from the scanner."""
    if report.get("username"):
        return name_of(report["username"])
    series = report.get("series") or {}
    name = series.get("patient_name") or "Unknown patient"
    return f"{name} (ID {series.get('patient_id') or '?'}, no account)"


def study_date_text(value: str | None) -> str:
    """DICOM 'YYYYMMDD' as '15 Mar 2024' ('—' when missing or malformed)."""
    try:
        return datetime.strptime(value or "", "%Y%m%d").strftime("%d %b %Y")
    except ValueError:
        return "—"
