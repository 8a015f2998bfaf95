"""Tries the shipped model as a new user would: `tumorpredict predict --json` on pictures it never saw.

Draws, with a fixed seed, a few pictures of each kind from the never-fitted test groups of
`../shared/data/non-mri/` (grayscale photos, head CTs, spine MRIs: they must be refused) and a few
validation slices of the extra tumour collection (they must not be called "no tumour"), copies them
into a folder, runs the app's own command line on that folder in a fresh process and prints one
line per picture and a verdict per kind.

    PYTHONPATH=. .venv/bin/python -m training.try_as_user --non-mri ../shared/data/non-mri \
        --extra ../shared/data/brain-mri-extra/br35h-yes --run-dir training/runs/v22
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

from desktop_app.core.labels import NO_TUMOUR, key_of
from training.guard_fit import non_mri_pictures, split_by_group

TEST_SHARE, SPLIT_SEED = 0.3, 0  # the check's fitting/test split of the non-MRI pictures (training.evaluate)


def _must_be_refused(kind: str) -> bool:
    return kind != "tumour"


def draw_pictures(non_mri: Path, extra: Path | None, run_dir: Path | None, per_kind: int,
                  seed: int, out: Path) -> dict[str, str]:
    """Copies the drawn pictures into `out/<kind>/`; returns {copied file: kind}."""
    _, test = split_by_group(non_mri_pictures(non_mri), TEST_SHARE, seed=SPLIT_SEED)
    rng = np.random.default_rng(seed)
    chosen: dict[str, str] = {}

    def take(rows: list[dict], kind: str, gray: bool = False) -> None:
        folder = out / kind
        folder.mkdir(parents=True, exist_ok=True)
        for i in rng.choice(len(rows), min(per_kind, len(rows)), replace=False):
            with Image.open(rows[i]["path"]) as image:
                picture = image.convert("L") if gray else image.copy()
            target = folder / (Path(rows[i]["file"]).stem + ".png")
            picture.save(target)
            chosen[str(target)] = kind

    take([r for r in test if r["kind"] == "photo"], "gray_photo", gray=True)
    take([r for r in test if r["kind"] == "brain_ct"], "head_ct")
    take([r for r in test if r["kind"] == "body_mri" and "Spine" in r.get("info", "")], "spine_mri")
    if extra is not None and run_dir is not None:
        split = np.load(run_dir / "extra_split.npz")
        rows = [{"path": extra / str(p), "file": str(p)} for p in split["paths"][split["val"]]]
        take(rows, "tumour")
    return chosen


def run_predict(folder: Path) -> list[dict]:
    """The app's `predict --json` in a fresh process, one JSON object per picture."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    done = subprocess.run([sys.executable, "-m", "desktop_app", "predict", "--json", str(folder)],
                          capture_output=True, text=True, env=env, check=False)
    return [json.loads(line) for line in done.stdout.splitlines() if line.strip()]


def verdicts(results: list[dict], chosen: dict[str, str]) -> dict[str, tuple[int, int]]:
    """Per kind: (pictures handled as they should be, pictures)."""
    table: dict[str, list[bool]] = {}
    for result in results:
        kind = chosen.get(str(Path(result["file"])))
        if kind is None:
            continue
        refused = result.get("is_brain_mri") is False or "error" in result
        called_no_tumour = key_of(result.get("label")) == NO_TUMOUR and not result.get("abstained")
        right = refused if _must_be_refused(kind) else not (refused or called_no_tumour)
        table.setdefault(kind, []).append(right)
    return {kind: (sum(v), len(v)) for kind, v in sorted(table.items())}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--non-mri", type=Path, required=True)
    parser.add_argument("--extra", type=Path, help="the extra tumour slices (needs --run-dir for their split)")
    parser.add_argument("--run-dir", type=Path, help="a training run whose extra_split.npz names their validation groups")
    parser.add_argument("--per-kind", type=int, default=5)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        chosen = draw_pictures(args.non_mri, args.extra, args.run_dir, args.per_kind, args.seed, folder)
        results = run_predict(folder)
        for result in results:
            shown = result.get("message") or result.get("error") or ""
            label = result.get("label", "")
            note = " (abstained)" if result.get("abstained") else ""
            print(f"{Path(result['file']).relative_to(folder)} | {label}{note} | {shown}")
        table = verdicts(results, chosen)
    for kind, (right, n) in table.items():
        wanted = "refused" if _must_be_refused(kind) else "not called no tumour"
        print(f"{kind}: {right} of {n} {wanted}")
    return 0 if all(right == n for right, n in table.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
