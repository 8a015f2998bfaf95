"""The outbox: order, idempotency keys, failures and restarts."""

from __future__ import annotations

from pathlib import Path

from local_store import OutboxEntry, Store
from local_store import outbox as outbox_module


def test_entries_keep_their_order_and_keys_across_restarts(data_dir: Path) -> None:
    with Store.open(data_dir) as store:
        first = store.outbox.append("create_report", {"report_id": "r1"})
        second = store.outbox.append("send_message", {"message_id": "m1"}, key="msg-m1")
        third = store.outbox.append("review_report", {"report_id": "r1", "action": "approve",
                                                      "notes": "", "label": None})
        assert isinstance(first, OutboxEntry) and len(first.key) == 32
        assert [first.seq, second.seq, third.seq] == [1, 2, 3]

    with Store.open(data_dir) as store:
        pending = store.outbox.pending()
        assert [entry.key for entry in pending] == [first.key, "msg-m1", third.key]
        assert pending[0] == first and pending[0].payload == {"report_id": "r1"}
        assert len(store.outbox) == 3
        fourth = store.outbox.append("create_report", {"report_id": "r2"})
        assert fourth.seq == 4  # numbering continues after a restart


def test_failed_entries_stay_pending_in_place(store: Store) -> None:
    keys = [store.outbox.append("send_message", {"message_id": f"m{n}"}).key for n in range(3)]
    store.outbox.mark_failed(keys[0], "server said 500")
    store.outbox.mark_failed(keys[0], "timed out")
    store.outbox.mark_done(keys[1])
    store.outbox.mark_done("unknown-key")

    pending = store.outbox.pending()
    assert [entry.key for entry in pending] == [keys[0], keys[2]]
    assert (pending[0].attempts, pending[0].last_error) == (2, "timed out")
    assert store.outbox.get(keys[1]).done is True
    assert store.outbox.get("nope") is None


def test_appending_a_known_key_again_is_a_no_op(store: Store) -> None:
    entry = store.outbox.append("fl_upload", {"update_id": "u1"}, key="fl-u1")
    again = store.outbox.append("fl_upload", {"update_id": "u1", "changed": True}, key="fl-u1")
    assert again == entry and len(store.outbox) == 1
    store.outbox.mark_done("fl-u1")
    store.outbox.append("fl_upload", {"update_id": "u1"}, key="fl-u1")
    assert store.outbox.pending() == []  # already delivered: not queued a second time


def test_entries_read_like_mappings_too(store: Store) -> None:
    entry = store.outbox.append("create_report", {"report_id": "r1"})
    assert entry.get("kind") == "create_report" and entry.get("missing", 7) == 7


def test_old_finished_entries_are_pruned_on_open(data_dir: Path, monkeypatch) -> None:
    monkeypatch.setattr(outbox_module, "KEEP_DONE", 5)
    with Store.open(data_dir) as store:
        keys = [store.outbox.append("send_message", {"n": n}).key for n in range(12)]
        for key in keys[:10]:
            store.outbox.mark_done(key)
    with Store.open(data_dir) as store:
        assert [entry.key for entry in store.outbox.pending()] == keys[10:]
        assert store.outbox.get(keys[4]) is None and store.outbox.get(keys[5]).done
        assert store.outbox.append("send_message", {}).seq == 13
