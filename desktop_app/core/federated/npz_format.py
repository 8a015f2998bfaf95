"""The `.npz` file federated weights travel in: named arrays plus a JSON metadata entry, never pickles."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from typing import Any

import numpy as np

from desktop_app.core.federated.errors import FederatedError

META_ENTRY = "__meta__"
# A head for a few thousand-wide embedding is well under a megabyte; anything near this is not a head.
MAX_FILE_BYTES = 32 * 1024 * 1024
# Largest absolute value a weight may hold once stored as float32. Trained heads stay within a few
# units; values near float32's range turn into infinity as soon as they are averaged.
MAX_ABS_WEIGHT = 1e4


class WeightsFileError(FederatedError, ValueError):
    """A weights file that cannot be used."""


def checksum(data: bytes) -> str:
    """SHA-256 of the file's bytes, the checksum the server publishes for its global weights."""
    return hashlib.sha256(data).hexdigest()


def dump_npz(arrays: dict[str, np.ndarray], meta: dict[str, Any] | None = None) -> bytes:
    """The `.npz` bytes: each array as float32 under its name, `meta` as a JSON string entry."""
    if META_ENTRY in arrays:
        raise ValueError(f"{META_ENTRY} is reserved for the metadata")
    payload: dict[str, np.ndarray] = {
        name: np.asarray(a, dtype=np.float32) for name, a in arrays.items()
    }
    payload[META_ENTRY] = np.array(json.dumps(meta or {}, sort_keys=True))
    buffer = io.BytesIO()
    np.savez(buffer, **payload)
    return buffer.getvalue()


def load_npz(
    data: bytes, *, max_bytes: int = MAX_FILE_BYTES
) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Arrays and metadata from `.npz` bytes; WeightsFileError when the file is unusable."""
    if len(data) > max_bytes:
        raise WeightsFileError(f"The weights file is too large ({len(data) // 1024} KB).")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            # The declared sizes bound what np.load will inflate (no decompression bomb).
            if sum(info.file_size for info in archive.infolist()) > max_bytes:
                raise WeightsFileError(
                    "The weights file unpacks to more data than a model head can hold."
                )
            for info in archive.infolist():
                _check_member(archive, info)
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            arrays = {name: npz[name] for name in npz.files if name != META_ENTRY}
            meta_raw = str(npz[META_ENTRY]) if META_ENTRY in npz.files else "{}"
    except WeightsFileError:
        raise
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, KeyError) as exc:
        raise WeightsFileError("The weights file is damaged or is not a weights file.") from exc
    try:
        meta = json.loads(meta_raw)
    except json.JSONDecodeError as exc:
        raise WeightsFileError("The weights file's description is damaged.") from exc
    if not isinstance(meta, dict):
        raise WeightsFileError("The weights file's description is damaged.")
    for name, array in arrays.items():
        check_values(name, array)
    return arrays, meta


def check_values(name: str, array: np.ndarray) -> None:
    """WeightsFileError unless `array` is numeric and stays finite and modest once stored as float32."""
    if array.dtype.kind not in "fiu":
        raise WeightsFileError(f"The weights file holds non-numeric data ({name}).")
    # Checked after the cast the server stores: 1e300 is finite as float64 but infinite as float32.
    with np.errstate(over="ignore", invalid="ignore"):
        stored = np.asarray(array, dtype=np.float32)
    if not np.all(np.isfinite(stored)):
        raise WeightsFileError(f"The weights file holds values that are not finite numbers ({name}).")
    if stored.size and float(np.max(np.abs(stored))) > MAX_ABS_WEIGHT:
        raise WeightsFileError(
            f"The weights file holds values far outside what a trained model uses ({name}: "
            f"beyond ±{MAX_ABS_WEIGHT:g})."
        )


def _check_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    """Each entry must be a `.npy` array whose header declares no more data than the entry holds.

    Read from the header alone, so a declared (10⁶, 10⁶) array is refused before anything is allocated.
    """
    if not info.filename.endswith(".npy"):
        raise WeightsFileError(f"The weights file holds an entry that is not an array ({info.filename[:80]}).")
    with archive.open(info) as member:
        try:
            version = np.lib.format.read_magic(member)
            reader = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
            shape, _fortran, dtype = reader(member)
        except (ValueError, OSError, EOFError) as exc:
            raise WeightsFileError(f"The weights file holds a damaged array ({info.filename[:80]}).") from exc
    if dtype.hasobject:
        raise WeightsFileError(f"The weights file holds non-numeric data ({info.filename[:80]}).")
    declared = int(np.prod(shape, dtype=object)) * dtype.itemsize
    if declared > info.file_size:
        raise WeightsFileError(
            f"The weights file is damaged: {info.filename[:80]} declares more data than it holds."
        )


def check_shapes(arrays: dict[str, np.ndarray], expected: dict[str, np.ndarray]) -> None:
    """WeightsFileError unless `arrays` has exactly the names and shapes of `expected`."""
    if sorted(arrays) != sorted(expected):
        raise WeightsFileError(
            f"The weights do not fit this model: they hold {sorted(arrays)}, the model needs {sorted(expected)}."
        )
    for name, reference in expected.items():
        if arrays[name].shape != reference.shape:
            raise WeightsFileError(
                f"The weights do not fit this model: {name} is {arrays[name].shape}, "
                f"the model needs {reference.shape}."
            )
