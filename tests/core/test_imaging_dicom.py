"""DICOM through pydicom: MONOCHROME1/2, rescale, window, multi-frame, compression, refusals."""

from __future__ import annotations

import io

import numpy as np
import pydicom
import pytest
from PIL import Image
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, JPEGLSLossless, RLELossless, generate_uid

from desktop_app.core.imaging import ImageError, load_gray
from desktop_app.paths import resources_dir

SAMPLE = resources_dir() / "samples" / "meningioma_1.jpg"


def sample_gray() -> np.ndarray:
    return np.asarray(Image.open(SAMPLE).convert("L"))


def make_dicom(pixels: np.ndarray, *, photometric: str = "MONOCHROME2", syntax=ExplicitVRLittleEndian, **tags) -> bytes:
    """A real DICOM file written by pydicom (secondary capture MR slice)."""
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = pydicom.uid.SecondaryCaptureImageStorage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID, ds.SOPInstanceUID = meta.MediaStorageSOPClassUID, meta.MediaStorageSOPInstanceUID
    ds.Modality = "MR"
    frames = pixels.shape[0] if pixels.ndim == 3 else 1
    ds.Rows, ds.Columns = pixels.shape[-2:]
    if frames > 1:
        ds.NumberOfFrames = frames
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = photometric
    ds.BitsAllocated = ds.BitsStored = pixels.dtype.itemsize * 8
    ds.HighBit = ds.BitsStored - 1
    ds.PixelRepresentation = 0
    for key, value in tags.items():
        setattr(ds, key, value)
    ds.PixelData = pixels.tobytes()
    if syntax != ExplicitVRLittleEndian:
        ds.compress(syntax)
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()


def test_monochrome2_8_bit_round_trips():
    gray = sample_gray()
    assert np.array_equal(load_gray(make_dicom(gray)), gray) or np.abs(load_gray(make_dicom(gray)).astype(int) - gray).max() <= 2


def test_monochrome1_is_inverted_back():
    gray = sample_gray()
    decoded = load_gray(make_dicom(255 - gray, photometric="MONOCHROME1"))
    assert np.corrcoef(decoded.ravel(), gray.ravel())[0, 1] > 0.99


def test_rescale_and_window_are_applied():
    gray = sample_gray().astype(np.uint16)
    stored = gray * 4 + 1000  # real values = stored * 0.25 - 250 = gray
    decoded = load_gray(make_dicom(stored.astype(np.uint16), RescaleSlope=0.25, RescaleIntercept=-250,
                                   WindowCenter=127.5, WindowWidth=256))
    assert np.abs(decoded.astype(int) - sample_gray()).max() <= 1


def test_multi_frame_middle_by_default_and_chosen_frame():
    gray = sample_gray()
    frames = np.stack([np.roll(gray, 30 * k, axis=1) for k in range(3)])
    data = make_dicom(frames)
    assert np.array_equal(load_gray(data), frames[1])
    assert np.array_equal(load_gray(data, frame=2), frames[2])
    with pytest.raises(ImageError) as err:
        load_gray(data, frame=5)
    assert err.value.reason == "frame" and "3 frame" in err.value.user_message


def test_rle_compressed_dicom_is_read():
    gray = sample_gray()
    assert np.array_equal(load_gray(make_dicom(gray, syntax=RLELossless)), gray)


def test_unsupported_compression_gets_a_clear_message():
    data = bytearray(make_dicom(sample_gray()))
    ds = pydicom.dcmread(io.BytesIO(bytes(data)))
    ds.file_meta.TransferSyntaxUID = JPEGLSLossless  # claims JPEG-LS; no decoder for it is installed
    ds.PixelData = pydicom.encaps.encapsulate([b"\xff\xd8" + bytes(64) + b"\xff\xd9"])
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    with pytest.raises(ImageError) as err:
        load_gray(buffer.getvalue())
    assert err.value.reason in ("dicom", "truncated")
    assert "DICOM" in err.value.user_message


def test_dicom_without_pixels_is_refused():
    ds = pydicom.dcmread(io.BytesIO(make_dicom(sample_gray())))
    del ds.PixelData
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    with pytest.raises(ImageError) as err:
        load_gray(buffer.getvalue())
    assert err.value.reason == "dicom" and "holds no image" in err.value.user_message


def test_truncated_dicom():
    data = make_dicom(sample_gray())
    with pytest.raises(ImageError) as err:
        load_gray(data[: len(data) // 2])
    assert err.value.reason in ("truncated", "dicom")
