"""Evaluates the shipped model end to end (files -> app engine) and writes the model card.

    PYTHONPATH=. python -m training.evaluate --data ../shared/data/brain-mri/Training \
        --run-dir training/runs/full --models models

Steps: fits the brain-MRI check on *training* images (clean and perturbed) against generated
non-MRI pictures (training.mri_check_fit) and stores it in model.json; then measures, on the
near-duplicate-free validation split, accuracy, per-class sensitivity/specificity, macro-F1, calibration, the robustness table, the MRI check's
false-rejection rate and its verdict on the held-out non-MRI pictures (training.non_mri, never
fitted on) and on generated ones from an unseen seed; writes metrics.json, model_card.md, PNGs.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from pathlib import Path

import numpy as np

from training.dataset import LABEL_KEYS
from training.export import sha256_of
from training.mri_check_fit import fit_mri_check
from training.negatives import generated_negatives
from training.non_mri import all_non_mri
from training.perturb import PERTURBATIONS, perturbed

log = logging.getLogger("evaluate")
CLEAN = "clean (grayscale PNG)"


def run_engine(engine, items: list[tuple[str, bytes]]) -> list:
    from desktop_app.core.imaging import ImageError

    out = []
    for name, data in items:
        try:
            out.append(engine.predict_bytes(data, name=name))
        except ImageError as exc:
            log.warning("%s: %s", name, exc.user_message)
            out.append(None)
    return out


def tune_mri_check(engine, files: list[Path], models: Path, negatives_per_kind: int = 40) -> dict:
    """Fits the brain-MRI check on training MRIs (clean and perturbed) vs generated non-MRI pictures.

    Stores the fitted check in model.json (`mri_check`) and returns it; see training.mri_check_fit.
    """
    fitted, summary = fit_mri_check(engine, files, negatives_per_kind)
    meta = json.loads((models / "model.json").read_text())
    check = meta["mri_check"]
    for stale in ("min_dark_fraction", "max_bright_fraction"):  # limits of the former threshold rule
        check.pop(stale, None)
    check.update(fitted, tuned_on=summary["tuned_on"])
    (models / "model.json").write_text(json.dumps(meta, indent=2) + "\n")
    return check


def generated_non_mri_acceptance(engine, per_kind: int = 15, seed: int = 2) -> dict[str, float]:
    """Share of freshly generated non-MRI pictures (a seed never fitted on) accepted, per kind."""
    accepted: dict[str, list[bool]] = {}
    for name, data in generated_negatives(per_kind, seed).items():
        p = run_engine(engine, [(name, data)])[0]
        accepted.setdefault(name.split(":")[0], []).append(bool(p is not None and p.is_brain_mri))
    return {kind: round(float(np.mean(flags)), 4) for kind, flags in accepted.items()}


def ece(probabilities: np.ndarray, labels: np.ndarray, bins: int = 15) -> tuple[float, list[dict]]:
    confidence = probabilities.max(axis=1)
    correct = probabilities.argmax(axis=1) == labels
    edges = np.linspace(0, 1, bins + 1)
    total, table = 0.0, []
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        inside = (confidence > lo) & (confidence <= hi)
        if inside.any():
            gap = abs(correct[inside].mean() - confidence[inside].mean())
            total += inside.mean() * gap
            table.append({"lo": lo, "hi": hi, "n": int(inside.sum()), "accuracy": float(correct[inside].mean()),
                          "confidence": float(confidence[inside].mean())})
    return float(total), table


def classification_metrics(labels: np.ndarray, predicted: np.ndarray) -> dict:
    k = len(LABEL_KEYS)
    cm = np.zeros((k, k), dtype=int)
    np.add.at(cm, (labels, predicted), 1)
    per_class, f1s = {}, []
    for c, key in enumerate(LABEL_KEYS):
        tp, fn = cm[c, c], cm[c].sum() - cm[c, c]
        fp, tn = cm[:, c].sum() - tp, cm.sum() - cm[c].sum() - (cm[:, c].sum() - tp)
        sens, spec = tp / max(1, tp + fn), tn / max(1, tn + fp)
        precision = tp / max(1, tp + fp)
        f1 = 2 * precision * sens / max(1e-9, precision + sens)
        f1s.append(f1)
        per_class[key] = {"sensitivity": round(float(sens), 4), "specificity": round(float(spec), 4),
                          "precision": round(float(precision), 4), "f1": round(float(f1), 4), "n": int(cm[c].sum())}
    notumor = LABEL_KEYS.index("notumor")
    tumour, said_tumour = labels != notumor, predicted != notumor
    return {
        "accuracy": round(float(np.mean(labels == predicted)), 4),
        "macro_f1": round(float(np.mean(f1s)), 4),
        "per_class": per_class,
        "tumour_vs_no_tumour": {
            "sensitivity": round(float(np.mean(said_tumour[tumour])), 4),
            "specificity": round(float(np.mean(~said_tumour[~tumour])), 4),
        },
        "confusion_matrix": cm.tolist(),
    }


def plots(cm: np.ndarray, reliability: list[dict], out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = ["Glioma", "Meningioma", "No Tumor", "Pituitary"]
    fig, ax = plt.subplots(figsize=(5, 4.4))
    ax.imshow(cm, cmap="Blues")
    for i in range(len(cm)):
        for j in range(len(cm)):
            ax.text(j, i, cm[i, j], ha="center", va="center", color="white" if cm[i, j] > cm.max() / 2 else "black")
    ax.set_xticks(range(4), names, rotation=30)
    ax.set_yticks(range(4), names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title("Validation confusion matrix")
    fig.tight_layout()
    fig.savefig(out / "confusion_matrix.png", dpi=110)
    plt.close(fig)
    fig, ax = plt.subplots(figsize=(4.6, 4.4))
    ax.plot([0, 1], [0, 1], "--", color="gray", label="perfect calibration")
    ax.plot([r["confidence"] for r in reliability], [r["accuracy"] for r in reliability], "o-", label="TumorNet (T-scaled)")
    ax.set_xlabel("confidence")
    ax.set_ylabel("accuracy")
    ax.set_title("Reliability (validation)")
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(out / "reliability.png", dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--run-dir", type=Path, default=Path("training/runs/latest"))
    parser.add_argument("--models", type=Path, default=Path("models"))
    parser.add_argument("--tune-images", type=int, default=1000, help="training images used to tune the MRI check")
    parser.add_argument("--val-limit", type=int, default=0, help="evaluate only this many validation images (quick checks)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    from desktop_app.core.inference import InferenceEngine

    split = np.load(args.run_dir / "split.npz")
    paths = [args.data / str(p) for p in split["paths"]]
    labels_all = np.array([LABEL_KEYS.index(str(p).split("/")[0]) for p in split["paths"]])
    rng = np.random.default_rng(0)
    tune_files = [paths[i] for i in rng.choice(split["train"], min(args.tune_images, len(split["train"])), replace=False)]
    engine = InferenceEngine.load(args.models, num_threads=2)
    limits = tune_mri_check(engine, tune_files, args.models)
    engine = InferenceEngine.load(args.models, num_threads=2)  # reload with the tuned limits
    log.info("MRI check: %s", {k: v for k, v in limits.items() if not isinstance(v, list)})

    val = split["val"][: args.val_limit] if args.val_limit else split["val"]
    labels = labels_all[val]
    raw = [paths[i].read_bytes() for i in val]
    W, b, _ = engine.base_head()
    robustness, rejected, clean_probs, clean_logits, latency = {}, {}, None, None, []
    for name in PERTURBATIONS:
        started = time.time()
        preds = run_engine(engine, [(f"{i}.img", perturbed(d, name)) for i, d in enumerate(raw)])
        ok = np.array([p is not None for p in preds])
        probs = np.array([[p.probabilities[n] for n in engine.display_names] if p else [0.25] * 4 for p in preds])
        acc = float(np.mean(probs.argmax(axis=1) == labels))
        robustness[name] = round(acc, 4)
        rejected[name] = round(float(np.mean([not (p and p.is_brain_mri) for p in preds])), 4)
        if name == CLEAN:
            clean_probs = probs
            clean_logits = np.array([p.embedding @ W + b for p in preds])
            latency = [p.timings_ms["total"] for p in preds if p]
        log.info("%s: accuracy %.4f, MRI-check rejects %.4f (%d unreadable) in %.0f s", name, acc, rejected[name], (~ok).sum(), time.time() - started)

    metrics = classification_metrics(labels, clean_probs.argmax(axis=1))
    calibrated_ece, reliability = ece(clean_probs, labels)
    z = clean_logits - clean_logits.max(axis=1, keepdims=True)
    raw_probs = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    uncalibrated_ece, _ = ece(raw_probs, labels)
    non_mri = {}
    for name, data in all_non_mri().items():
        p = run_engine(engine, [(name, data)])[0]
        non_mri[name] = "refused as unreadable" if p is None else (
            "not a brain MRI" if not p.is_brain_mri else f"ACCEPTED as {p.label} ({p.confidence:.2f})")
    generated = generated_non_mri_acceptance(engine)
    log.info("non-MRI test pictures accepted: %d of %d; generated (unseen seed) accepted: %s",
             sum(v.startswith("ACCEPTED") for v in non_mri.values()), len(non_mri), generated)
    meta = json.loads((args.models / "model.json").read_text())
    all_perturbed_rejections = float(np.mean(list(rejected.values())))
    results = {
        "model_version": meta["version"],
        "validation_images": int(len(val)),
        **metrics,
        "calibration": {"temperature": meta["temperature"], "ece_before": round(uncalibrated_ece, 4),
                        "ece_after": round(calibrated_ece, 4), "reliability_bins": reliability},
        "robustness_accuracy": robustness,
        "mri_check": {"limits": {k: v for k, v in meta["mri_check"].items()
                                 if k not in ("file", "sha256") and not isinstance(v, list)},
                      "features": meta["mri_check"].get("features", []),
                      "generated_non_mri_accepted": generated,
                      "false_rejection_clean": rejected[CLEAN], "false_rejection_by_perturbation": rejected,
                      "false_rejection_all_variants": round(all_perturbed_rejections, 4),
                      "non_mri_verdicts": non_mri},
        "latency_ms_median_end_to_end": round(float(np.median(latency)), 2),
        "model_file_bytes": (args.models / meta["file"]).stat().st_size,
        "model_sha256": sha256_of(args.models / meta["file"]),
        "training": meta.get("training", {}),
    }
    (args.models / "metrics.json").write_text(json.dumps(results, indent=2) + "\n")
    plots(np.array(metrics["confusion_matrix"]), reliability, args.models)
    from training.model_card import write_model_card

    write_model_card(results, args.models / "model_card.md")
    log.info("accuracy %.4f, macro-F1 %.4f, ECE %.4f", metrics["accuracy"], metrics["macro_f1"], calibrated_ece)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
