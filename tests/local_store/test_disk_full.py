"""A full disk: the write is refused with a clear StoreError and nothing becomes inconsistent."""

from __future__ import annotations

import errno
import logging
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from local_store import Store, StoreError, doclog
from tests.small_disk import mounted_tmpfs

from .conftest import spawn_python

PAGE = 4096


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 512 KiB filesystem (tmpfs) that runs out of space; skipped where mounting is not allowed."""
    yield from mounted_tmpfs(tmp_path, "512k")


def _fill_disk(disk: Path, leave_pages: int) -> Path:
    """Fills the disk completely, then frees `leave_pages` pages."""
    filler = disk / "filler.bin"
    with open(filler, "wb", buffering=0) as handle:
        try:
            while True:
                handle.write(b"\0" * PAGE)
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
    os.truncate(filler, max(0, filler.stat().st_size - leave_pages * PAGE))
    return filler


def _files(folder: Path) -> list[str]:
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*") if path.is_file())


def test_full_disk_refuses_the_write_and_keeps_memory_and_disk_consistent(tiny_disk: Path) -> None:
    data_dir = tiny_disk / "data"
    with Store.open(data_dir) as store:
        reports = store.collection("reports")
        reports.put("r1", {"n": 1})
        log_path = data_dir / "collections" / "reports" / "log.jsonl"
        size_before = log_path.stat().st_size
        filler = _fill_disk(tiny_disk, leave_pages=2)

        big = {"n": 2, "notes": "x" * (5 * PAGE)}  # part of it fits, then the disk is full
        with pytest.raises(StoreError) as refused:
            reports.put("r2", big)
        assert "disk is full" in refused.value.user_message
        assert "nothing already saved was lost" in refused.value.user_message.lower()
        assert reports.get("r2") is None and reports.ids() == ["r1"]
        assert log_path.stat().st_size == size_before  # the partial record was cut off again

        with pytest.raises(StoreError, match="disk is full"):
            store.blobs.put(os.urandom(4 * PAGE))
        with pytest.raises(StoreError, match="disk is full"):
            store.outbox.append("create_report", {"report_id": "r2", "pad": "y" * (3 * PAGE)})
        assert store.outbox.pending() == []
        assert not [name for name in _files(data_dir) if name.endswith(".tmp")]

        filler.unlink()  # space freed: the same store carries on
        reports.put("r2", big)
        reports.put("r3", {"n": 3})
    with Store.open(data_dir) as store:
        assert store.collection("reports").ids() == ["r1", "r2", "r3"]
        assert store.collection("reports").get("r2") == big
    assert not (data_dir / "quarantine").exists()


def test_compaction_on_a_full_disk_keeps_the_acknowledged_write(
    tiny_disk: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    data_dir = tiny_disk / "data"
    with Store.open(data_dir) as store:
        reports = store.collection("reports")
        reports.put("big", {"pad": "z" * 1500})  # the log's first page, partly used
        filler = _fill_disk(tiny_disk, leave_pages=0)
        monkeypatch.setattr(doclog, "MIN_COMPACT_BYTES", 1024)  # the next write asks for a compaction
        with caplog.at_level(logging.WARNING):
            reports.put("small", {"n": 1})  # fits in the log's page; a new snapshot does not
            reports.wait_for_compaction()
        assert "Could not compact" in caplog.text
        assert reports.get("small") == {"n": 1}
        assert not (data_dir / "collections" / "reports" / "snapshot.json").exists()
        filler.unlink()
        reports.put("later", {"n": 2})  # space again: this write compacts
        reports.wait_for_compaction()
        assert (data_dir / "collections" / "reports" / "snapshot.json").exists()
    with Store.open(data_dir) as store:
        assert store.collection("reports").ids() == ["big", "small", "later"]


def test_opening_a_store_on_a_full_disk_still_reads_everything(tiny_disk: Path) -> None:
    data_dir = tiny_disk / "data"
    with Store.open(data_dir) as store:
        store.collection("users").put("ann", {"username": "ann"})
    _fill_disk(tiny_disk, leave_pages=0)
    with Store.open(data_dir) as store:
        assert store.collection("users").get("ann") == {"username": "ann"}


FILE_SIZE_LIMIT = r"""
import resource, signal, sys
from local_store import Store, StoreError
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # get EFBIG instead of being killed
store = Store.open(sys.argv[1])
reports = store.collection("reports")
reports.put("r1", {"n": 1})
resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))
try:
    reports.put("r2", {"notes": "x" * 10000})
except StoreError as exc:
    print("refused:", exc.user_message)
print("in memory:", reports.ids())
store.close()
"""


@pytest.mark.skipif(not hasattr(os, "fork") or sys.platform == "darwin", reason="needs RLIMIT_FSIZE semantics of Linux")
def test_file_size_limit_is_reported_like_a_full_disk(data_dir: Path) -> None:
    """Works without root: a per-process file-size limit makes the append fail halfway."""
    child = spawn_python(FILE_SIZE_LIMIT, str(data_dir))
    stdout, stderr = child.communicate(timeout=60)
    assert child.returncode == 0, stderr
    assert "refused: The disk is full" in stdout and "in memory: ['r1']" in stdout
    with Store.open(data_dir) as store:
        assert store.collection("reports").ids() == ["r1"]
        store.collection("reports").put("r2", {"n": 2})
    assert not (data_dir / "quarantine").exists()


FAILED_SAVE_LEAVES_A_SCAN = r"""
import resource, signal, sys
from local_store import Store, StoreError
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
store = Store.open(sys.argv[1])
reports = store.collection("reports")
kept = store.blobs.put(b"k" * 1000)
reports.put("r1", {"image_hash": kept, "notes": "x" * 6000})  # the log is now past the limit below
resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))
scan = store.blobs.put(b"s" * 1000)  # a new small file still fits...
try:
    reports.put("r2", {"image_hash": scan})  # ...the report that needs it does not
except StoreError as exc:
    print("refused:", exc.user_message)
print("orphan:", scan)
"""


@pytest.mark.skipif(not hasattr(os, "fork") or sys.platform == "darwin", reason="needs RLIMIT_FSIZE semantics of Linux")
def test_a_scan_left_by_a_failed_save_is_removed_at_the_next_open(data_dir: Path) -> None:
    child = spawn_python(FAILED_SAVE_LEAVES_A_SCAN, str(data_dir))
    stdout, stderr = child.communicate(timeout=60)
    assert child.returncode == 0, stderr
    assert "refused: The disk is full" in stdout
    orphan = stdout.split("orphan: ")[1].strip()
    with Store.open(data_dir) as store:
        assert not store.blobs.exists(orphan), "the scan no report refers to is gone"
        kept = store.collection("reports").get("r1")["image_hash"]
        assert store.blobs.get(kept) == b"k" * 1000
    assert not (data_dir / "blobs" / ".check-orphans").exists()
    with Store.open(data_dir) as store:  # nothing noted: the next open sweeps nothing
        assert store.blobs.get(kept) == b"k" * 1000
