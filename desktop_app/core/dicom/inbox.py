"""Received DICOM instances on disk: one atomic file per instance, in a folder per study and series."""

from __future__ import annotations

import io
import logging
import re
from dataclasses import dataclass
from pathlib import Path

from local_store.fsio import atomic_write, remove_stale_temps

log = logging.getLogger(__name__)

_UID = re.compile(r"[0-9]+(\.[0-9]+)*")  # DICOM UIDs are digits and dots: also keeps paths inside the inbox
INBOX_FOLDER = "dicom_inbox"


class InstanceRefused(ValueError):
    """An instance we will not keep; `status` is the DICOM status to answer with."""

    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class InstanceInfo:
    study_uid: str
    series_uid: str
    sop_uid: str
    modality: str


def describe(data: bytes) -> InstanceInfo:
    """The UIDs and modality of an encoded instance, read without its pixel data."""
    import pydicom
    from pydicom.errors import InvalidDicomError

    try:
        ds = pydicom.dcmread(io.BytesIO(data), stop_before_pixels=True)
    except (InvalidDicomError, EOFError, OSError, ValueError, AttributeError, KeyError) as exc:
        raise InstanceRefused(f"the data is not a readable DICOM instance ({exc})", 0xC210) from exc
    uids = [str(ds.get(name, "")).strip() for name in ("StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID")]
    if not all(_UID.fullmatch(uid) and len(uid) <= 64 for uid in uids):
        raise InstanceRefused("the instance lacks valid study, series or instance UIDs", 0xA900)
    return InstanceInfo(*uids, modality=str(ds.get("Modality", "")).upper())


class Inbox:
    """`<data dir>/dicom_inbox/<study UID>/<series UID>/<instance UID>.dcm`."""

    def __init__(self, data_dir: Path):
        self.root = Path(data_dir) / INBOX_FOLDER

    def series_dir(self, study_uid: str, series_uid: str) -> Path:
        for uid in (study_uid, series_uid):
            if not _UID.fullmatch(uid):
                raise ValueError(f"not a DICOM UID: {uid!r}")
        return self.root / study_uid / series_uid

    def keep(self, data: bytes, info: InstanceInfo) -> Path:
        """Writes the instance durably (temp file, fsync, rename); OSError leaves no partial file."""
        folder = self.series_dir(info.study_uid, info.series_uid)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{info.sop_uid}.dcm"
        atomic_write(path, data)
        return path

    def instances(self, study_uid: str, series_uid: str) -> list[Path]:
        folder = self.series_dir(study_uid, series_uid)
        return sorted(folder.glob("*.dcm")) if folder.is_dir() else []

    def clean_temps(self) -> int:
        """Removes temp files a crash left behind (only acknowledged instances are ever renamed in)."""
        removed = 0
        if self.root.is_dir():
            for folder in self.root.glob("*/*"):
                removed += remove_stale_temps(folder)
        return removed
