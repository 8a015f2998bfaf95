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
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            arrays = {name: npz[name] for name in npz.files if name != META_ENTRY}
            meta_raw = str(npz[META_ENTRY]) if META_ENTRY in npz.files else "{}"
    except WeightsFileError:
        raise
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:
        raise WeightsFileError("The weights file is damaged or is not a weights file.") from exc
    try:
        meta = json.loads(meta_raw)
    except json.JSONDecodeError as exc:
        raise WeightsFileError("The weights file's description is damaged.") from exc
    if not isinstance(meta, dict):
        raise WeightsFileError("The weights file's description is damaged.")
    for name, array in arrays.items():
        if array.dtype.kind not in "fiu":
            raise WeightsFileError(f"The weights file holds non-numeric data ({name}).")
        if not np.all(np.isfinite(array)):
            raise WeightsFileError(
                f"The weights file holds values that are not finite numbers ({name})."
            )
    return arrays, meta


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
