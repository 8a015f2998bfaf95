"""`training.try_as_user`: draws test-group pictures and judges the app's own `predict --json` on them."""

from __future__ import annotations

import csv
import shutil

import numpy as np
from PIL import Image

from desktop_app.paths import resources_dir
from training.try_as_user import main

FIELDS = ["file", "kind", "repo", "commit", "source_path", "group", "info", "grayscale_converted"]


def _collection(root, pictures):
    """A non-MRI folder in the data set's layout: `kind/file` plus manifest.csv, one group per picture."""
    rows = []
    for i, (kind, make, info) in enumerate(pictures):
        (root / kind).mkdir(parents=True, exist_ok=True)
        name = f"{kind}/picture_{i}.png"
        make(root / name)
        rows.append({"file": name, "kind": kind, "group": f"case{i}", "info": info})
    with (root / "manifest.csv").open("w", newline="") as f:
        writer = csv.DictWriter(f, FIELDS, restval="")
        writer.writeheader()
        writer.writerows(rows)


def _colour_photo(path):
    rng = np.random.default_rng(1)
    Image.fromarray(rng.integers(0, 256, (120, 160, 3), dtype=np.uint8)).save(path)


def _brain_mri(path):
    shutil.copy(resources_dir() / "samples" / "glioma_1.jpg", path)


def test_a_brain_mri_filed_as_a_head_ct_is_reported_as_not_refused_and_fails_the_run(tmp_path, capsys):
    _collection(tmp_path, [
        ("photo", _colour_photo, "a photo"),
        ("brain_ct", _brain_mri, "CT/Brain"),  # an MRI: the check accepts it, so the try must say so
    ])
    assert main(["--non-mri", str(tmp_path), "--per-kind", "1"]) == 1
    out = capsys.readouterr().out
    assert "gray_photo: 1 of 1 refused" in out
    assert "head_ct: 0 of 1 refused" in out
    assert "head_ct/picture_1.png | Glioma" in out


def test_every_picture_handled_as_it_should_be_passes(tmp_path, capsys):
    _collection(tmp_path, [("photo", _colour_photo, "a photo")])
    assert main(["--non-mri", str(tmp_path), "--per-kind", "3"]) == 0
    assert "gray_photo: 1 of 1 refused" in capsys.readouterr().out
