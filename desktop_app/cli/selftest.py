"""The `tumorpredict self-test` command: checks an installation end to end in a few seconds."""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from desktop_app.paths import resources_dir


def register(commands) -> None:
    parser = commands.add_parser(
        "self-test", help="verify the model, the sample scans, a temporary store and the main window"
    )
    parser.set_defaults(func=_run)


def _check_model_and_samples() -> str:
    from desktop_app.core.inference import InferenceEngine

    engine = InferenceEngine.load()  # verifies the model file's checksum
    samples = sorted((resources_dir() / "samples").glob("*.jpg"))
    if not samples:
        raise RuntimeError("no sample scans were found in the installation")
    wrong = []
    for sample in samples:
        expected = sample.stem.rsplit("_", 1)[0]
        prediction = engine.predict_file(sample)
        if prediction.label_key != expected:
            wrong.append(f"{sample.name} gave {prediction.label_key}")
    if wrong:
        raise RuntimeError("sample scans misclassified: " + ", ".join(wrong))
    return f"model {engine.model_version} ok, {len(samples)} samples right"


def _check_dicom() -> str:
    """pydicom and its pixel decoders are installed: an RLE-compressed slice reads back."""
    import io

    import numpy as np
    import pydicom
    from PIL import Image
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import (
        ExplicitVRLittleEndian,
        RLELossless,
        SecondaryCaptureImageStorage,
        generate_uid,
    )

    from desktop_app.core.imaging import load_gray

    sample = sorted((resources_dir() / "samples").glob("*.jpg"))[0]
    pixels = np.asarray(Image.open(sample).convert("L").resize((64, 64)))
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = SecondaryCaptureImageStorage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID, ds.SOPInstanceUID = meta.MediaStorageSOPClassUID, meta.MediaStorageSOPInstanceUID
    ds.Modality, ds.Rows, ds.Columns = "MR", *pixels.shape
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated = ds.BitsStored = 8
    ds.HighBit, ds.PixelRepresentation = 7, 0
    ds.PixelData = pixels.tobytes()
    ds.compress(RLELossless)
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    decoded = load_gray(buffer.getvalue(), "selftest.dcm")
    if decoded.shape != pixels.shape:
        raise RuntimeError(f"a DICOM slice read back as {decoded.shape}, not {pixels.shape}")
    return f"DICOM ok (pydicom {pydicom.__version__})"


def _check_keyring() -> str:
    """The OS keyring backends are installed and one answers, or the app knows to keep sign-ins in
    memory (a kiosk with no keyring). Nothing is read or written: that could prompt an unlock."""
    from importlib.metadata import entry_points

    import keyring

    from desktop_app.core.credentials import CredentialStore

    if not entry_points(group="keyring.backends"):
        raise RuntimeError("the keyring backends are missing from this installation")
    backend = keyring.get_keyring()
    name = f"{type(backend).__module__}.{type(backend).__name__}"
    if CredentialStore(backend).persistent:
        return f"keyring {name}"
    return f"no usable keyring ({name}): sign-ins stay in memory"


def _check_store_and_window() -> str:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from desktop_app.core.services import AppServices

    with tempfile.TemporaryDirectory(prefix="tumorpredict-selftest-") as folder:
        services = AppServices.open(Path(folder))
        try:
            user = services.accounts.register(
                "selftest", "selftest@example.org", "self-test-password", "patient"
            )
            services.store.collection("settings").put("selftest", {"written": True})
            if services.store.collection("settings").get("selftest") != {"written": True}:
                raise RuntimeError("the temporary store did not read back what was written")
            from desktop_app.ui.app import build_main_window, ensure_application

            app = ensure_application()
            window = build_main_window(services, user)
            window.show()
            app.processEvents()
            window.close()
            window.deleteLater()
            app.processEvents()
        finally:
            services.close()
    return "store ok, main window ok"


CHECKS: tuple[tuple[str, Callable[[], str]], ...] = (
    ("model", _check_model_and_samples),
    ("dicom", _check_dicom),
    ("keyring", _check_keyring),
    ("app", _check_store_and_window),
)


def _run(ctx, args) -> int:
    from desktop_app.cli.context import CliError

    started = time.perf_counter()
    results = []
    for name, check in CHECKS:
        try:
            results.append(check())
        except Exception as exc:  # any failure is the answer: report it in one line
            raise CliError(f"self-test failed ({name}): {exc}") from exc
    elapsed = time.perf_counter() - started
    print(f"self-test passed in {elapsed:.1f} s: " + "; ".join(results))
    return 0
