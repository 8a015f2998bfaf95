"""Renders models/model_card.md from the evaluation's figures (never edited by hand)."""

from __future__ import annotations

from pathlib import Path


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def _target(value: float, target: float, higher_is_better: bool = True) -> str:
    met = value >= target if higher_is_better else value <= target
    return "met" if met else "**not met**"


def _architecture(t: dict) -> list[str]:
    size = t.get("input_size", 128)
    grid = f"{size // 16}×{size // 16}"  # four stride-2 steps
    members = t.get("members", [])
    net = (
        f"Residual CNN of plain 3×3 convolutions on {size}×{size} grayscale (head crop, pad to square,",
        "resize; per-image standardisation inside the model)",
    )
    if not members:
        return [
            *net[:1], net[1] + f", {grid}×128 last feature map, 128-d pooled",
            "embedding, linear 4-way head." + _stages(t) + _mirror(t),
        ]
    n = len(members)
    return [
        f"Ensemble of {n} trained networks of one design, in one file:",
        *net[:1],
        net[1] + f", {grid}×128 last feature map and 128-d pooled embedding each. The",
        f"logits are the mean of the members' heads, i.e. one linear head over the {128 * n}-d concatenated",
        f"embedding ({grid}×{128 * n} feature map for the heatmap; the guard features are concatenated too)."
        + _mirror(t),
        "Members: " + "; ".join(f"{_schedule(m)} ({_training_minutes(m):.0f} min)" for m in members) + ".",
    ]


def _mirror(t: dict) -> str:
    if not t.get("mirror_views"):
        return ""
    return (" Each image is also seen mirrored left to right and the two embeddings are averaged (one invoke,"
            " twice the work); the heatmap and the brain-MRI check read the image as given.")


def _stages(t: dict) -> str:
    """The stages' channels, named only for a run that scaled them (`--width`)."""
    width = t.get("width", 1.0)
    if width == 1.0 or "stage_channels" not in t:
        return ""
    channels = "/".join(str(c) for c in t["stage_channels"])
    return f" Stages of {channels} channels (width ×{width:g})."


def _schedule(t: dict) -> str:
    """How many epochs at which size and augmentation, including the run a fine-tuning run started from."""
    base = t.get("init_from")
    if not base:
        return (f"{t.get('epochs', '?')} epochs at {t.get('input_size', '?')} px (seed {t.get('seed', '?')}, appearance "
                f"augmentation {_strength(t)})")
    return (
        f"{base.get('epochs', '?')} epochs at {base.get('input_size', '?')} px (seed {base.get('seed', '?')}, appearance "
        f"augmentation {_strength(base)}), then {t.get('epochs', '?')} epochs at {t.get('input_size', '?')} px "
        f"from those weights (learning rate {t.get('lr', '?')}, appearance augmentation {_strength(t)})"
    )


def _uses_stack(t: dict) -> bool:
    runs = t.get("members") or [t]
    return any(float(r.get("appearance_augmentation") or 0) or (r.get("init_from") or {}).get("appearance_augmentation")
               for r in runs)


def _stack_users(t: dict) -> str:
    """For an ensemble whose members differ, which members the appearance transformations trained."""
    members = t.get("members") or []
    users = [i + 1 for i, m in enumerate(members) if _uses_stack(m)]
    return f" (member {', '.join(map(str, users))} only)" if members and len(users) < len(members) else ""


def _refusal_rows(mc: dict) -> list[str]:
    """Validation slices refused as not MRIs; where some of them are listed as head CTs, the real
    MRIs' figure (the one the target is about) without them."""
    both = f"{_pct(mc['false_rejection_clean'])} / {_pct(mc['false_rejection_all_variants'])}"
    if "false_rejection_clean_listed_excluded" not in mc:
        return [f"| real brain MRIs refused as not MRI (clean / all perturbations) | {both} | ≤ 1% "
                f"({_target(mc['false_rejection_all_variants'], 0.01, False)}) |"]
    mri_only = mc["false_rejection_clean_listed_excluded"]
    return [
        f"| validation slices refused as not MRI (clean / all perturbations) | {both} | |",
        f"| real brain MRIs refused (clean; the split without its {mc['listed_not_mri_in_validation']} head CTs, "
        f"`training/not_mri_slices.csv`) | {_pct(mri_only)} | ≤ 1% ({_target(mri_only, 0.01, False)}) |",
    ]


def _file_format(weights: str) -> str:
    if weights == "int8":
        return ("TFLite with int8 weights (dynamic-range quantisation: LiteRT quantises activations on the fly;"
                " inputs and outputs float32)")
    return "Float32 TFLite"


def _strength(t: dict) -> str:
    """The appearance augmentation's strength (older runs recorded only whether it was on)."""
    return f"{float(t.get('appearance_augmentation') or 0):g}"


def training_seconds(t: dict) -> float:
    """A run's training time, the run it was fine-tuned from included."""
    return t.get("seconds", 0) + (t.get("init_from") or {}).get("seconds", 0)


def _training_minutes(t: dict) -> float:
    return training_seconds(t) / 60


def _keep_not_mri(t: dict) -> str:
    """Runs from before `training/not_mri_slices.csv` trained on its slices as MRIs (recorded as
    "kept", or not recorded at all)."""
    return " --keep-not-mri" if t.get("not_mri", "kept") == "kept" else ""


def _width(t: dict) -> str:
    return f" --width {t['width']:g}" if t.get("width", 1.0) != 1.0 else ""


def _train_commands(t: dict, version: str) -> list[str]:
    """The commands that rebuild the shipped files: each run (and the run it was fine-tuned from),
    then the join when the model is an ensemble or uses mirror views."""
    members = t.get("members")
    if not members:
        run_dir = t.get("run_dir", "training/runs/full")
        if not t.get("mirror_views"):
            return _run_commands(t, out="models", version=version)
        return [*_run_commands(t, f"{run_dir}/models", version), *_ensemble_command(run_dir, version, mirror=True)]
    lines = [line for m in members for line in _run_commands(m, f"{m.get('run_dir')}/models", version)]
    runs = " ".join(str(m.get("run_dir")) for m in members)
    return [*lines, *_ensemble_command(runs, version, mirror=bool(t.get("mirror_views")))]


def _run_commands(t: dict, out: str, version: str) -> list[str]:
    """One training run's command, preceded by its starting run's when it was fine-tuned."""
    train = "PYTHONPATH=. .venv-train/bin/python -m training.train --data ../shared/data/brain-mri/Training"
    if t.get("extra"):
        train += f" --extra ../shared/data/brain-mri-extra/{t['extra']}"
    base = t.get("init_from")
    first = (
        [
            train + " \\",
            f"    --run-dir {base.get('run_dir')} --out {base.get('run_dir')}/models --epochs {base.get('epochs')} "
            f"--size {base.get('input_size')} --appearance {_strength(base)}{_keep_not_mri(base)}",
        ]
        if base
        else []
    )
    tune = f" --lr {t.get('lr')} --init-from {base.get('run_dir')}" if base else ""
    without = "".join(f" --without {name}" for name in t.get("without", []))
    return [
        *first,
        train + f" --out {out} \\",
        f"    --run-dir {t.get('run_dir', 'training/runs/full')} --epochs {t.get('epochs', 12)} --size {t.get('input_size', 128)}"
        f" --appearance {_strength(t)}{without}{tune}{_width(t)}{_keep_not_mri(t)} --seed {t.get('seed', 42)} --version {version}",
    ]


def _ensemble_command(runs: str, version: str, mirror: bool) -> list[str]:
    return [
        "PYTHONPATH=. .venv-train/bin/python -m training.ensemble --data ../shared/data/brain-mri/Training \\",
        f"    --runs {runs}{' --mirror' if mirror else ''} --out models --version {version}",
    ]


def _source_rows(sources: dict, prefix: str = "") -> list[str]:
    rows = []
    for name, f in sources.items():
        rows.append(
            f"| {prefix}{name} | {f['slices']} | {_opt(f.get('tumour_sensitivity'))} | {_opt(f.get('no_tumour_specificity'))} "
            f"| {_opt(f.get('balanced_accuracy'))} | {_pct(f['abstained'])} | {_pct(f['refused_as_not_mri'])} "
            f"| {_pct(f['confident_wrong'])} | {_opt(f.get('accuracy_when_labelled'))} |"
        )
    return rows


def _opt(x) -> str:
    return "—" if x is None else _pct(x)


SOURCE_HEADER = [
    "| source | slices | tumour sensitivity | no-tumour specificity | balanced accuracy | abstained | refused as not MRI | confidently wrong | accuracy when labelled |",
    "|---|---|---|---|---|---|---|---|---|",
]


def write_model_card(r: dict, path: Path, experiments: dict[str, dict] | None = None) -> None:
    t = r.get("training", {})
    split = t.get("split", {})
    extra = split.get("extra") or {}
    clean = r["robustness_accuracy"]["clean (grayscale PNG)"]
    worst_drop = max(clean - v for v in r["robustness_accuracy"].values())
    size_mb = r["model_file_bytes"] / 1e6
    mc = r["mri_check"]
    val = r["sources"]["validation split (four classes)"]
    lines = [
        f"# Model card: TumorNet {r['model_version']}",
        "",
        "## Intended use and limits",
        "Decision support for a clinician triaging single 2-D brain MRI slices into glioma, meningioma,",
        "pituitary tumour or no tumour. **It is not a diagnosis**: every result is marked as awaiting a",
        "doctor's review. When the scan is unlike the training data or the model is unsure, it",
        "**abstains** (\"The model cannot judge this scan; your doctor will look at it\") instead of",
        "giving a label, and pictures that are not brain MRIs are refused (often naming what they look",
        "like: \"This looks like a CT scan of the head, not a brain MRI\"). It has not been validated on",
        "paediatric patients, on other tumour types (metastases, lymphoma...) or on post-operative scans,",
        "and it does not see a whole series. Scans from other hospitals are the known weak spot: the",
        "per-source table below is the honest measure of it, and the abstention is its safety net.",
        "",
        "## Data and split",
        "- Four-class slices: the Training folder of the CC0 \"Brain Tumor MRI Dataset\" (figshare +",
        f"  SARTAJ + Br35H), {split.get('images', '?')} images. Near-duplicates grouped by 64-bit dHash (≤ 2 bits) or",
        "  pHash (≤ 4 bits), each also against the mirror image, linked transitively (union-find):",
        f"  {split.get('near_duplicate_groups', '?')} distinct slices, {split.get('redundant_copies', '?')} redundant copies (largest group {split.get('largest_group', '?')}).",
        f"  Validation: {split.get('val', '?')} images ({split.get('val_unique_groups', '?')} groups) by whole groups, stratified by class",
        f"  ({split.get('val_per_class', '?')} glioma/meningioma/notumor/pituitary).",
    ]
    if extra:
        lines += [
            f"- Partially labelled slices: {extra.get('images')} Br35H \"yes\" slices that show a tumour of unrecorded",
            "  type (no licence is stated for them). Copies grouped over all eight flips and quarter turns:",
            f"  {extra.get('dihedral_copy_groups')} distinct slices; validation {extra.get('val')} images ({extra.get('val_groups')} groups), by whole",
            "  groups. Their loss says only that \"no tumour\" is wrong: -log P(glioma ∪ meningioma ∪",
            f"  pituitary), weighted {t.get('extra_weight')}× a fully labelled slice.",
        ]
    lines += [
        "- Not brain MRIs (for the check only, never shipped; licences vary, several research-only): 1,663",
        "  pictures of 13 kinds from public collections (MedPix, COVID-19 X-ray/CT, BUSI, ISIC, fundus,",
        "  dental, mini-MIAS, microscopy, photos, screenshots, receipts), split 70/30 by the manifest's",
        "  patient/case group within each kind, plus generated pictures (noise, charts, text pages).",
        "",
        "## Model",
        *_architecture(t),
        "A fourth output, every stage's mean activation (guard features), feeds the brain-MRI check.",
        f"{_file_format(r.get('model_weights', 'float32'))}, built-in ops only, {size_mb:.2f} MB; SHA-256 `{r['model_sha256']}`.",
        f"Training: {'each member as listed' if t.get('members') else _schedule(t)}, class-weighted cross-entropy (label smoothing",
        f"{t.get('label_smoothing', 0)}), AdamW with warm-up and cosine decay. Augmentation: rotation ±15°, scale",
        "0.7–1.35, shifts, flips, JPEG q25–95, gamma 0.5–2, contrast, blur, noise"
        + (", and the stacked scan-appearance transformations (after BigAug): random intensity curves"
           " (monotone 60 %, inverted 30 %, non-monotone 10 %; black kept black), smooth bias field up to"
           " ±50 %, slice-thickness blur along one axis, skull rim removed, Rician noise" + _stack_users(t) + "."
           if _uses_stack(t) else "."),
        f"{_training_minutes(t):.0f} minutes on a shared 2-core CPU.",
        "",
        "## Results on the near-duplicate-free validation split",
        "| figure | value | target |",
        "|---|---|---|",
        f"| accuracy (top class, abstentions included) | {_pct(r['accuracy'])} | ≥ 97% ({_target(r['accuracy'], 0.97)}) |",
        f"| tumour-vs-no-tumour sensitivity (top class) | {_pct(r['tumour_vs_no_tumour']['sensitivity'])} | ≥ 98% ({_target(r['tumour_vs_no_tumour']['sensitivity'], 0.98)}) |",
        f"| tumour-vs-no-tumour specificity (top class) | {_pct(r['tumour_vs_no_tumour']['specificity'])} | |",
        f"| macro-F1 | {r['macro_f1']:.3f} | |",
        f"| ECE (15 bins), after temperature T={r['calibration']['temperature']} | {_pct(r['calibration']['ece_after'])} (before: {_pct(r['calibration']['ece_before'])}) | ≤ 3% ({_target(r['calibration']['ece_after'], 0.03, False)}) |",
        f"| abstained | {_pct(val['abstained'])} | |",
        *_refusal_rows(mc),
        f"| worst perturbation drop | {100 * worst_drop:.1f} pts | ≤ 5 pts ({_target(worst_drop, 0.05, False)}) |",
        f"| model file | {size_mb:.2f} MB | ≤ 5 MB ({_target(size_mb, 5, False)}) |",
        f"| end-to-end latency (decode → result, median) | {r['latency_ms_median_end_to_end']} ms | |",
        "",
        "Per class:",
        "",
        "| class | sensitivity | specificity | precision | F1 | n |",
        "|---|---|---|---|---|---|",
    ]
    for key, m in r["per_class"].items():
        lines.append(f"| {key} | {_pct(m['sensitivity'])} | {_pct(m['specificity'])} | {_pct(m['precision'])} | {m['f1']:.3f} | {m['n']} |")
    lines += [
        "",
        "Confusion matrix: `confusion_matrix.png`; reliability plot: `reliability.png`.",
        "",
        "## Per source, as a triage tool is judged",
        "An abstention sends the scan to the doctor: it counts as a tumour call for sensitivity and never",
        "as a correct \"no tumour\"; a slice refused as not an MRI counts as missed. Confidently wrong: a",
        f"label given with ≥ 90 % confidence that is wrong. Abstention thresholds (the no-tumour one chosen on the validation split, docs/model.md): `{r.get('abstention', {})}`.",
        "",
        *SOURCE_HEADER,
        *_source_rows(r["sources"]),
    ]
    if experiments:
        lines += [
            "",
            "### Held-out sources: models that never saw them",
            "Each row is a model trained **without** the source, then shown all of it (its check fitted",
            "without it as well). This is how the model meets a new hospital's scans.",
            "",
            *SOURCE_HEADER,
        ]
        for label, other in experiments.items():
            held = {k: v for k, v in other["sources"].items() if k.startswith("held-out")}
            lines += _source_rows(held, prefix=f"{label}: ")
    lines += [
        "",
        "## Robustness (validation accuracy; each perturbation applied to the original file)",
        "| perturbation | accuracy | change | refused as not MRI |",
        "|---|---|---|---|",
    ]
    fr = mc["false_rejection_by_perturbation"]
    for name, acc in r["robustness_accuracy"].items():
        lines.append(f"| {name} | {_pct(acc)} | {100 * (acc - clean):+.1f} pts | {_pct(fr[name])} |")
    loko = mc["leave_one_kind_out"]
    lines += [
        "",
        "## \"Is this a brain MRI?\" check",
        "A softmax regression over \"brain MRI\" and each kind of other picture, on image statistics, a",
        "16-bin intensity histogram, the network's guard features and its embedding (see",
        f"`desktop_app/core/inference/mri_check.py`), fitted by code: {mc['limits'].get('tuned_on', '')}.",
        f"Accepts at P(brain MRI) ≥ {mc['limits'].get('min_mri_probability')}; colour saturation ≤ {mc['limits'].get('max_colour_saturation')}.",
        "",
        f"Refused, per kind: the test groups (never fitted on; {_pct(mc['non_mri_test_groups_refused'])} of all) and, honestly",
        "harder, every picture of the kind with the check refitted **without that kind** (leave-one-kind-out):",
        "",
        "| kind | test groups refused | left out of the fit: refused | refused ones said to look like |",
        "|---|---|---|---|",
    ]
    for kind, row in mc["non_mri_test_groups"].items():
        out = loko.get(kind)
        looks = ", ".join(f"{k} {n}" for k, n in sorted(mc.get("looks_like", {}).get(kind, {}).items(), key=lambda kv: -kv[1]))
        lines.append(f"| {kind} | {_pct(row['refused'])} of {row['pictures']} | "
                     f"{_pct(out['refused']) + ' of ' + str(out['pictures']) if out else '—'} | {looks} |")
    lines += [
        "",
        "Package sample pictures (scikit-image, matplotlib; never fitted on):",
        "",
        "| picture | verdict |",
        "|---|---|",
        *[f"| {name} | {verdict} |" for name, verdict in mc["package_pictures"].items()],
        "",
        "## Reproduce",
        "```",
        "# training needs the train extra (TensorFlow) in its own venv, .venv-train",
        *_train_commands(t, r["model_version"]),
        r.get("evaluation_command", ""),
        "```",
        "",
    ]
    path.write_text("\n".join(lines))


def main(argv: list[str] | None = None) -> int:
    """Re-renders a card from a metrics.json (and other runs' held-out sources) without re-evaluating."""
    import argparse
    import json

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--metrics", type=Path, required=True)
    parser.add_argument("--experiment", action="append", default=[], metavar="LABEL=METRICS_JSON")
    args = parser.parse_args(argv)
    experiments = {label: json.loads(Path(file).read_text()) for label, file in
                   (item.split("=", 1) for item in args.experiment)}
    write_model_card(json.loads(args.metrics.read_text()), args.metrics.parent / "model_card.md", experiments)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
