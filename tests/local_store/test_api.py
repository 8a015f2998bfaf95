"""Documents: put/get/delete/find/put_many, copies, ordering, restart persistence, threads."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from local_store import Store, StoreError


def test_put_get_delete_roundtrip(store: Store) -> None:
    reports = store.collection("reports")
    reports.put("r1", {"id": "r1", "status": "pending", "confidence": 0.93, "label": "Glioma"})
    reports.put("r2", {"id": "r2", "status": "approved", "label": "Méningiome"})

    assert reports.get("r1") == {"id": "r1", "status": "pending", "confidence": 0.93, "label": "Glioma"}
    assert reports.get("missing") is None
    assert len(reports) == 2 and "r2" in reports and "nope" not in reports
    reports.delete("r1")
    reports.delete("r1")  # deleting twice is not an error
    assert reports.get("r1") is None
    assert reports.ids() == ["r2"]


def test_all_keeps_insertion_order_and_updates_in_place(store: Store) -> None:
    messages = store.collection("messages")
    for n in range(5):
        messages.put(f"m{n}", {"n": n})
    messages.put("m2", {"n": 2, "edited": True})
    messages.delete("m0")
    messages.put("m0", {"n": 0, "again": True})

    assert [doc["n"] for doc in messages.all()] == [1, 2, 3, 4, 0]
    assert messages.ids() == ["m1", "m2", "m3", "m4", "m0"]
    assert list(messages) == messages.ids()


def test_find_filters_on_top_level_equality(store: Store) -> None:
    reports = store.collection("reports")
    reports.put_many({
        "a": {"username": "ann", "status": "pending"},
        "b": {"username": "bob", "status": "pending"},
        "c": {"username": "ann", "status": "approved"},
        "d": {"username": "ann"},
    })
    assert [d.get("status") for d in reports.find(username="ann")] == ["pending", "approved", None]
    assert reports.find(username="ann", status="pending") == [{"username": "ann", "status": "pending"}]
    assert reports.find(status=None) == []  # a missing field never matches
    assert len(reports.find()) == 4


def test_returned_documents_are_copies(store: Store) -> None:
    users = store.collection("users")
    original = {"username": "ann", "audit": [{"at": 1}]}
    users.put("ann", original)
    original["audit"].append({"at": 2})  # changing the caller's dict after put changes nothing
    fetched = users.get("ann")
    fetched["audit"].append({"at": 3})
    users.all()[0]["username"] = "mallory"
    users.find(username="ann")[0]["audit"].clear()

    assert users.get("ann") == {"username": "ann", "audit": [{"at": 1}]}


def test_documents_must_be_json(store: Store) -> None:
    drafts = store.collection("drafts")
    with pytest.raises(TypeError):
        drafts.put("x", {"when": object()})
    with pytest.raises(TypeError):
        drafts.put("x", {"nan": float("nan")})
    with pytest.raises(TypeError):
        drafts.put("", {"ok": 1})
    with pytest.raises(TypeError):
        drafts.put("x", ["not", "a", "dict"])
    assert len(drafts) == 0
    drafts.put("x", {"tuple": (1, 2), 3: "int key"})
    assert drafts.get("x") == {"tuple": [1, 2], "3": "int key"}  # what a reload gives back


def test_collection_names_are_checked(store: Store) -> None:
    assert store.collection("fl_state") is store.collection("fl_state")
    for bad in ("Reports", "../etc", "a b", "", "_outbox"):
        with pytest.raises(StoreError):
            store.collection(bad)


def test_everything_survives_a_restart(data_dir: Path) -> None:
    with Store.open(data_dir) as first:
        reports = first.collection("reports")
        reports.put("r1", {"v": 1})
        reports.put_many({"r2": {"v": 2}, "r3": {"v": 3}})
        reports.put("r1", {"v": 11})
        reports.delete("r2")
        first.collection("settings").put("app", {"server_url": None, "clinic_name": "Nord"})
        digest = first.blobs.put(b"\x89PNG scan bytes")

    with Store.open(data_dir) as second:
        assert second.collection("reports").all() == [{"v": 11}, {"v": 3}]
        assert second.collection("settings").get("app") == {"server_url": None, "clinic_name": "Nord"}
        assert second.collection_names() == ["reports", "settings"]
        assert second.blobs.get(digest) == b"\x89PNG scan bytes"


def test_log_lines_are_readable_json(store: Store) -> None:
    store.collection("users").put("ann", {"full_name": "Ann Ødegård"})
    line = (store.data_dir / "collections" / "users" / "log.jsonl").read_text(encoding="utf-8")
    crc, _, body = line.rstrip("\n").partition(" ")
    assert len(crc) == 8
    assert json.loads(body) == {"seq": 1, "op": "put", "id": "ann", "doc": {"full_name": "Ann Ødegård"}}


def test_compaction_writes_a_readable_snapshot_and_empties_the_log(data_dir: Path) -> None:
    with Store.open(data_dir) as store:
        reports = store.collection("reports")
        for n in range(1200):  # ~300 KB of log: past the compaction floor
            reports.put(f"r{n % 700}", {"n": n, "pad": "x" * 200})
        reports.wait_for_compaction()
        folder = data_dir / "collections" / "reports"
        snapshot = json.loads((folder / "snapshot.json").read_text(encoding="utf-8"))
        assert snapshot["collection"] == "reports" and snapshot["count"] <= 700
        assert (folder / "log.jsonl").stat().st_size < 300 * 1024
        expected = reports.all()
    with Store.open(data_dir) as store:
        assert store.collection("reports").all() == expected
        assert len(expected) == 700 and expected[0]["n"] == 700


def test_closed_store_refuses_use_and_releases_the_folder(data_dir: Path) -> None:
    store = Store.open(data_dir)
    reports = store.collection("reports")
    store.close()
    store.close()
    with pytest.raises(StoreError, match="closed"):
        reports.put("r1", {})
    Store.open(data_dir).close()


def test_concurrent_writers_from_threads(data_dir: Path) -> None:
    with Store.open(data_dir) as store:
        messages = store.collection("messages")
        errors: list[BaseException] = []

        def writer(worker: int) -> None:
            try:
                for n in range(150):
                    messages.put(f"w{worker}-{n}", {"worker": worker, "n": n})
                    store.outbox.append("send_message", {"message_id": f"w{worker}-{n}"})
                    messages.all()
            except BaseException as exc:  # surfaced below
                errors.append(exc)

        threads = [threading.Thread(target=writer, args=(w,)) for w in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        assert len(messages) == 600
        seqs = [entry.seq for entry in store.outbox.pending()]
        assert seqs == list(range(1, 601))
    with Store.open(data_dir) as store:
        assert len(store.collection("messages")) == 600 and len(store.outbox) == 600


def test_text_that_cannot_be_encoded_is_refused_before_writing(store: Store) -> None:
    notes = store.collection("drafts")
    with pytest.raises(TypeError):
        notes.put("d1", {"notes": "broken \ud800 surrogate"})
    notes.put("d2", {"notes": "fine"})
    assert notes.ids() == ["d2"]


def test_a_file_in_place_of_the_data_folder_gives_a_clear_error(tmp_path: Path) -> None:
    not_a_folder = tmp_path / "data"
    not_a_folder.write_text("oops")
    with pytest.raises(StoreError, match="cannot be created"):
        Store.open(not_a_folder)
