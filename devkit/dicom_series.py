"""MR series written with pydicom from the app's own sample images (multi-slice, with patient and study tags)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, MRImageStorage, generate_uid

SAMPLES = Path(__file__).resolve().parents[1] / "resources" / "samples"


def sample_pixels(name: str, size: int) -> np.ndarray:
    picture = Image.open(SAMPLES / name).convert("L").resize((size, size), Image.Resampling.BILINEAR)
    return np.asarray(picture, dtype=np.float32)


def make_series(sample: str = "glioma_1.jpg", *, slices: int = 8, size: int = 256, patient_id: str = "PAT001",
                patient_name: str = "Doe^Jane", study_date: str = "20261201", study_uid: str | None = None,
                description: str = "AX T1 POST", modality: str = "MR", blank_ends: int = 1) -> list[Dataset]:
    """One axial series: the sample repeated with a slowly changing brightness; `blank_ends` empty slices at each end."""
    base = sample_pixels(sample, size)
    study_uid = study_uid or generate_uid()
    series_uid = generate_uid()
    series = []
    for i in range(slices):
        edge = i < blank_ends or i >= slices - blank_ends
        scale = 0.0 if edge else 1.0 - 0.3 * abs(i - (slices - 1) / 2) / max(1, slices / 2)
        pixels = (base * scale * 8).astype(np.uint16)  # a 12-bit-like range, as scanners send
        series.append(_instance(pixels, i, study_uid, series_uid, patient_id, patient_name, study_date,
                                description, modality))
    return series


def _instance(pixels, index, study_uid, series_uid, patient_id, patient_name, study_date, description, modality):
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = MRImageStorage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = MRImageStorage
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID, ds.SeriesInstanceUID = study_uid, series_uid
    ds.PatientID, ds.PatientName, ds.PatientBirthDate, ds.PatientSex = patient_id, patient_name, "19700101", "F"
    ds.StudyDate, ds.SeriesDate, ds.StudyTime = study_date, study_date, "101500"
    ds.StudyDescription, ds.SeriesDescription = "MRI BRAIN", description
    ds.AccessionNumber, ds.StudyID, ds.SeriesNumber, ds.InstanceNumber = "A" + study_date, "1", 3, index + 1
    ds.Modality = modality
    ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
    ds.ImagePositionPatient = [0, 0, float(index * 5)]
    ds.SliceThickness, ds.PixelSpacing = 5, [0.5, 0.5]
    ds.Rows, ds.Columns = pixels.shape
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    ds.PixelData = pixels.tobytes()
    return ds


def encode(ds: Dataset) -> bytes:
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()


def write_series(series: list[Dataset], folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for ds in series:
        path = folder / f"{ds.SOPInstanceUID}.dcm"
        path.write_bytes(encode(ds))
        paths.append(path)
    return paths
