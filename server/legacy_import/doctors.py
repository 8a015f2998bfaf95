"""Who becomes a doctor: only the accounts the clinic names; accounts that act like doctors are listed for a look."""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

from server.legacy_import.reading import LegacyFolder

MANY_PATIENTS = 3  # a patient talks to their doctor or two; someone chatting with this many patients is staff
REVIEWER_FIELDS = ("reviewed_by", "approved_by", "doctor", "doctor_username")  # some forks recorded the reviewer
_DOCTOR_NAME = re.compile(r"^(dr|doc|doctor)([._ -]|$)|^dr[A-Z]", re.IGNORECASE)


def read_doctor_names(names: str | None, names_file: Path | None) -> list[str]:
    """Names from `--doctors a,b` and `--doctors-file` (one per line; blank lines and # comments ignored)."""
    found = [n.strip() for n in (names or "").split(",") if n.strip()]
    if names_file is not None:
        for line in Path(names_file).read_text(encoding="utf-8").splitlines():
            line = line.split("#", 1)[0].strip()
            if line:
                found.append(line)
    return list(dict.fromkeys(found))


def doctor_lookalikes(folder: LegacyFolder, named: set[str]) -> dict[str, str]:
    """Accounts not named as doctors that review reports, chat with many patients or are marked as doctors;
    name -> why."""
    usernames = {u.username for u in folder.users}
    has_reports = {r["username"] for r in folder.reports}
    reasons: dict[str, list[str]] = defaultdict(list)
    reviewed: dict[str, int] = defaultdict(int)
    for record in folder.reports:
        for key in REVIEWER_FIELDS:
            value = record.get(key)
            if isinstance(value, str) and value in usernames and value != record["username"]:
                reviewed[value] += 1
                break
    for username, count in reviewed.items():
        reasons[username].append(f"reviewed {count} report{'s' * (count != 1)}")
    partners: dict[str, set[str]] = defaultdict(set)
    for message in folder.messages:
        partners[message["sender"]].add(message["receiver"])
        partners[message["receiver"]].add(message["sender"])
    for username, people in partners.items():
        patients = len(people & has_reports)
        if username in usernames and patients >= MANY_PATIENTS:
            reasons[username].append(f"chats with {patients} patients")
    for user in folder.users:
        if user.says_doctor:
            reasons[user.username].append("users.json marks it as a doctor")
        elif _DOCTOR_NAME.match(user.username) and user.username not in has_reports:
            reasons[user.username].append("the name looks like a doctor's")
    return {name: "; ".join(why) for name, why in sorted(reasons.items()) if name not in named}


def unknown_doctor_names(named: list[str], folder: LegacyFolder) -> list[str]:
    """Named doctors that are not users of the legacy server (most likely a typo)."""
    known = {u.username for u in folder.users}
    return [n for n in named if n not in known]
