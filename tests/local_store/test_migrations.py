"""Schema version in store.json and the migration hook."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from local_store import Store, StoreError


def _version_on_disk(data_dir: Path) -> int:
    return json.loads((data_dir / "store.json").read_text())["schema_version"]


def test_new_store_starts_at_the_codes_version_without_migrating(data_dir: Path) -> None:
    ran: list[int] = []
    with Store.open(data_dir, migrations={2: lambda s: ran.append(2), 3: lambda s: ran.append(3)}) as store:
        assert store.schema_version == 3
    assert ran == [] and _version_on_disk(data_dir) == 3


def test_older_store_is_migrated_in_order_and_once(data_dir: Path) -> None:
    with Store.open(data_dir) as store:
        assert store.schema_version == 1
        store.collection("reports").put("r1", {"label": "Glioma"})
        store.collection("reports").put("r2", {"label": "No Tumor"})

    ran: list[int] = []

    def add_label_key(store: Store) -> None:
        ran.append(2)
        reports = store.collection("reports")
        reports.put_many({doc_id: {**reports.get(doc_id), "label_key": reports.get(doc_id)["label"].lower()}
                          for doc_id in reports.ids()})

    def add_status(store: Store) -> None:
        ran.append(3)
        assert store.collection("reports").get("r1")["label_key"] == "glioma"  # version 2 ran first
        reports = store.collection("reports")
        reports.put_many({doc_id: {**reports.get(doc_id), "status": "pending"} for doc_id in reports.ids()})

    migrations = {3: add_status, 2: add_label_key}
    with Store.open(data_dir, migrations=migrations) as store:
        assert store.schema_version == 3
        assert store.collection("reports").get("r2") == {"label": "No Tumor", "label_key": "no tumor",
                                                          "status": "pending"}
    with Store.open(data_dir, migrations=migrations) as store:
        assert store.schema_version == 3
    assert ran == [2, 3] and _version_on_disk(data_dir) == 3


def test_failed_migration_stops_at_the_last_good_version(data_dir: Path) -> None:
    Store.open(data_dir).close()

    def broken(store: Store) -> None:
        raise RuntimeError("unexpected field")

    with pytest.raises(StoreError, match="version 3 failed") as failed:
        Store.open(data_dir, migrations={2: lambda s: None, 3: broken})
    assert "stays at version 2" in failed.value.user_message
    assert _version_on_disk(data_dir) == 2
    Store.open(data_dir, migrations={2: lambda s: None}).close()  # and the folder is not left locked


def test_store_from_a_newer_version_is_refused_clearly(data_dir: Path) -> None:
    with Store.open(data_dir, migrations={2: lambda s: None, 5: lambda s: None}):
        pass
    with pytest.raises(StoreError, match="newer version of TumorPredict") as refused:
        Store.open(data_dir)
    assert "data version 5" in refused.value.user_message and "up to 1" in refused.value.user_message
    Store.open(data_dir, migrations={5: lambda s: None}).close()  # refused open released the lock
