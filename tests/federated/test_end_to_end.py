"""Two clinics, the real server on 127.0.0.1 and the real model: a federated round, the new version in use, rollback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from desktop_app.core.federated import FederatedError
from desktop_app.core.federated.npz_format import load_npz
from desktop_app.core.federated.remote import SyncRemote
from desktop_app.paths import models_dir
from tests.helpers.keyring import dict_keyring_in_use

from .clinic import Clinic, labelled_samples, project_server, training_scans

ENROLLMENT_CODE = "federated-clinics-2026"
ADMIN = "dr_north"

pytestmark = pytest.mark.skipif(
    not any(models_dir().glob("*.tflite")) or not labelled_samples(),
    reason="needs the shipped model and the labelled sample MRIs",
)


@pytest.fixture
def clinics(tmp_path: Path) -> Iterator[tuple[Clinic, Clinic]]:
    with (
        project_server(tmp_path / "server", ENROLLMENT_CODE, (ADMIN,)) as url,
        dict_keyring_in_use() as backend,
    ):
        opened: list[Clinic] = []
        try:
            opened.append(Clinic(tmp_path / "north", url, backend, ADMIN, ENROLLMENT_CODE))
            opened.append(Clinic(tmp_path / "south", url, backend, "dr_south", ENROLLMENT_CODE))
            yield opened[0], opened[1]
        finally:
            for clinic in opened:
                clinic.close()


def _train_and_share(clinic: Clinic, seed: int) -> None:
    clinic.add_reviewed_scans(training_scans(per_sample=3, seed=seed))
    outcome = clinic.federated.train(username=clinic.doctor)
    assert outcome.result.num_train >= 8
    queued = clinic.federated.queue_upload()
    assert queued["state"] == "queued"
    assert [e.kind for e in clinic.app.store.outbox.pending()].count("fl_upload") == 1
    clinic.app.sync.run_once()
    assert clinic.federated.update(outcome.update_id)["state"] == "uploaded"


def test_a_round_changes_the_global_version_and_rollback_restores_predictions(clinics):
    north, south = clinics
    _train_and_share(north, seed=1)
    _train_and_share(south, seed=2)

    probe_name, probe, _ = labelled_samples()[0]
    before = south.app.engine.predict_bytes(probe, name=probe_name)
    answer = SyncRemote(north.app.sync, north.doctor).trigger_aggregation()
    assert answer["version"] == "global-1" and answer["contributors"] == 2

    remote = SyncRemote(south.app.sync, south.doctor)
    entry = south.federated.pull(remote)
    assert entry is not None and entry["version"] == "global-1"
    assert south.federated.status()["active_version"] == "global-1"
    shared, _ = load_npz(remote.download_global_weights())
    W, b, version = south.app.engine.current_head()
    assert version == "global-1"
    np.testing.assert_array_equal(W, shared["W"])
    np.testing.assert_array_equal(b, shared["b"])
    after = south.app.engine.predict_bytes(probe, name=probe_name)
    assert after.model_version == f"{before.model_version}+global-1"
    report = south.app.reports.create(south.patient, probe, probe_name, after)
    assert "global-1" in report["model_version"]

    assert south.federated.rollback() == south.federated.base_head().version
    restored = south.app.engine.predict_bytes(probe, name=probe_name)
    assert restored.model_version == before.model_version
    np.testing.assert_allclose(
        list(restored.probabilities.values()), list(before.probabilities.values()), rtol=1e-6
    )
    with pytest.raises(FederatedError, match="rolled back"):
        south.federated.pull(SyncRemote(south.app.sync, south.doctor))
