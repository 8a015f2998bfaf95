"""Evaluates a model end to end (files -> the app's engine), fits its brain-MRI check, writes the card.

    PYTHONPATH=. .venv-train/bin/python -m training.evaluate --data ../shared/data/brain-mri/Training \
        --extra ../shared/data/brain-mri-extra/br35h-yes --non-mri ../shared/data/non-mri \
        --run-dir training/runs/v20 --models models

Steps: fits the brain-MRI check and the abstention thresholds (training.guard_fit) on training-split
MRIs and the fitting groups of the non-MRI pictures, and stores them with the model; then measures
on data never fitted on: the near-duplicate-free validation split (accuracy, per-class figures,
calibration, robustness, false refusals), the extra slices' validation groups, any held-out
source (`--held-out-tumours`: a folder of tumour slices the model never saw), the non-MRI test
groups per kind, and each kind left out of the check's fitting entirely (leave-one-kind-out).
Writes metrics.json, model_card.md and the plots.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import logging
import shlex
import sys
import time
from pathlib import Path

import numpy as np

from desktop_app.core.labels import NO_TUMOUR, display_names
from training.dataset import LABEL_KEYS, TUMOUR_UNKNOWN, list_flat_files
from training.export import MRI_CHECK_FILE, sha256_of
from training.non_mri import all_non_mri
from training.perturb import PERTURBATIONS, perturbed
from training.triage_metrics import outcome_arrays, triage_metrics

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
    notumor = LABEL_KEYS.index(NO_TUMOUR)
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

    names = [display_names()[key] for key in LABEL_KEYS]
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


def store_check(models: Path, fields: dict, arrays: dict[str, np.ndarray]) -> None:
    """Writes the fitted check's arrays next to the embedding statistics and its fields into model.json."""
    check_file = models / MRI_CHECK_FILE
    with np.load(check_file) as npz:
        kept = {name: npz[name] for name in ("means", "precision")}
    buffer = io.BytesIO()
    np.savez(buffer, **kept, **arrays)
    check_file.write_bytes(buffer.getvalue())
    meta = json.loads((models / "model.json").read_text())
    meta["mri_check"] = {
        "file": MRI_CHECK_FILE,
        "sha256": hashlib.sha256(buffer.getvalue()).hexdigest(),
        **fields["check"],
    }
    meta["abstention"] = fields["abstention"]
    (models / "model.json").write_text(json.dumps(meta, indent=2) + "\n")


def fit_guard(engine, args, split, extra_split, pictures_fit, pictures_test, listed: dict[str, str]) -> tuple[dict, dict]:
    """Fits and stores the check (`listed`: the slices that are not MRIs, by file); returns (its
    summary, the leave-one-kind-out table)."""
    from training import guard_fit as g

    rng = np.random.default_rng(0)
    is_listed = np.array([str(p) in listed for p in split["paths"]])
    train = rng.permutation(split["train"])
    train_mri = train[~is_listed[train]]
    paths = [args.data / str(p) for p in split["paths"]]
    fit_files = [paths[i] for i in train_mri[: args.fit_mri]]
    calibration_files = [paths[i] for i in train_mri[args.fit_mri : args.fit_mri + args.fit_mri // 2]]
    # The training split's listed slices join the fitting pictures of their kind.
    pictures_fit = pictures_fit + [
        {"kind": listed[str(split["paths"][i])], "file": str(split["paths"][i]), "path": paths[i]}
        for i in sorted(train[is_listed[train]])
    ]
    if extra_split is not None:
        extra_train = rng.permutation(extra_split["train"])
        extra_paths = [args.extra / str(p) for p in extra_split["paths"]]
        cut = (2 * len(extra_train)) // 3
        fit_files += [extra_paths[i] for i in extra_train[:cut]]
        calibration_files += [extra_paths[i] for i in extra_train[cut:]]
    started = time.time()
    mri_fit = g.engine_rows(engine, g.mri_items(fit_files, seed=1))
    calibration = g.engine_rows(engine, g.mri_items(calibration_files, seed=2))
    non_mri_fit = g.engine_rows(engine, g.non_mri_items(pictures_fit, seed=3))
    generated = g.engine_rows(engine, g.generated_items(40, seed=1))
    non_mri_test = g.engine_rows(engine, g.non_mri_items(pictures_test, seed=4, perturb=False))
    log.info("check rows computed in %.0f s", time.time() - started)
    fit_rows = g.Rows.join([mri_fit, non_mri_fit, generated])
    check = g.fit_check(fit_rows, calibration)
    summary = (
        f"{len(fit_files)} training-split MRIs x 4 variants (clean, one robustness perturbation, burned-in "
        f"marks, another look) vs {len(pictures_fit)} non-MRI pictures (clean and perturbed, CTs also under "
        f"another display window, fitting groups of "
        f"{len(set(non_mri_fit.kinds))} kinds, {int(is_listed[train].sum())} of them head CTs filed in the "
        f"training split as MRIs) and {len(generated.kinds)} generated pictures; threshold from "
        f"{len(calibration_files)} other training-split MRIs x 4 variants"
    )
    fields, arrays = g.check_fields(check, calibration, summary)
    store_check(args.models, fields, arrays)
    if not args.leave_one_kind_out:
        return fields, {}
    # Each kind's own collection only: the listed slices were in the networks' training.
    everything_of_kind = g.Rows.join([non_mri_fit, non_mri_test])
    everything_of_kind = everything_of_kind.where(~np.isin(everything_of_kind.names, list(listed)))
    return fields, g.leave_one_kind_out(fit_rows, calibration, everything_of_kind)


def non_mri_refusals(engine, pictures: list[dict]) -> tuple[dict, dict]:
    """(per kind: pictures and share refused, per kind: what the refused ones were said to look like)."""
    refused: dict[str, list[bool]] = {}
    looks: dict[str, dict[str, int]] = {}
    for p in pictures:
        prediction = run_engine(engine, [(p["file"], p["path"].read_bytes())])[0]
        is_refused = prediction is None or not prediction.is_brain_mri
        refused.setdefault(p["kind"], []).append(is_refused)
        if prediction is not None and is_refused:
            said = prediction.looks_like or "(not named)"
            looks.setdefault(p["kind"], {}).setdefault(said, 0)
            looks[p["kind"]][said] += 1
    table = {k: {"pictures": len(v), "refused": round(float(np.mean(v)), 4)} for k, v in sorted(refused.items())}
    return table, looks


def source_figures(engine, files: list[Path], labels: np.ndarray) -> dict:
    predictions = run_engine(engine, [(str(f), f.read_bytes()) for f in files])
    return triage_metrics(labels, outcome_arrays(predictions, engine.label_keys))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--extra", type=Path, default=None, help="the partially labelled folder the run trained on")
    parser.add_argument("--non-mri", type=Path, required=True, help="folder of non-MRI pictures with manifest.csv")
    parser.add_argument("--held-out-tumours", type=Path, action="append", default=[],
                        help="folder of tumour slices from a source the model never saw (repeatable)")
    parser.add_argument("--experiment", action="append", default=[], metavar="LABEL=METRICS_JSON",
                        help="another run's metrics.json whose held-out sources go into the card (repeatable)")
    parser.add_argument("--run-dir", type=Path, default=Path("training/runs/latest"))
    parser.add_argument("--models", type=Path, default=Path("models"))
    parser.add_argument("--fit-mri", type=int, default=1600, help="training-split MRIs the check is fitted on")
    parser.add_argument("--leave-one-kind-out", type=int, default=1,
                        help="1: also refit the check without each kind in turn (about a minute per kind)")
    parser.add_argument("--val-limit", type=int, default=0, help="evaluate only this many validation images (quick checks)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    from desktop_app.core.inference import InferenceEngine
    from training.guard_fit import listed_not_mri, non_mri_pictures, split_by_group

    split = np.load(args.run_dir / "split.npz")
    extra_split = np.load(args.run_dir / "extra_split.npz") if args.extra else None
    paths = [args.data / str(p) for p in split["paths"]]
    labels_all = np.array([LABEL_KEYS.index(str(p).split("/")[0]) for p in split["paths"]])
    pictures_fit, pictures_test = split_by_group(non_mri_pictures(args.non_mri), 0.3, seed=0)
    engine = InferenceEngine.load(args.models, num_threads=2)
    listed = listed_not_mri()
    check_fields, loko = fit_guard(engine, args, split, extra_split, pictures_fit, pictures_test, listed)
    engine = InferenceEngine.load(args.models, num_threads=2)  # reload with the fitted check
    log.info("check: %s", {k: v for k, v in check_fields["check"].items() if k != "kinds"})

    val = split["val"][: args.val_limit] if args.val_limit else split["val"]
    labels = labels_all[val]
    raw = [paths[i].read_bytes() for i in val]
    robustness, rejected, clean_preds, latency = {}, {}, None, []
    for name in PERTURBATIONS:
        started = time.time()
        preds = run_engine(engine, [(f"{i}.img", perturbed(d, name)) for i, d in enumerate(raw)])
        probs = np.array([[p.probabilities[n] for n in engine.display_names] if p else [0.25] * 4 for p in preds])
        acc = float(np.mean(probs.argmax(axis=1) == labels))
        robustness[name] = round(acc, 4)
        rejected[name] = round(float(np.mean([not (p and p.is_brain_mri) for p in preds])), 4)
        if name == CLEAN:
            clean_preds = preds
            latency = [p.timings_ms["total"] for p in preds if p]
        log.info("%s: accuracy %.4f, refused %.4f in %.0f s", name, acc, rejected[name], time.time() - started)

    # Refusals of real MRIs: the clean validation slices without those listed as not MRIs.
    mri_only = [p for p, i in zip(clean_preds, val, strict=True) if str(split["paths"][i]) not in listed]
    refused_mri_only = float(np.mean([not (p and p.is_brain_mri) for p in mri_only]))
    clean_probs = np.array([[p.probabilities[n] for n in engine.display_names] for p in clean_preds])
    W, b, _ = engine.base_head()
    clean_logits = np.array([p.embedding @ W + b for p in clean_preds])
    metrics = classification_metrics(labels, clean_probs.argmax(axis=1))
    calibrated_ece, reliability = ece(clean_probs, labels)
    z = clean_logits - clean_logits.max(axis=1, keepdims=True)
    uncalibrated_ece, _ = ece(np.exp(z) / np.exp(z).sum(axis=1, keepdims=True), labels)

    sources = {"validation split (four classes)": triage_metrics(labels, outcome_arrays(clean_preds, engine.label_keys))}
    if extra_split is not None:
        files = [args.extra / str(p) for p in extra_split["paths"][extra_split["val"]]]
        sources["extra slices, validation groups"] = source_figures(engine, files, np.full(len(files), TUMOUR_UNKNOWN))
    for folder in args.held_out_tumours:
        files = [p for p, _ in list_flat_files(folder, TUMOUR_UNKNOWN)]
        sources[f"held-out source: {folder.name}"] = source_figures(engine, files, np.full(len(files), TUMOUR_UNKNOWN))
    for name, figures in sources.items():
        log.info("%s: %s", name, figures)
    refusals, looks_like = non_mri_refusals(engine, pictures_test)
    package = {}
    for name, data in all_non_mri().items():
        p = run_engine(engine, [(name, data)])[0]
        package[name] = "refused as unreadable" if p is None else (
            f"refused: {p.message}" if not p.is_brain_mri else
            f"accepted as an MRI but no label given: {p.message}" if p.abstained else
            f"ACCEPTED as {p.label} ({p.confidence:.2f})")
    all_test = [r["pictures"] * r["refused"] for r in refusals.values()]
    log.info("non-MRI test groups refused: %.1f%%; leave-one-kind-out: %s",
             100 * sum(all_test) / sum(r["pictures"] for r in refusals.values()), loko)

    meta = json.loads((args.models / "model.json").read_text())
    results = {
        "model_version": meta["version"],
        "validation_images": int(len(val)),
        **metrics,
        "calibration": {"temperature": meta["temperature"], "ece_before": round(uncalibrated_ece, 4),
                        "ece_after": round(calibrated_ece, 4), "reliability_bins": reliability},
        "robustness_accuracy": robustness,
        "sources": sources,
        "abstention": meta["abstention"],
        "mri_check": {
            "limits": {k: v for k, v in meta["mri_check"].items() if k not in ("file", "sha256", "kinds")},
            "kinds": meta["mri_check"]["kinds"],
            "false_rejection_clean": rejected[CLEAN], "false_rejection_by_perturbation": rejected,
            # The same without the validation slices listed as not MRIs (training/not_mri_slices.csv).
            "listed_not_mri_in_validation": len(val) - len(mri_only),
            "false_rejection_clean_listed_excluded": round(refused_mri_only, 4),
            "false_rejection_all_variants": round(float(np.mean(list(rejected.values()))), 4),
            "non_mri_test_groups": refusals,
            "non_mri_test_groups_refused": round(sum(all_test) / sum(r["pictures"] for r in refusals.values()), 4),
            "looks_like": looks_like,
            "leave_one_kind_out": loko,
            "package_pictures": package,
        },
        "latency_ms_median_end_to_end": round(float(np.median(latency)), 2),
        "model_file_bytes": (args.models / meta["file"]).stat().st_size,
        "model_weights": meta.get("weights", "float32"),
        "model_sha256": sha256_of(args.models / meta["file"]),
        "training": meta.get("training", {}),
        "evaluation_command": "PYTHONPATH=. .venv-train/bin/python -m training.evaluate "
        + shlex.join(sys.argv[1:] if argv is None else argv),
    }
    (args.models / "metrics.json").write_text(json.dumps(results, indent=2) + "\n")
    plots(np.array(metrics["confusion_matrix"]), reliability, args.models)
    from training.model_card import write_model_card

    experiments = {label: json.loads(Path(file).read_text()) for label, file in
                   (item.split("=", 1) for item in args.experiment)}
    write_model_card(results, args.models / "model_card.md", experiments)
    log.info("accuracy %.4f, macro-F1 %.4f, ECE %.4f", metrics["accuracy"], metrics["macro_f1"], calibrated_ece)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
