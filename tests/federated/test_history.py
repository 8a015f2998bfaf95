"""Applied weight versions survive a restart, roll back in order, and refuse damaged files."""

from __future__ import annotations

import numpy as np
import pytest

from desktop_app.core.federated.history import RollbackError, WeightsHistory
from desktop_app.core.federated.npz_format import dump_npz
from local_store import Store


def _file(value: float) -> bytes:
    return dump_npz({"W": np.full((3, 2), value), "b": np.zeros(2)}, {"version": f"v{value}"})


def test_versions_stack_up_and_roll_back_to_the_shipped_head(tmp_path):
    with Store.open(tmp_path) as store:
        history = WeightsHistory(store)
        assert history.active_version() is None
        history.activate("global-1", _file(1.0), source="global", meta={"round": 1})
        history.activate("global-2", _file(2.0), source="global")
        assert history.active_version() == "global-2"
        np.testing.assert_array_equal(history.weights_of("global-1")["W"], np.full((3, 2), 1.0))
        history.note("global-2", local_accuracy=0.9)

    with Store.open(tmp_path) as store:  # a restart keeps everything
        history = WeightsHistory(store)
        assert history.active_version() == "global-2"
        assert history.entry("global-2")["local_accuracy"] == 0.9
        assert history.rollback()["version"] == "global-1"
        assert history.was_rolled_back("global-2")
        assert history.rollback() is None
        with pytest.raises(RollbackError, match="nothing to roll back"):
            history.rollback()
        assert [e["version"] for e in history.entries()] == ["global-1", "global-2"]


def test_reapplying_a_version_moves_it_to_the_top(tmp_path):
    with Store.open(tmp_path) as store:
        history = WeightsHistory(store)
        history.activate("a", _file(1.0), source="global")
        history.activate("b", _file(2.0), source="global")
        history.activate("a", _file(1.0), source="global")
        assert history.stack() == ["b", "a"]
        assert not history.was_rolled_back("a")


def test_a_damaged_stored_file_is_refused(tmp_path):
    with Store.open(tmp_path) as store:
        history = WeightsHistory(store)
        entry = history.activate("a", _file(1.0), source="global")
        store.blobs.path(entry["digest"]).write_bytes(b"damaged")
    with Store.open(tmp_path) as store:
        with pytest.raises(RollbackError, match="version a are missing or damaged"):
            WeightsHistory(store).weights_of("a")
