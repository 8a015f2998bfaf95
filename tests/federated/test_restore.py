"""After a restart the engine predicts with the clinic's active weights, unless they no longer fit the model."""

from __future__ import annotations

import numpy as np
import pytest

from desktop_app.core.federated import dump_npz, restore_federated_head
from desktop_app.core.federated.history import WeightsHistory
from desktop_app.paths import models_dir
from local_store import Store

pytestmark = pytest.mark.skipif(
    not any(models_dir().glob("*.tflite")), reason="needs the shipped model"
)


@pytest.fixture
def engine():
    from desktop_app.core.inference import InferenceEngine

    return InferenceEngine.load()


def test_a_fresh_engine_gets_the_active_version(tmp_path, engine):
    W, b, _ = engine.base_head()
    with Store.open(tmp_path) as store:
        WeightsHistory(store).activate(
            "global-7", dump_npz({"W": W * 0.5, "b": b}), source="global"
        )
    with Store.open(tmp_path) as store:
        assert restore_federated_head(store, engine)
    current_W, _, version = engine.current_head()
    assert version == "global-7" and engine.model_version.endswith("+global-7")
    np.testing.assert_allclose(current_W, W * 0.5, rtol=1e-6)


def test_weights_for_another_model_are_rolled_back_to_the_last_that_fits(tmp_path, engine):
    W, b, _ = engine.base_head()
    with Store.open(tmp_path) as store:
        history = WeightsHistory(store)
        history.activate("fits", dump_npz({"W": W, "b": b}), source="global")
        history.activate("other-shape", dump_npz({"W": W[:-1], "b": b}), source="global")
        history.activate(
            "other-model", dump_npz({"W": W, "b": b}), source="global", meta={"model_id": "x"}
        )
        assert restore_federated_head(store, engine)
        assert history.active_version() == "fits"
        assert history.was_rolled_back("other-model") and history.was_rolled_back("other-shape")
    assert engine.model_version.endswith("+fits")
    with Store.open(tmp_path / "second") as store:
        WeightsHistory(store).activate("old", dump_npz({"W": W[:-1], "b": b}), source="global")
        assert not restore_federated_head(store, engine)
        assert WeightsHistory(store).active_version() is None
    assert "+" not in engine.model_version
