"""Federated uploads through the outbox, and forgot-password through the server's one-time code."""

from __future__ import annotations

import logging
import re
import sqlite3
import uuid

import numpy as np
import pytest

from desktop_app.core.api_client import ApiClient, RequestRejected
from desktop_app.core.federated.client import FederatedClient
from desktop_app.core.federated.npz_format import dump_npz, load_npz
from desktop_app.paths import models_dir
from devkit.sync_scenario import PASSWORDS, register_on_server


def _queue_update(app, username: str, base_version: str | None = None) -> str:
    """A fine-tuned head update as the federated client leaves it: an `.npz` blob, its metadata, queued."""
    shipped, _meta = load_npz((models_dir() / "head_weights.npz").read_bytes())
    rng = np.random.default_rng(7)
    arrays = {name: (a + rng.normal(scale=1e-3, size=a.shape)).astype(np.float32) for name, a in shipped.items()}
    update_id = uuid.uuid4().hex
    meta = {"num_examples": 12, "base_version": base_version, "update_id": update_id}
    app.store.collection("fl_state").put(update_id, {
        **meta, "id": update_id, "kind": "fl_update", "npz_hash": app.store.blobs.put(dump_npz(arrays, meta)),
        "username": username, "created_at": 1, "queued_at": None, "uploaded_at": None,
    })
    FederatedClient(app.store, lambda: None).queue_upload(update_id)
    return update_id


def test_update_reaches_the_project_server_once(devices, project_server, tmp_path):
    register_on_server(project_server, "alice", "dr_bob")
    doctor = devices("doctor", project_server)
    doctor.app.accounts.login("dr_bob", PASSWORDS["doctor"])
    current = ApiClient(project_server, token=doctor.app.accounts.token("dr_bob")).get_global_meta()
    update_id = _queue_update(doctor.app, "dr_bob", current.get("version"))
    assert doctor.sync().sent == {"fl_upload": 1}
    assert doctor.app.store.collection("fl_state").get(update_id)["uploaded_at"]
    assert doctor.sync().sent == {}
    with sqlite3.connect(tmp_path / "project_server" / "tumorpredict.sqlite3") as db:
        rows = db.execute("select username, num_examples, client_update_id from fl_updates").fetchall()
    assert rows == [("dr_bob", 12, update_id)]


def test_update_reaches_a_legacy_server_as_its_json_array(devices, legacy_url, legacy_root):
    doctor = devices("doctor", legacy_url)
    doctor.app.accounts.register("dr_bob", "bob@clinic.example", "doctor-password-1", "doctor")
    _queue_update(doctor.app, "dr_bob")
    assert doctor.sync().sent == {"fl_upload": 1}
    stored = list((legacy_root / "fl_server" / "storage").glob("dr_bob_*.npz"))
    assert len(stored) == 1
    shipped, _meta = load_npz((models_dir() / "head_weights.npz").read_bytes())
    with np.load(stored[0]) as npz:
        assert npz["weights"].size == sum(a.size for a in shipped.values())


def test_forgot_password_with_the_emailed_code(devices, project_server, caplog):
    register_on_server(project_server, "alice", "dr_bob")
    patient = devices("patient", project_server)
    remote = patient.app.accounts.remote
    with caplog.at_level(logging.WARNING):
        remote.request_password_reset("alice")
    # Without SMTP the server writes the code to its own log (development mode), never to the answer.
    code = re.search(r"password reset code for alice: (\d{6})", caplog.text).group(1)
    with pytest.raises(RequestRejected) as wrong:
        remote.reset_password("alice", "000000" if code != "000000" else "111111", "a-new-password-9")
    assert "not correct" in wrong.value.user_message
    remote.reset_password("alice", f" {code} ", "a-new-password-9")
    user = patient.app.accounts.login("alice", "a-new-password-9")
    assert user.username == "alice" and user.server_user
