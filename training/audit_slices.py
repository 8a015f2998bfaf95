"""Finds slices of the four-class set that are not MRIs at all (head CTs filed as "no tumour"), for review.

    PYTHONPATH=. .venv/bin/python -m training.audit_slices --data ../shared/data/brain-mri/Training \
        --non-mri ../shared/data/non-mri --run-dir training/runs/v22 --sheet /tmp/suspects.png

Every slice gets a cross-fitted probability of being a picture of `--kind`: a logistic model on the
brain-MRI check's vectors (as the shipped engine computes them) tells that kind's non-MRI pictures
plus the slices already listed in `training/not_mri_slices.csv` from the other slices, fitted on
four fifths of the near-duplicate groups and applied to the fifth it did not see. The ranked
suspects and a contact sheet are for a person to look at: only slices confirmed by eye go into
the list (a label-noise audit, not an automatic filter).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from desktop_app.core.inference.mri_check import kind_probabilities
from training.guard_fit import listed_not_mri, non_mri_pictures, softmax_regression, standardisation

FOLDS = 5
L2 = 3e-2  # stronger than the check's: two classes, few positives


def cross_fitted_scores(vectors: np.ndarray, positive: np.ndarray, groups: np.ndarray, extra_positives: np.ndarray,
                        seed: int = 0) -> np.ndarray:
    """P(positive) of each row from a model that never saw its near-duplicate group."""
    unique = np.unique(groups)
    np.random.default_rng(seed).shuffle(unique)
    fold_of = {g: i % FOLDS for i, g in enumerate(unique)}
    folds = np.array([fold_of[g] for g in groups])
    scores = np.zeros(len(vectors))
    for fold in range(FOLDS):
        held = folds == fold
        X = np.concatenate([vectors[~held], extra_positives])
        y = np.concatenate([positive[~held], np.ones(len(extra_positives), dtype=bool)]).astype(int)
        weight = np.where(y == 1, 0.5 / y.sum(), 0.5 / (y == 0).sum()) * len(y)
        centre, scale = standardisation(X)
        W, b = softmax_regression((X - centre) / scale, y, weight, 2, l2=L2)
        scores[held] = kind_probabilities(vectors[held], centre, scale, W, b)[:, 1]
    return scores


def contact_sheet(data: Path, ranked: list[tuple[float, str]], out: Path, side: int = 110, columns: int = 11) -> None:
    from PIL import Image, ImageDraw

    rows = (len(ranked) + columns - 1) // columns
    sheet = Image.new("L", (side * columns, side * rows))
    draw = ImageDraw.Draw(sheet)
    for i, (score, name) in enumerate(ranked):
        with Image.open(data / name) as opened:
            thumb = opened.convert("L")
        thumb.thumbnail((side, side))
        x, y = (i % columns) * side, (i // columns) * side
        sheet.paste(thumb, (x, y))
        draw.rectangle((x, y, x + side, y + 11), fill=0)
        draw.text((x + 2, y), f"{i} {Path(name).stem} {score:.2f}", fill=255)
    sheet.save(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--non-mri", type=Path, required=True)
    parser.add_argument("--run-dir", type=Path, required=True, help="a run whose split.npz holds the near-duplicate groups")
    parser.add_argument("--models", type=Path, default=None, help="model files (default: the installed ones)")
    parser.add_argument("--kind", default="brain_ct")
    parser.add_argument("--top", type=int, default=66)
    parser.add_argument("--sheet", type=Path, default=None, help="write a contact sheet of the top suspects here")
    args = parser.parse_args(argv)
    from desktop_app.core.inference import InferenceEngine

    split = np.load(args.run_dir / "split.npz")
    names = [str(p) for p in split["paths"]]
    engine = InferenceEngine.load(args.models, num_threads=2)

    def vector(path: Path) -> np.ndarray:
        return engine.predict_bytes(path.read_bytes(), name=path.name, with_heatmap=False).check_vector

    vectors = np.array([vector(args.data / name) for name in names])
    kind_pictures = [p for p in non_mri_pictures(args.non_mri) if p["kind"] == args.kind]
    extra = np.array([vector(p["path"]) for p in kind_pictures])
    listed = {name for name, kind in listed_not_mri().items() if kind == args.kind}
    scores = cross_fitted_scores(vectors, np.array([n in listed for n in names]), split["groups"], extra)
    ranked = [(float(scores[i]), names[i]) for i in np.argsort(-scores)[: args.top]]
    for score, name in ranked:
        print(f"{score:.3f}  {name}{'  (listed)' if name in listed else ''}")
    if args.sheet:
        contact_sheet(args.data, ranked, args.sheet)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
