"""Damaged or hand-edited files are set aside in quarantine/; the rest keeps working."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from local_store import BlobMissingError, Store, StoreError
from local_store.doclog import DocLog


def _fill(data_dir: Path, count: int = 10) -> None:
    with Store.open(data_dir) as store:
        reports = store.collection("reports")
        for n in range(count):
            reports.put(f"r{n}", {"n": n})
        store.collection("users").put("ann", {"username": "ann"})


def _log(data_dir: Path, name: str = "reports") -> Path:
    return data_dir / "collections" / name / "log.jsonl"


def _quarantined(data_dir: Path) -> list[str]:
    folder = data_dir / "quarantine"
    return sorted(path.name for path in folder.iterdir()) if folder.exists() else []


def test_torn_last_record_is_dropped_and_the_log_repaired(data_dir: Path, caplog: pytest.LogCaptureFixture) -> None:
    _fill(data_dir)
    log_path = _log(data_dir)
    log_path.write_bytes(log_path.read_bytes()[:-25])  # power cut halfway through the last line

    with caplog.at_level(logging.WARNING), Store.open(data_dir) as store:
        reports = store.collection("reports")
        assert reports.ids() == [f"r{n}" for n in range(9)]
        reports.put("r9", {"n": 9, "again": True})  # must not glue onto the torn bytes
    assert "unfinished last record" in caplog.text
    assert _quarantined(data_dir) == []  # a torn write is expected after a crash, not damage
    with Store.open(data_dir) as store:
        assert store.collection("reports").get("r9") == {"n": 9, "again": True}


@pytest.mark.parametrize("cut", range(1, 40))
def test_a_cut_at_any_byte_of_the_last_record_keeps_everything_before_it(data_dir: Path, cut: int) -> None:
    _fill(data_dir, 3)
    log_path = _log(data_dir)
    raw = log_path.read_bytes()
    last_start = raw.rstrip(b"\n").rfind(b"\n") + 1
    log_path.write_bytes(raw[: min(len(raw) - 1, last_start + cut)])
    with Store.open(data_dir) as store:
        assert store.collection("reports").ids() == ["r0", "r1"]


def test_garbage_in_the_middle_of_a_log_is_quarantined_and_the_rest_kept(
    data_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    _fill(data_dir)
    log_path = _log(data_dir)
    lines = log_path.read_bytes().splitlines(keepends=True)
    lines[3] = b"\x00\x17garbage{{{ not json\n"
    lines[6] = lines[6].replace(b'"n":6', b'"n":66')  # a hand edit: the checksum no longer matches
    log_path.write_bytes(b"".join(lines))

    with caplog.at_level(logging.WARNING), Store.open(data_dir) as store:
        assert store.collection("reports").ids() == [f"r{n}" for n in range(10) if n not in (3, 6)]
        assert store.collection("users").get("ann") == {"username": "ann"}
        store.collection("reports").put("r10", {"n": 10})
    assert "2 damaged lines" in caplog.text and "quarantine" in caplog.text
    kept = _quarantined(data_dir)
    assert len(kept) == 1 and kept[0].endswith("reports-log.jsonl")
    assert b"garbage" in (data_dir / "quarantine" / kept[0]).read_bytes()  # the original, untouched
    with Store.open(data_dir) as store:  # repaired: no new warnings, nothing else quarantined
        assert len(store.collection("reports")) == 9
    assert len(_quarantined(data_dir)) == 1


def test_bad_json_in_a_snapshot_is_quarantined_and_other_documents_recovered(
    data_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    _fill(data_dir)
    with Store.open(data_dir) as store:
        store.collection("reports").compact()
    snapshot = data_dir / "collections" / "reports" / "snapshot.json"
    text = snapshot.read_text(encoding="utf-8").replace('"r4":{"n":4}', '"r4":{"n":4,,,oops')
    snapshot.write_text(text, encoding="utf-8")

    with caplog.at_level(logging.WARNING), Store.open(data_dir) as store:
        reports = store.collection("reports")
        assert reports.ids() == [f"r{n}" for n in range(10) if n != 4]
        assert store.collection("users").get("ann") == {"username": "ann"}
        reports.put("r4", {"n": 4, "re-entered": True})
    assert "not valid JSON" in caplog.text and "9 documents" in caplog.text
    assert [name for name in _quarantined(data_dir) if name.endswith("snapshot.json")]
    with Store.open(data_dir) as store:
        assert len(store.collection("reports")) == 10


def test_snapshot_replaced_by_something_else_is_quarantined(data_dir: Path) -> None:
    _fill(data_dir)
    with Store.open(data_dir) as store:
        store.collection("reports").compact()
        store.collection("reports").put("r10", {"n": 10})
    (data_dir / "collections" / "reports" / "snapshot.json").write_text('["not", "a", "snapshot"]')
    with Store.open(data_dir) as store:
        assert store.collection("reports").ids() == ["r10"]  # the log after the snapshot still counts
        assert store.collection("users").get("ann") == {"username": "ann"}
    assert len(_quarantined(data_dir)) == 1


def test_damaged_store_json_is_set_aside(data_dir: Path) -> None:
    _fill(data_dir)
    (data_dir / "store.json").write_text("{ half a file")
    with Store.open(data_dir) as store:
        assert store.schema_version == 1
        assert len(store.collection("reports")) == 10
    assert json.loads((data_dir / "store.json").read_text())["schema_version"] == 1
    assert [name for name in _quarantined(data_dir) if "store.json" in name]


def test_damaged_blob_is_set_aside_and_reported_missing(store: Store) -> None:
    digest = store.blobs.put(b"scan bytes" * 100)
    store.blobs.path(digest).write_bytes(b"bit rot")
    with pytest.raises(BlobMissingError, match="damaged"):
        store.blobs.get(digest)
    assert not store.blobs.exists(digest)
    assert store.blobs.put(b"scan bytes" * 100) == digest  # storing it again repairs it
    assert store.blobs.get(digest) == b"scan bytes" * 100


def test_unreadable_collection_folder_entries_do_not_stop_the_store(data_dir: Path) -> None:
    _fill(data_dir)
    (data_dir / "collections" / "Not A Collection").mkdir()
    (data_dir / "collections" / "notes.txt").write_text("left here by someone")
    with Store.open(data_dir) as store:
        assert store.collection_names() == ["reports", "users"]


def test_damage_that_cannot_be_set_aside_is_refused_without_deleting_anything(data_dir: Path) -> None:
    _fill(data_dir)
    with Store.open(data_dir) as store:
        store.collection("reports").compact()
    snapshot = data_dir / "collections" / "reports" / "snapshot.json"
    snapshot.write_text("{ damaged")
    (data_dir / "quarantine").write_text("a file where the quarantine folder should be")
    with pytest.raises(StoreError, match="could not be moved aside") as refused:
        Store.open(data_dir)
    assert "nothing was deleted" in refused.value.user_message
    assert snapshot.read_text() == "{ damaged"
    (data_dir / "quarantine").unlink()
    with Store.open(data_dir) as store:  # and the folder was not left locked
        assert store.collection("users").get("ann") == {"username": "ann"}


def test_zeroed_block_after_a_power_cut_is_a_torn_tail(data_dir: Path) -> None:
    """A file system may grow a file before its data reaches the disk: the tail reads as zeros."""
    _fill(data_dir, 5)
    log_path = _log(data_dir)
    with open(log_path, "ab") as handle:
        handle.write(b"\0" * 4096)
    with Store.open(data_dir) as store:
        assert store.collection("reports").ids() == [f"r{n}" for n in range(5)]
        store.collection("reports").put("r5", {"n": 5})
    assert _quarantined(data_dir) == []
    with Store.open(data_dir) as store:
        assert len(store.collection("reports")) == 6


def test_damaged_outbox_keeps_its_intact_entries_in_order(data_dir: Path) -> None:
    with Store.open(data_dir) as store:
        keys = [store.outbox.append("send_message", {"message_id": f"m{n}"}).key for n in range(5)]
    log_path = _log(data_dir, "_outbox")
    lines = log_path.read_bytes().splitlines(keepends=True)
    lines[1] = b"not a record\n"
    log_path.write_bytes(b"".join(lines))
    with Store.open(data_dir) as store:
        assert [entry.key for entry in store.outbox.pending()] == [keys[0], *keys[2:]]
        assert store.outbox.append("send_message", {"message_id": "m5"}).seq == 6
    assert len(_quarantined(data_dir)) == 1


def test_repair_that_cannot_be_written_yet_still_opens(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fill(data_dir)
    log_path = _log(data_dir)
    lines = log_path.read_bytes().splitlines(keepends=True)
    lines[2] = b"garbage\n"
    log_path.write_bytes(b"".join(lines))

    def disk_full(self: DocLog, docs: dict, seq: int) -> int:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(DocLog, "write_snapshot", disk_full)
    with Store.open(data_dir) as store:
        assert len(store.collection("reports")) == 9
        store.collection("reports").put("r10", {"n": 10})  # appended after the damage, still found later
    monkeypatch.undo()
    with Store.open(data_dir) as store:
        assert len(store.collection("reports")) == 10 and store.collection("reports").get("r10") == {"n": 10}
    with Store.open(data_dir) as store:  # repaired for good this time
        assert len(store.collection("reports")) == 10
    assert len(_quarantined(data_dir)) == 2  # the damaged log was kept on each of the two repairs
