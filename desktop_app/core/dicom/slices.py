"""A received series as ordered slices, and the ones worth reading (the middle, skipping near-empty)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

MAX_SLICES_READ = 12  # enough to find the lesion in a brain series, fast enough to triage in a second
MIDDLE_FRACTION = 0.6  # the outer slices of an axial brain series hold skull base and vertex
EMPTY_PIXEL_LEVEL = 20  # uint8 level under which a pixel counts as background
EMPTY_FRACTION = 0.05  # a slice with less tissue than this is skipped


@dataclass(frozen=True)
class SeriesHeader:
    """The tags a report keeps (the docs list exactly these)."""

    study_uid: str
    series_uid: str
    patient_id: str
    patient_name: str
    study_date: str
    study_description: str
    series_description: str
    modality: str

    def as_dict(self) -> dict[str, str]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Slice:
    path: Path
    sop_uid: str
    instance_number: int
    position: float  # along the slice normal, when the file says


def _read_header(path: Path):
    import pydicom

    return pydicom.dcmread(path, stop_before_pixels=True)


def series_header(ds) -> SeriesHeader:
    def text(name: str) -> str:
        return str(ds.get(name, "") or "").strip()

    return SeriesHeader(text("StudyInstanceUID"), text("SeriesInstanceUID"), text("PatientID"),
                        text("PatientName").replace("^", " ").strip(), text("StudyDate"),
                        text("StudyDescription"), text("SeriesDescription"), text("Modality"))


def _position(ds) -> float:
    try:
        orientation = np.asarray([float(v) for v in ds.ImageOrientationPatient], dtype=np.float64)
        normal = np.cross(orientation[:3], orientation[3:])
        return float(np.dot(normal, [float(v) for v in ds.ImagePositionPatient]))
    except (AttributeError, TypeError, ValueError):
        return float("nan")


def ordered_slices(paths: list[Path]) -> tuple[SeriesHeader | None, list[Slice]]:
    """Slices in anatomical order (position, else instance number); unreadable files are skipped."""
    from pydicom.errors import InvalidDicomError

    header, slices = None, []
    for path in paths:
        try:
            ds = _read_header(path)
        except (InvalidDicomError, OSError, ValueError, EOFError) as exc:
            log.warning("received file %s cannot be read (%s); skipped", path.name, exc)
            continue
        header = header or series_header(ds)
        number = ds.get("InstanceNumber")
        slices.append(Slice(path, str(ds.get("SOPInstanceUID", path.stem)),
                            int(number) if number not in (None, "") else 0, _position(ds)))
    by_position = all(np.isfinite(s.position) for s in slices)
    slices.sort(key=(lambda s: (s.position, s.instance_number)) if by_position else (lambda s: s.instance_number))
    return header, slices


def middle_candidates(slices: list[Slice], limit: int = MAX_SLICES_READ) -> list[Slice]:
    """Evenly spaced slices from the middle of the series, at most `limit`."""
    if len(slices) <= 2:
        return list(slices)
    margin = int(len(slices) * (1 - MIDDLE_FRACTION) / 2)
    middle = slices[margin:len(slices) - margin] or slices
    if len(middle) <= limit:
        return middle
    picks = np.linspace(0, len(middle) - 1, limit).round().astype(int)
    return [middle[i] for i in sorted(set(picks.tolist()))]


def is_near_empty(gray: np.ndarray) -> bool:
    return float((np.asarray(gray) > EMPTY_PIXEL_LEVEL).mean()) < EMPTY_FRACTION
