"""Federated rounds on the server: update validation, real aggregation, versions, meta and download."""

from __future__ import annotations

import hashlib
import io

import numpy as np
import pytest

from desktop_app.core.federated.npz_format import dump_npz, load_npz
from server.app import state_of
from tests.server.conftest import Api, head_npz


def upload(api: Api, who: str, data: bytes, **form):
    fields = {"username": who, "num_examples": "10", **{k: str(v) for k, v in form.items()},
              "weights": (io.BytesIO(data), "update.npz")}
    return api.client.post("/upload_weights", data=fields, content_type="multipart/form-data", headers=api.headers(who))


@pytest.fixture
def clinics(api, app) -> Api:
    """Two more doctors, so three clinics can upload in the same round."""
    for name in ("dr_cara", "dr_dan"):
        api.register(name, role="doctor")
        api.login(name)
    return api


def test_meta_starts_from_the_shipped_head(api):
    meta = api.get("/get_global_meta", as_="dr_bob").json
    assert meta["version"] == "base-test" and meta["round"] == 0 and meta["contributors"] == 0
    data = api.get("/download_global_weights", as_="dr_bob").get_data()
    assert hashlib.sha256(data).hexdigest() == meta["checksum"]
    arrays, _ = load_npz(data)
    assert arrays["W"].shape == (8, 4)


def test_fedavg_round_weighted_by_examples(clinics, app):
    # Both within the bound on one update's step (RMS 1 per weight from a zero head), so nothing is scaled.
    assert upload(clinics, "dr_bob", head_npz(0.5), num_examples=30, base_version="base-test").status_code == 200
    assert upload(clinics, "dr_cara", head_npz(0.9), num_examples=10, base_version="base-test").status_code == 200
    answer = clinics.post("/trigger_aggregation", {}, as_="dr_admin")
    assert answer.status_code == 200, answer.json
    assert answer.json["status"] == "ok" and answer.json["version"] == "global-1"
    assert answer.json["contributors"] == 2 and answer.json["total_examples"] == 40
    meta = clinics.get("/get_global_meta", as_="alice").json
    assert meta["version"] == "global-1" and meta["round"] == 1 and meta["strategy"] == "fedavg"
    data = clinics.get("/download_global_weights", as_="dr_bob").get_data()
    assert hashlib.sha256(data).hexdigest() == meta["checksum"]
    arrays, file_meta = load_npz(data)
    np.testing.assert_allclose(arrays["W"], np.full((8, 4), 0.6), rtol=1e-6)  # (30*0.5 + 10*0.9) / 40
    assert file_meta["version"] == "global-1"
    history = clinics.get("/fl_versions", as_="dr_bob").json["versions"]
    assert [v["version"] for v in history] == ["base-test", "global-1"]
    # The previous version stays downloadable.
    old = clinics.get("/download_global_weights?version=base-test", as_="dr_bob")
    assert load_npz(old.get_data())[0]["W"].max() == 0.0


@pytest.mark.parametrize("strategy", ["median", "trimmed_mean"])
def test_robust_strategies_resist_one_poisoned_clinic(clinics, strategy):
    for who, fill in (("dr_bob", 1.0), ("dr_cara", 1.2), ("dr_admin", 0.8), ("dr_dan", -500.0)):
        assert upload(clinics, who, head_npz(fill), base_version="base-test").status_code == 200
    answer = clinics.post("/trigger_aggregation", {"strategy": strategy, "trim_fraction": 0.25}, as_="dr_admin")
    assert answer.status_code == 200, answer.json
    arrays, _ = load_npz(clinics.get("/download_global_weights", as_="dr_bob").get_data())
    assert 0.8 <= float(arrays["W"].mean()) <= 1.2


def test_clipped_noise_bounds_each_clinic(clinics):
    upload(clinics, "dr_bob", head_npz(100.0), base_version="base-test")
    answer = clinics.post("/trigger_aggregation", {"strategy": "clipped_gaussian", "clip_norm": 1.0,
                                                   "noise_multiplier": 0.0}, as_="dr_admin")
    assert answer.status_code == 200, answer.json
    arrays, _ = load_npz(clinics.get("/download_global_weights", as_="dr_bob").get_data())
    norm = float(np.sqrt(sum(np.sum(a.astype(np.float64) ** 2) for a in arrays.values())))
    assert norm == pytest.approx(1.0, rel=1e-5)


def test_bad_updates_are_refused_with_clear_errors(clinics, app):
    wrong_shape = dump_npz({"W": np.zeros((3, 4)), "b": np.zeros(4)})
    answer = upload(clinics, "dr_bob", wrong_shape)
    assert answer.status_code == 400 and answer.json["error"] == "shape_mismatch" and answer.json["message"]
    nan = dump_npz({"W": np.full((8, 4), np.nan), "b": np.zeros(4)})
    assert upload(clinics, "dr_bob", nan).json["error"] == "invalid_weights"
    assert upload(clinics, "dr_bob", b"garbage").json["error"] == "invalid_weights"
    assert upload(clinics, "dr_bob", head_npz(1.0), num_examples=0).json == {"error": "invalid_field", "field": "num_examples"}
    assert upload(clinics, "dr_bob", head_npz(1.0)).status_code == 200
    second = upload(clinics, "dr_bob", head_npz(2.0))
    assert second.status_code == 409 and second.json["error"] == "already_submitted"
    state_of(app).config.fl_max_update_bytes = 100
    assert upload(clinics, "dr_cara", head_npz(1.0)).status_code == 413
    assert upload(clinics, "alice", head_npz(1.0)).status_code == 403


def test_stale_base_version_is_refused(clinics, app):
    state_of(app).config.fl_max_staleness = 1
    for round_number in range(2):
        assert upload(clinics, "dr_bob", head_npz(float(round_number))).status_code == 200
        assert clinics.post("/trigger_aggregation", {}, as_="dr_admin").status_code == 200
    stale = upload(clinics, "dr_cara", head_npz(1.0), base_version="base-test")
    assert stale.status_code == 409 and stale.json["error"] == "stale_base_version"
    assert upload(clinics, "dr_cara", head_npz(1.0), base_version="global-2").status_code == 200


def test_aggregation_needs_updates_and_an_admin(clinics):
    assert clinics.post("/trigger_aggregation", {}, as_="dr_admin").json["error"] == "not_enough_updates"
    upload(clinics, "dr_bob", head_npz(1.0))
    assert clinics.post("/trigger_aggregation", {}, as_="dr_bob").status_code == 403
    bad = clinics.post("/trigger_aggregation", {"strategy": "magic"}, as_="dr_admin")
    assert bad.status_code == 400 and bad.json["error"] == "invalid_strategy"
    assert clinics.post("/trigger_aggregation", {}, as_="dr_admin").status_code == 200
    # The round moved on: the same clinic may send again for the next one.
    assert upload(clinics, "dr_bob", head_npz(2.0)).status_code == 200
