"""The server checks every uploaded update and aggregates for real: bad updates get clear 4xx answers."""

from __future__ import annotations

import numpy as np
import pytest

from desktop_app.core.api_client import ApiClient, ApiError, RequestRejected
from desktop_app.core.federated.head import HeadWeights
from desktop_app.core.federated.npz_format import dump_npz
from training.fl_loopback import LoopbackFederation

from .conftest import CLASSES, DIM


def _head(value: float, dim: int = DIM) -> HeadWeights:
    return HeadWeights(W=np.full((dim, CLASSES), value), b=np.full(CLASSES, value), version="local")


def _raw_upload(federation: LoopbackFederation, clinic: int, data: bytes, **form) -> dict:
    client = federation.clinics[clinic]
    return client.upload_weights_npz(
        f"sim_clinic{clinic + 1}",
        data,
        num_examples=form.pop("num_examples", 5),
        base_version=form.pop("base_version", "base-1"),
    )


def _refusal(call) -> RequestRejected:
    with pytest.raises(RequestRejected) as caught:
        call()
    return caught.value


def test_a_round_with_two_clinics_makes_a_new_weighted_global_version(federation):
    assert federation.meta()["version"] == "base-1"
    # Steps within the server's bound on one update (RMS 1 per weight), so nothing is scaled down.
    federation.upload(0, _head(0.3), num_examples=30, base_version="base-1")
    federation.upload(1, _head(0.7), num_examples=10, base_version="base-1")
    answer = federation.aggregate()
    assert (
        answer["version"] == "global-1"
        and answer["contributors"] == 2
        and answer["total_examples"] == 40
    )
    downloaded = federation.download()
    assert downloaded.version == "global-1"
    np.testing.assert_allclose(downloaded.W, np.full((DIM, CLASSES), 0.4), rtol=1e-6)  # (30*0.3 + 10*0.7) / 40


def test_wrong_shapes_are_refused_with_the_reason(federation):
    refusal = _refusal(
        lambda: federation.upload(0, _head(1.0, dim=DIM + 1), num_examples=5, base_version="base-1")
    )
    assert refusal.status == 400 and refusal.code == "shape_mismatch"


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"this is not a weights file", "invalid_weights"),
        (
            dump_npz({"W": np.full((DIM, CLASSES), np.inf), "b": np.zeros(CLASSES)}),
            "invalid_weights",
        ),
    ],
    ids=["garbage", "not-finite"],
)
def test_damaged_or_non_finite_updates_are_refused(federation, data, code):
    refusal = _refusal(lambda: _raw_upload(federation, 0, data))
    assert (refusal.status, refusal.code) == (400, code)


def test_a_missing_example_count_is_refused(federation):
    data = dump_npz(_head(1.0).arrays())
    refusal = _refusal(lambda: _raw_upload(federation, 0, data, num_examples=0))
    assert (refusal.status, refusal.code) == (400, "invalid_field")


def test_one_update_per_clinic_per_round(federation):
    federation.upload(0, _head(1.0), num_examples=5, base_version="base-1")
    refusal = _refusal(
        lambda: federation.upload(0, _head(2.0), num_examples=5, base_version="base-1")
    )
    assert (refusal.status, refusal.code) == (409, "already_submitted")


def test_updates_from_a_stale_global_version_are_refused(federation):
    federation.upload(0, _head(1.0), num_examples=5, base_version="base-1")
    federation.aggregate()
    # The server here allows no lag at all: an update must start from global-1 now.
    refusal = _refusal(
        lambda: federation.upload(1, _head(1.0), num_examples=5, base_version="base-1")
    )
    assert (refusal.status, refusal.code) == (409, "stale_base_version")
    federation.upload(1, _head(1.0), num_examples=5, base_version="global-1")


def test_only_admin_doctors_aggregate_and_empty_rounds_do_not(federation):
    refusal = _refusal(lambda: federation.clinics[0].trigger_aggregation())
    assert refusal.status == 403
    refusal = _refusal(federation.aggregate)
    assert (refusal.status, refusal.code) == (409, "not_enough_updates")
    assert federation.meta()["version"] == "base-1"


def test_robust_strategy_chosen_by_the_server_resists_a_poisoned_clinic(initial_head):
    with LoopbackFederation(initial_head, model_id="m", clinics=3, strategy="median") as federation:
        federation.upload(0, _head(0.5), num_examples=5, base_version="base-1")
        federation.upload(1, _head(0.6), num_examples=5, base_version="base-1")
        federation.upload(2, _head(-500.0), num_examples=500, base_version="base-1")
        assert federation.aggregate()["strategy"] == "median"
        np.testing.assert_allclose(federation.download().W, np.full((DIM, CLASSES), 0.5))


def test_without_a_token_nothing_is_accepted(federation):
    anonymous = ApiClient(federation.url)
    try:
        data = dump_npz(_head(1.0).arrays())
        with pytest.raises(ApiError) as caught:
            anonymous.upload_weights_npz("sim_clinic1", data, num_examples=5, base_version="base-1")
        assert caught.value.status in (401, 403)
    finally:
        anonymous.close()
