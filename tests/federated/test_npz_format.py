"""The weights file: named arrays and metadata survive a round trip; damaged, non-finite or mis-shaped files are refused."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest

from desktop_app.core.federated.npz_format import (
    WeightsFileError,
    check_shapes,
    checksum,
    dump_npz,
    load_npz,
)


def _arrays():
    return {
        "W": np.arange(12, dtype=np.float32).reshape(4, 3),
        "b": np.array([0.5, -1.0, 2.0], np.float32),
    }


def test_round_trip_keeps_names_values_and_metadata():
    meta = {"num_examples": 42, "base_version": "v1", "model_id": "abc", "client_id": "clinic-1"}
    data = dump_npz(_arrays(), meta)
    arrays, read_meta = load_npz(data)
    assert sorted(arrays) == ["W", "b"]
    np.testing.assert_array_equal(arrays["W"], _arrays()["W"])
    assert read_meta == meta
    assert checksum(data) == checksum(dump_npz(_arrays(), meta))  # deterministic bytes


def test_plain_numpy_npz_without_metadata_loads():
    buffer = io.BytesIO()
    np.savez(buffer, **_arrays())
    arrays, meta = load_npz(buffer.getvalue())
    assert meta == {} and sorted(arrays) == ["W", "b"]


@pytest.mark.parametrize(
    "data",
    [b"", b"not a zip at all", dump_npz({"W": np.ones((2, 2))})[:-30]],
    ids=["empty", "garbage", "truncated"],
)
def test_damaged_files_are_refused_in_plain_words(data):
    with pytest.raises(WeightsFileError, match="damaged"):
        load_npz(data)


def test_non_finite_values_are_refused():
    with pytest.raises(WeightsFileError, match="not finite"):
        load_npz(dump_npz({"W": np.array([[1.0, np.nan]])}))


def test_pickled_objects_are_never_loaded():
    buffer = io.BytesIO()
    np.savez(buffer, W=np.array([{"evil": 1}], dtype=object))
    with pytest.raises(WeightsFileError):
        load_npz(buffer.getvalue())


def test_files_that_unpack_too_large_are_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("W.npy", b"\0" * 2_000_000)
    with pytest.raises(WeightsFileError, match="unpacks"):
        load_npz(buffer.getvalue(), max_bytes=1_000_000)


def test_shapes_must_match_the_model():
    check_shapes(_arrays(), _arrays())
    with pytest.raises(WeightsFileError, match=r"W is \(3, 3\)"):
        check_shapes({"W": np.ones((3, 3)), "b": np.ones(3)}, _arrays())
    with pytest.raises(WeightsFileError, match="hold"):
        check_shapes({"W": np.ones((4, 3))}, _arrays())
