"""What the status bar says about sync, in clinician words: a pure function of the engine's status.

Kept free of Qt so the wording can be checked (and changed) without building a window.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from desktop_app.core.sync.status import SyncStatus

NO_SERVER_TEXT = "No server configured — working offline"
# Without a server nothing is "waiting": nothing will be sent until the clinic connects one.
KEPT_HERE = "Everything is kept on this computer"
KEPT_HERE_DETAIL = ("This computer is not connected to a clinic server, so everything you do is kept "
                    "here and nothing is sent anywhere. If your clinic connects a server later, your "
                    "changes and messages are sent then.")
KEPT = "Your changes are kept on this computer and will be sent automatically."

# The API client words its network failures itself (core/api_client.py); the status bar has room
# for a short headline only, so the common ones get one. The full sentence goes in the tooltip.
_SHORT_PROBLEMS = (
    ("did not answer in time", "Server not answering (timed out)"),
    ("could not be reached", "Server unreachable"),
    ("is busy", "Server busy"),
    ("had a problem", "Server error"),
    ("answer the app cannot read", "Server error"),
    ("refused by the server", "A change was refused by the server"),
    ("fetching changes for", "Some updates were refused by the server"),
)
MAX_PROBLEM = 60  # characters the status bar gives a problem; the tooltip has the rest


@dataclass(frozen=True)
class SyncView:
    state: str  # no_server | syncing | online | offline | needs_login
    pill: str  # the short state word(s) in the coloured pill
    pill_kind: str  # a `pill` style of resources/style.qss: approved, pending, rejected, info
    synced: str  # "Synced 2 min ago", "Not synced yet", or the no-server line
    pending: str  # "3 changes waiting to sync" / "All changes synced"
    problem: str  # short, empty when the last pass went fine
    problem_detail: str  # the full sentence, for the tooltip
    can_sync: bool  # whether "Sync now" makes sense (a server is configured)


def relative_time(ms: int | None, now_ms: int) -> str:
    """'just now', '5 min ago', '3 h ago', 'yesterday at 14:02', '12 Mar at 09:15'."""
    if not ms:
        return ""
    seconds = max(0, (now_ms - ms) // 1000)
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{seconds // 60} min ago"
    then = dt.datetime.fromtimestamp(ms / 1000)
    today = dt.datetime.fromtimestamp(now_ms / 1000).date()
    if seconds < 6 * 3600 or then.date() == today:
        return f"{seconds // 3600} h ago"
    if then.date() == today - dt.timedelta(days=1):
        return f"yesterday at {then:%H:%M}"
    if then.year == today.year:
        return f"{then:%d %b} at {then:%H:%M}"
    return f"{then:%d %b %Y} at {then:%H:%M}"


def short_problem(text: str | None) -> str:
    if not text:
        return ""
    for needle, headline in _SHORT_PROBLEMS:
        if needle in text:
            return headline
    return text if len(text) <= MAX_PROBLEM else text[:MAX_PROBLEM - 1].rstrip() + "…"


def pending_text(pending: int, *, online: bool) -> str:
    if pending == 0:
        return "All changes synced" if online else "All changes saved"
    return f"{pending} change{'s' if pending != 1 else ''} waiting to sync"


def describe(status: SyncStatus | None, pending: int, now_ms: int, username: str = "") -> SyncView:
    """The status bar for `status` (a core SyncStatus, or None when no server is configured)."""
    if status is None or not status.server_url:
        return SyncView("no_server", "Offline mode", "info", NO_SERVER_TEXT, KEPT_HERE, "",
                        KEPT_HERE_DETAIL, False)
    synced = (f"Synced {relative_time(status.last_sync_at, now_ms)}" if status.last_sync_at
              else "Not synced yet")
    waiting = pending_text(pending, online=status.online)
    if status.scans_downloading:  # reports are here, their scans come with a later pass
        count = status.scans_downloading
        waiting += f" · {count} scan{'s' if count != 1 else ''} still downloading"
    if username and username in status.needs_login:
        return SyncView("needs_login", "Sign-in needed", "pending", synced, waiting,
                        "Sign in again to sync",
                        f"Your sign-in to the clinic server has expired. {KEPT}", True)
    problem, detail = short_problem(status.last_error), status.last_error or ""
    if status.syncing:
        return SyncView("syncing", "Syncing…", "info", synced, waiting, problem, detail, True)
    if status.online:
        return SyncView("online", "Online", "approved", synced, waiting, problem, detail, True)
    if detail and "kept" not in detail:  # the client's own sentences already say so
        detail = f"{detail} {KEPT}"
    return SyncView("offline", "Offline", "pending" if problem else "info", synced, waiting,
                    problem, detail, True)
