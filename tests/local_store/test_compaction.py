"""Background compaction: writers carry on meanwhile, and nothing written during it is lost."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from local_store import Store, doclog
from local_store.doclog import DocLog


def test_writes_during_a_compaction_land_in_the_next_log(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(doclog, "MIN_COMPACT_BYTES", 2048)
    snapshot_started, may_finish = threading.Event(), threading.Event()
    real_write = DocLog.write_snapshot

    def slow_write(self: DocLog, docs: dict, seq: int) -> int:
        snapshot_started.set()
        assert may_finish.wait(10)
        return real_write(self, docs, seq)

    monkeypatch.setattr(DocLog, "write_snapshot", slow_write)
    with Store.open(data_dir) as store:
        messages = store.collection("messages")
        n = 0
        while not snapshot_started.is_set():
            messages.put(f"m{n}", {"n": n, "text": "x" * 100})
            n += 1
        covered = n
        for extra in range(covered, covered + 25):  # the snapshot is being written right now
            messages.put(f"m{extra}", {"n": extra})
        assert messages.get("m0") == {"n": 0, "text": "x" * 100}  # reads are not blocked either
        may_finish.set()
        messages.wait_for_compaction()
        folder = data_dir / "collections" / "messages"
        covered_seq = json.loads((folder / "snapshot.json").read_bytes())["seq"]
        log_seqs = [json.loads(line.split(b" ", 1)[1])["seq"] for line in (folder / "log.jsonl").read_bytes().splitlines()]
        # Only what was written after the snapshot's view was taken is carried over, all of it.
        assert covered_seq <= covered and log_seqs == list(range(covered_seq + 1, covered + 26))
    with Store.open(data_dir) as store:
        assert store.collection("messages").ids() == [f"m{i}" for i in range(covered + 25)]


def test_failed_snapshot_leaves_the_log_complete(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with Store.open(data_dir) as store:
        reports = store.collection("reports")
        for n in range(20):
            reports.put(f"r{n}", {"n": n})

        def refuse(self: DocLog, docs: dict, seq: int) -> int:
            raise OSError(28, "No space left on device")

        monkeypatch.setattr(DocLog, "write_snapshot", refuse)
        with pytest.raises(Exception, match="disk is full"):
            reports.compact()
        reports.put("r20", {"n": 20})
    monkeypatch.undo()
    with Store.open(data_dir) as store:
        assert len(store.collection("reports")) == 21


def test_close_waits_for_a_running_compaction(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(doclog, "MIN_COMPACT_BYTES", 1024)
    store = Store.open(data_dir)
    reports = store.collection("reports")
    for n in range(60):
        reports.put(f"r{n}", {"n": n, "pad": "p" * 50})
    store.close()
    assert reports._compaction is None
    with Store.open(data_dir) as again:
        assert len(again.collection("reports")) == 60
