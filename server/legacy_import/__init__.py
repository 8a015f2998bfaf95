"""Imports a legacy server's folder (users, reports, chat, weight uploads, images) without losing a record."""

from __future__ import annotations

from pathlib import Path

from server.legacy_import.doctors import doctor_lookalikes, read_doctor_names, unknown_doctor_names
from server.legacy_import.reading import read_folder
from server.legacy_import.summary import ImportReport
from server.legacy_import.writing import (
    Target,
    import_messages,
    import_reports,
    import_unlinked_images,
    import_users,
    import_weight_files,
    known_accounts,
)
from server.storage import BlobStore, Storage

__all__ = ["ImportReport", "UnknownDoctors", "import_legacy", "read_doctor_names"]


class UnknownDoctors(ValueError):
    """`--doctors` names someone who is not a legacy user: nothing was imported."""

    def __init__(self, unknown: list[str], lookalikes: dict[str, str]):
        self.unknown, self.lookalikes = unknown, lookalikes
        hint = "; accounts that look like doctors: " + ", ".join(
            f"{n} ({why})" for n, why in lookalikes.items()) if lookalikes else ""
        super().__init__(f"named as doctors but not users of the legacy server: {', '.join(unknown)}{hint}")


def import_legacy(root: Path, storage: Storage, blobs: BlobStore, *, doctors: list[str] = (),
                  dry_run: bool = False) -> ImportReport:
    """Imports everything under `root`; `doctors` become doctor accounts. Raises UnknownDoctors before any write."""
    root = Path(root)
    report = ImportReport(dry_run=dry_run)
    if not root.is_dir():
        report.problem("the legacy folder", f"{root} is not a folder")
        return report
    folder = read_folder(root, report)
    named = set(doctors)
    lookalikes = doctor_lookalikes(folder, named)
    unknown = unknown_doctor_names(list(doctors), folder)
    if unknown:
        raise UnknownDoctors(unknown, lookalikes)
    for name, why in lookalikes.items():
        if (user := storage.get_user(name)) and user["role"] == "doctor":
            continue  # made a doctor by an earlier run
        report.check("accounts that look like doctors but were not named with --doctors (imported as "
                     "patients; run again with --doctors to make them doctors)", f"{name} ({why})")
    target = Target(storage, blobs, report, dry_run)
    taken = import_users(folder, named, target)
    accounts = known_accounts(folder, taken, storage)
    linked = import_reports(folder, accounts, taken, target)
    import_messages(folder, accounts, taken, target)
    import_weight_files(folder, target)
    import_unlinked_images(folder, linked, target)
    return report
