"""A hostile or broken federated update: refused at upload, bounded at aggregation, never published, undoable."""

from __future__ import annotations

import base64
import io
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from desktop_app.core.federated.npz_format import dump_npz, load_npz
from server.app import create_app, state_of
from tests.server.conftest import Api, head_npz, server_config
from tests.server.test_federated_server import upload

REPO = Path(__file__).resolve().parents[2]


def _float64_npz(fill: float, shapes: dict[str, tuple[int, ...]]) -> bytes:
    """An .npz written by hand with float64 arrays (dump_npz always writes float32)."""
    buffer = io.BytesIO()
    np.savez(buffer, **{name: np.full(shape, fill, dtype=np.float64) for name, shape in shapes.items()},
             __meta__=np.array("{}"))
    return buffer.getvalue()


@pytest.fixture
def clinics(api) -> Api:
    for name in ("dr_cara", "dr_dan"):
        api.register(name, role="doctor")
        api.login(name)
    return api


def test_float64_values_that_overflow_float32_are_refused(clinics):
    answer = upload(clinics, "dr_bob", _float64_npz(1e300, {"W": (8, 4), "b": (4,)}))
    assert answer.status_code == 400 and answer.json["error"] == "invalid_weights"
    assert "not finite" in answer.json["message"]


def test_values_far_outside_a_trained_head_are_refused(clinics):
    answer = upload(clinics, "dr_bob", head_npz(1e30))  # finite as float32, still absurd for a head
    assert answer.status_code == 400 and answer.json["error"] == "invalid_weights"
    legacy = clinics.post("/upload_weights", {"username": "dr_bob", "weights": [1e300, 1.0]}, as_="dr_bob")
    assert legacy.status_code == 400 and legacy.json["error"] == "invalid_weights"


def test_each_update_is_bounded_relative_to_the_current_head(clinics, app):
    # Largest value a head file may hold, yet 10,000 times the others: scaled down, not averaged in as is.
    assert upload(clinics, "dr_bob", head_npz(1.0)).status_code == 200
    assert upload(clinics, "dr_cara", head_npz(9999.0)).status_code == 200
    answer = clinics.post("/trigger_aggregation", {"strategy": "fedavg"}, as_="dr_admin")
    assert answer.status_code == 200, answer.json
    arrays, _ = load_npz(clinics.get("/download_global_weights", as_="dr_bob").get_data())
    # The base head is all zeros (36 weights): one update moves it by at most sqrt(36) = 6 in L2 norm.
    assert float(arrays["W"].max()) <= (1.0 + 1.0) / 2 + 1e-5


def test_three_clinics_get_the_trimmed_mean_by_default(clinics):
    for who, fill in (("dr_bob", 1.0), ("dr_cara", 1.1), ("dr_dan", -900.0)):
        assert upload(clinics, who, head_npz(fill)).status_code == 200
    answer = clinics.post("/trigger_aggregation", {}, as_="dr_admin")
    assert answer.status_code == 200 and answer.json["strategy"] == "trimmed_mean"
    arrays, _ = load_npz(clinics.get("/download_global_weights", as_="dr_bob").get_data())
    assert float(arrays["W"].mean()) == pytest.approx(1.0, abs=1e-5)  # the middle value of three


def test_an_update_stored_before_the_checks_is_left_out_and_nothing_infinite_is_published(clinics, app):
    # A database from before this release can hold an update the upload checks now refuse.
    st = state_of(app)
    poisoned = _float64_npz(1e300, {"W": (8, 4), "b": (4,)})
    st.storage.add_update({
        "id": "old-poisoned", "round": 1, "username": "dr_dan", "client_id": "dr_dan", "client_update_id": None,
        "num_examples": 10, "base_version": None, "blob_hash": st.blobs.put(poisoned), "meta": "{}",
        "legacy": False, "created_at": 1,
    })
    assert upload(clinics, "dr_bob", head_npz(1.0)).status_code == 200
    answer = clinics.post("/trigger_aggregation", {}, as_="dr_admin")
    assert answer.status_code == 200, answer.json
    assert answer.json["contributors"] == 1 and answer.json["skipped"] == 1
    arrays, _ = load_npz(clinics.get("/download_global_weights", as_="dr_bob").get_data())
    assert np.all(np.isfinite(arrays["W"]))


def test_zip_members_that_are_not_arrays_get_400(clinics):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("W.txt", "not an array")
    answer = upload(clinics, "dr_bob", buffer.getvalue())
    assert answer.status_code == 400 and answer.json["error"] == "invalid_weights"


def test_a_header_declaring_a_huge_array_gets_400_without_allocating(clinics):
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False,
                                                  "shape": (1_000_000, 1_000_000)})
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("W.npy", header.getvalue() + b"\0" * 64)
    answer = upload(clinics, "dr_bob", buffer.getvalue())
    assert answer.status_code == 400 and answer.json["error"] == "invalid_weights"
    assert "declares more data" in answer.json["message"]


def _rollback_cli(data_dir: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "desktop_app", "serve", "rollback", *args, "--data-dir", str(data_dir)],
        capture_output=True, text=True, timeout=120, cwd=REPO,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO), "QT_QPA_PLATFORM": "offscreen",
             "TUMORPREDICT_DATA_DIR": str(data_dir.parent / "app-data"),
             "TUMORPREDICT_DATABASE_URL": "", "HOME": str(data_dir.parent)},
    )


def test_serve_rollback_publishes_an_earlier_version_again(tmp_path):
    data_dir = tmp_path / "server-data"
    app = create_app(server_config(tmp_path, "", data_dir=data_dir))
    api = Api(app.test_client())
    api.register("dr_admin", role="doctor")
    state_of(app).storage.update_user("dr_admin", is_admin=True)
    api.login("dr_admin")
    assert upload(api, "dr_admin", head_npz(2.0)).status_code == 200
    assert api.post("/trigger_aggregation", {}, as_="dr_admin").json["version"] == "global-1"
    state_of(app).storage.close()

    listing = _rollback_cli(data_dir)
    assert listing.returncode == 0, listing.stderr
    assert "base-test" in listing.stdout and "global-1" in listing.stdout
    restored = _rollback_cli(data_dir, "base-test")
    assert restored.returncode == 0, restored.stderr
    assert "global-2-rollback" in restored.stdout
    unknown = _rollback_cli(data_dir, "global-99")
    assert unknown.returncode != 0 and "no global version" in unknown.stderr

    app = create_app(server_config(tmp_path, "", data_dir=data_dir))
    api = Api(app.test_client())
    api.login("dr_admin")
    meta = api.get("/get_global_meta", as_="dr_admin").json
    assert meta["version"] == "global-2-rollback" and meta["strategy"] == "rollback"
    arrays, _ = load_npz(api.get("/download_global_weights", as_="dr_admin").get_data())
    assert float(np.abs(arrays["W"]).max()) == 0.0  # the base head again
    state_of(app).storage.close()


def _shipped_head_shape() -> tuple[int, int]:
    with np.load(REPO / "models" / "head_weights.npz") as shipped:
        return shipped["W"].shape


def _real_head(fill: float) -> bytes:
    """An update shaped like the shipped model's head, every weight set to `fill`."""
    rows, classes = _shipped_head_shape()
    return dump_npz({"W": np.full((rows, classes), fill, np.float32), "b": np.zeros(classes, np.float32)})


def _sample_mri_b64() -> str:
    return base64.b64encode((REPO / "resources" / "samples" / "glioma_1.jpg").read_bytes()).decode()


def test_predict_still_answers_after_a_poisoned_round(tmp_path, database_url):
    """The reported attack end to end, on the shipped model and its real head."""
    if not (REPO / "models" / "model.json").exists():
        pytest.skip("the shipped model is not in models/")
    app = create_app(server_config(tmp_path, database_url, fl_initial_weights=""))
    api = Api(app.test_client())
    for doctor in ("dr_admin", "dr_evil"):
        api.register(doctor, role="doctor")
        api.login(doctor)
    state_of(app).storage.update_user("dr_admin", is_admin=True)
    api.register("alice", doctor="dr_admin")
    api.login("alice")
    rows, classes = _shipped_head_shape()
    assert upload(api, "dr_evil", _float64_npz(1e300, {"W": (rows, classes), "b": (classes,)})).status_code == 400
    # The largest update the file checks let through still cannot break the head: it is bounded.
    assert upload(api, "dr_evil", _real_head(9000.0)).status_code == 200
    assert upload(api, "dr_admin", _real_head(0.01)).status_code == 200
    aggregated = api.post("/trigger_aggregation", {}, as_="dr_admin")
    assert aggregated.status_code == 200, aggregated.json
    answer = api.post("/predict", {"username": "alice", "image_b64": _sample_mri_b64()}, as_="alice")
    assert answer.status_code == 200, answer.json
    assert answer.json["model_version"].endswith("global-1")
    assert upload(api, "dr_admin", _real_head(0.02)).status_code == 200  # uploads still accepted
    state_of(app).storage.close()
