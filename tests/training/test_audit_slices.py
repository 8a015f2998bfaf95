"""The label-noise audit: slices listed as not MRIs, and the cross-fitted scores that rank suspects."""

from __future__ import annotations

import json

import numpy as np

from desktop_app.paths import models_dir
from training.audit_slices import cross_fitted_scores
from training.guard_fit import listed_not_mri

CLASS_FOLDERS = {"glioma", "meningioma", "notumor", "pituitary"}


def test_every_listed_slice_names_a_class_folder_file_and_a_kind_the_check_knows():
    listed = listed_not_mri()
    kinds = set(json.loads((models_dir() / "model.json").read_text())["mri_check"]["kinds"])
    assert len(listed) >= 40
    for file, kind in listed.items():
        folder, name = file.split("/")
        assert folder in CLASS_FOLDERS and name.startswith("Tr-") and name.endswith(".jpg")
        assert kind in kinds and kind != "brain_mri"


def test_unlisted_members_of_the_other_kind_rank_first_and_each_row_is_scored_by_a_model_that_never_saw_it():
    rng = np.random.default_rng(0)
    mri = rng.normal(0.0, 1.0, (300, 6))
    hidden_ct = rng.normal(3.0, 1.0, (12, 6))  # filed as MRIs, unlisted
    vectors = np.concatenate([mri, hidden_ct])
    listed = np.zeros(len(vectors), dtype=bool)
    groups = np.arange(len(vectors))
    known_ct = rng.normal(3.0, 1.0, (40, 6))  # the kind's own pictures
    scores = cross_fitted_scores(vectors, listed, groups, known_ct)
    assert set(np.argsort(-scores)[:12]) == set(range(300, 312))
    # A listed row whose group is held out is scored without its own label: an MRI wrongly
    # listed still scores low.
    listed[0] = True
    assert cross_fitted_scores(vectors, listed, groups, known_ct)[0] < 0.5


def test_training_leaves_out_the_listed_slices_and_the_card_reproduces_runs_that_kept_them():
    from training.model_card import _keep_not_mri
    from training.train import without_listed_not_mri

    listed = next(iter(listed_not_mri()))
    paths = np.array(["glioma/Tr-gl_0001.jpg", listed, "pituitary/Tr-pi_0002.jpg"])
    assert without_listed_not_mri(np.array([0, 1, 2]), paths).tolist() == [0, 2]
    assert _keep_not_mri({"epochs": 80}) == " --keep-not-mri"  # a run from before the list
    assert _keep_not_mri({"not_mri": "kept"}) == " --keep-not-mri"
    assert _keep_not_mri({"not_mri": "33 dropped"}) == ""
