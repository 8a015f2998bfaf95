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
        return [*net[:1], net[1] + f", {grid}×128 last feature map, 128-d pooled", "embedding, linear 4-way head." + _stages(t)]
    n = len(members)
    return [
        f"Ensemble of {n} independently trained copies (different seeds) of one network, in one file:",
        *net[:1],
        net[1] + f", {grid}×128 last feature map and 128-d pooled embedding each. The",
        f"logits are the mean of the members' heads, i.e. one linear head over the {128 * n}-d concatenated",
        f"embedding ({grid}×{128 * n} feature map for the heatmap). Members: "
        + "; ".join(f"{m.get('epochs', '?')} epochs, seed {m.get('seed', '?')}, {m.get('seconds', 0) / 60:.0f} min" for m in members)
        + ".",
    ]


def _stages(t: dict) -> str:
    """The stages' channels, named only for a run that scaled them (`--width`)."""
    width = t.get("width", 1.0)
    if width == 1.0 or "stage_channels" not in t:
        return ""
    channels = "/".join(str(c) for c in t["stage_channels"])
    return f" Stages of {channels} channels (width ×{width:g})."


def _schedule(t: dict) -> str:
    """How many epochs at which size, including the run a fine-tuning run started from."""
    base = t.get("init_from")
    if not base:
        return f"{t.get('epochs', '?')} epochs, seed {t.get('seed', '?')}"
    return (
        f"{base.get('epochs', '?')} epochs at {base.get('input_size', '?')} px (seed {base.get('seed', '?')}), then "
        f"{t.get('epochs', '?')} epochs at {t.get('input_size', '?')} px from those weights (learning rate {t.get('lr', '?')})"
    )


def _training_minutes(t: dict) -> float:
    return (t.get("seconds", 0) + (t.get("init_from") or {}).get("seconds", 0)) / 60


def _width(t: dict) -> str:
    return f" --width {t['width']:g}" if t.get("width", 1.0) != 1.0 else ""


def _train_commands(t: dict, version: str) -> list[str]:
    train = "PYTHONPATH=. .venv-train/bin/python -m training.train --data ../shared/data/brain-mri/Training"
    members = t.get("members")
    if not members:
        base = t.get("init_from")
        first = (
            [
                train + " \\",
                f"    --run-dir {base.get('run_dir')} --out {base.get('run_dir')}/export --epochs {base.get('epochs')} "
                f"--size {base.get('input_size')}",
            ]
            if base
            else []
        )
        tune = f" --size {t.get('input_size')} --lr {t.get('lr')} --init-from {base.get('run_dir')}" if base else ""
        return [
            *first,
            train + " --out models \\",
            f"    --run-dir {t.get('run_dir', 'training/runs/full')} --epochs {t.get('epochs', 12)}{tune}{_width(t)} --version {version}",
        ]
    lines = []
    for m in members:
        lines += [
            train + " \\",
            f"    --run-dir {m.get('run_dir')} --out {m.get('run_dir')}/export --epochs {m.get('epochs')} "
            f"--seed {m.get('seed')} --split-seed {t.get('split_seed', 42)}",
        ]
    runs = " ".join(str(m.get("run_dir")) for m in members)
    return [
        *lines,
        "PYTHONPATH=. .venv-train/bin/python -m training.ensemble --data ../shared/data/brain-mri/Training \\",
        f"    --runs {runs} --out models --version {version}",
    ]


def write_model_card(r: dict, path: Path) -> None:
    t = r.get("training", {})
    split = t.get("split", {})
    clean = r["robustness_accuracy"]["clean (grayscale PNG)"]
    worst_drop = max(clean - v for v in r["robustness_accuracy"].values())
    size_mb = r["model_file_bytes"] / 1e6
    lines = [
        f"# Model card: TumorNet {r['model_version']}",
        "",
        "## Intended use and limits",
        "Decision support for a clinician triaging single 2-D brain MRI slices into glioma, meningioma,",
        "pituitary tumour or no tumour. **It is not a diagnosis**: every result is marked as awaiting a",
        "doctor's review. It was trained on one public data set (below) of axial, coronal and sagittal",
        "slices; it has not been validated on other scanners, on paediatric patients, on other tumour",
        "types (metastases, lymphoma...) or on post-operative scans, and it does not see a whole series.",
        "Pictures that do not look like a brain MRI are refused (`is_brain_mri: false`, no tumour label).",
        "",
        "## Data and split",
        "Training folder of the CC0 \"Brain Tumor MRI Dataset\" (figshare + SARTAJ + Br35H), 224-px JPEGs.",
        f"- {split.get('images', '?')} images; near-duplicates grouped by 64-bit dHash (≤ 2 bits) or pHash",
        "  (≤ 4 bits), each also against the mirror image, linked transitively (union-find).",
        f"- {split.get('near_duplicate_groups', '?')} distinct slices; {split.get('images_in_groups_of_2_or_more', '?')} images belong to a",
        f"  group of 2 or more, i.e. {split.get('redundant_copies', '?')} images are redundant copies (largest group {split.get('largest_group', '?')}).",
        f"- Validation: {split.get('val', '?')} images ({split.get('val_unique_groups', '?')} groups) chosen by whole groups, stratified",
        f"  by class ({split.get('val_per_class', '?')} glioma/meningioma/notumor/pituitary); no group has",
        "  a member on both sides, so no validation image is a near-copy of a training image.",
        f"- Training epochs draw at most {t.get('copies_per_group', 'all')} random members of each training group (a fresh draw",
        f"  each epoch: {t.get('images_per_epoch', split.get('train', '?'))} of {split.get('train', '?')} images), so a slice with many copies does not outweigh",
        "  one seen once and epochs stay short; class weights balance each epoch's draw.",
        "",
        "## Model",
        *_architecture(t),
        f"Float32 TFLite, built-in ops only, {size_mb:.2f} MB; SHA-256 `{r['model_sha256']}`.",
        f"Training: {_schedule(t)}, class-weighted cross-entropy (label smoothing",
        f"{t.get('label_smoothing', 0)}), AdamW with warm-up and cosine decay, augmentation (rotation ±15°,",
        "scale 0.8–1.2, shifts, flips, gamma 0.5–2, contrast, blur/down-sampling, noise, JPEG q25–95);",
        f"{_training_minutes(t):.0f} minutes on a shared 2-core CPU{' in all' if t.get('members') or t.get('init_from') else ''}.",
        "",
        "## Results on the near-duplicate-free validation split",
        "| figure | value | target |",
        "|---|---|---|",
        f"| accuracy | {_pct(r['accuracy'])} | ≥ 98% ({_target(r['accuracy'], 0.98)}) |",
        f"| tumour-vs-no-tumour sensitivity | {_pct(r['tumour_vs_no_tumour']['sensitivity'])} | ≥ 98% ({_target(r['tumour_vs_no_tumour']['sensitivity'], 0.98)}) |",
        f"| tumour-vs-no-tumour specificity | {_pct(r['tumour_vs_no_tumour']['specificity'])} | |",
        f"| macro-F1 | {r['macro_f1']:.3f} | |",
        f"| ECE (15 bins), after temperature T={r['calibration']['temperature']} | {_pct(r['calibration']['ece_after'])} (before: {_pct(r['calibration']['ece_before'])}) | ≤ 3% ({_target(r['calibration']['ece_after'], 0.03, False)}) |",
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
        "## Robustness (validation accuracy; each perturbation applied to the original file)",
        "| perturbation | accuracy | change | MRI check false rejections |",
        "|---|---|---|---|",
    ]
    fr = r["mri_check"]["false_rejection_by_perturbation"]
    for name, acc in r["robustness_accuracy"].items():
        lines.append(f"| {name} | {_pct(acc)} | {100 * (acc - clean):+.1f} pts | {_pct(fr[name])} |")
    mc = r["mri_check"]
    lines += [
        "",
        "## \"Is this a brain MRI?\" check",
        "A small logistic model over the embedding's distance (Mahalanobis, to the nearest class mean of",
        "the training embeddings) and image statistics (colour saturation, dark background, bright share,",
        "dark corners, left-right symmetry, roughness, gray-level entropy, light outside the head ellipse),",
        f"fitted by code on training images and generated non-MRI pictures only ({mc['limits'].get('tuned_on', '')}):",
        f"`{ {k: v for k, v in mc['limits'].items() if k != 'tuned_on'} }`. The pictures below are never fitted on.",
        f"Generated non-MRI pictures of an unseen seed accepted, per kind: `{mc.get('generated_non_mri_accepted', {})}`.",
        f"False rejections of validation MRIs: {_pct(mc['false_rejection_clean'])} clean, "
        f"{_pct(mc['false_rejection_all_variants'])} over all variants above (target ≤ 1%).",
        "",
        "| non-MRI picture | verdict |",
        "|---|---|",
    ]
    lines += [f"| {name} | {verdict} |" for name, verdict in mc["non_mri_verdicts"].items()]
    lines += [
        "",
        "## Reproduce",
        "```",
        "# training needs the train extra (TensorFlow) in its own venv, .venv-train",
        *_train_commands(t, r["model_version"]),
        "PYTHONPATH=. .venv/bin/python -m training.evaluate --data ../shared/data/brain-mri/Training \\",
        f"    --run-dir {t.get('run_dir', 'training/runs/full').split()[0]} --models models",
        "```",
        "",
    ]
    path.write_text("\n".join(lines))
