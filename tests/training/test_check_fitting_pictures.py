"""The pictures the brain-MRI check is fitted on: which variants each kind gets."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from training.guard_fit import non_mri_items, with_other_window


def _gradient_png(path):
    ramp = np.tile(np.linspace(0, 255, 64, dtype=np.float32), (64, 1)).astype(np.uint8)
    Image.fromarray(ramp).save(path)
    return path


def _gray(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as image:
        return np.asarray(image.convert("L"), dtype=np.float32)


def test_another_display_window_clips_or_compresses_the_gray_range(tmp_path):
    data = _gradient_png(tmp_path / "ct.png").read_bytes()
    rng = np.random.default_rng(0)
    original = _gray(data)
    looks = [_gray(with_other_window(data, rng)) for _ in range(20)]
    narrower = [x for x in looks if (x == 255).sum() > (original == 255).sum()]
    wider = [x for x in looks if x.max() - x.min() < 250]
    assert narrower and wider
    for x in looks:  # a window never reorders gray levels
        assert (np.diff(x[0]) >= 0).all()


def test_only_ct_fitting_pictures_get_a_window_variant_and_test_pictures_stay_clean(tmp_path):
    path = _gradient_png(tmp_path / "picture.png")
    pictures = [{"kind": kind, "file": f"{kind}.png", "path": path} for kind in ("brain_ct", "body_ct", "chest_xray")]
    fitting = [(kind, variant) for kind, _, variant, _ in non_mri_items(pictures, seed=0)]
    assert [v for k, v in fitting if k == "brain_ct"][-1] == "window"
    assert [v for k, v in fitting if k == "body_ct"][-1] == "window"
    assert "window" not in [v for k, v in fitting if k == "chest_xray"]
    assert len([v for k, v in fitting if k == "chest_xray"]) == 2
    testing = [variant for _, _, variant, _ in non_mri_items(pictures, seed=0, perturb=False)]
    assert testing == ["clean", "clean", "clean"]


def test_the_window_variants_leave_the_other_perturbations_as_they_were(tmp_path):
    path = _gradient_png(tmp_path / "picture.png")
    pictures = [{"kind": kind, "file": f"{i}.png", "path": path} for i, kind in enumerate(["brain_ct", "photo"] * 5)]
    variants = [v for _, _, v, _ in non_mri_items(pictures, seed=3) if v not in ("clean", "window")]
    no_ct = [{**p, "kind": "photo"} for p in pictures]
    assert variants == [v for _, _, v, _ in non_mri_items(no_ct, seed=3) if v != "clean"]
