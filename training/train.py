"""Trains the classifier on a folder of class sub-folders and exports the app's model files.

PYTHONPATH=. python -m training.train --data ../shared/data/brain-mri/Training --out models
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import time
from pathlib import Path

import numpy as np

from training.export import WEIGHT_FORMATS

log = logging.getLogger("training")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data",
        type=Path,
        required=True,
        help="folder with glioma/ meningioma/ notumor/ pituitary/",
    )
    parser.add_argument(
        "--extra",
        type=Path,
        default=None,
        help="folder of slices known to show a tumour of unrecorded type (partial labels)",
    )
    parser.add_argument(
        "--extra-weight", type=float, default=2.0, help="loss weight of a partially labelled slice"
    )
    parser.add_argument(
        "--appearance",
        type=float,
        default=1.0,
        help="how often the scan-appearance augmentation applies (intensity curves, bias field, ...): "
        "1 full, 0 off",
    )
    parser.add_argument(
        "--without",
        action="append",
        default=[],
        metavar="TRANSFORM",
        help="leave one scan-appearance transformation out (repeatable; an ablation): "
        "strip_skull, wide_framing, intensity_remap, bias_field, slice_thickness_blur, rician_noise",
    )
    parser.add_argument(
        "--out", type=Path, required=True, help="folder receiving the model files (e.g. models)"
    )
    parser.add_argument(
        "--run-dir",
        type=Path,
        default=Path("training/runs/latest"),
        help="cache, logs, checkpoints",
    )
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--weight-decay", type=float, default=0.05, help="AdamW decoupled decay")
    parser.add_argument("--label-smoothing", type=float, default=0.1)
    parser.add_argument(
        "--copies-per-group",
        type=int,
        default=2,
        help="near-duplicate copies of one slice drawn per epoch (fresh draw each epoch)",
    )
    parser.add_argument("--val-fraction", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=42, help="weights, augmentation and epoch draws")
    parser.add_argument(
        "--split-seed",
        type=int,
        default=42,
        help="validation split (keep it fixed to compare or ensemble runs)",
    )
    parser.add_argument(
        "--version", default=None, help="model version string (default: date-based)"
    )
    parser.add_argument(
        "--weights", choices=WEIGHT_FORMATS, default="int8", help="how the exported .tflite stores its weights"
    )
    parser.add_argument(
        "--keep-not-mri",
        action="store_true",
        help="train on the slices listed in training/not_mri_slices.csv (head CTs filed as MRIs) as MRIs "
        "too, as every run before the list did",
    )
    parser.add_argument("--threads", type=int, default=2, help="CPU threads for TensorFlow")
    parser.add_argument("--size", type=int, default=None, help="input size in px (default: the app's)")
    parser.add_argument(
        "--width", type=float, default=1.0, help="multiplies the stages' channels (training time grows)"
    )
    parser.add_argument(
        "--init-from",
        type=Path,
        default=None,
        help="run dir whose model.keras starts this run (fine-tuning, e.g. at a larger --size)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras
    import tensorflow as tf

    from desktop_app.core.imaging import MODEL_INPUT_SIZE
    from training.augment import augment_batch, jpeg_and_flip
    from training.dataset import build_cache
    from training.export import export_model_files
    from training.model import build_model, stage_channels
    from training.near_duplicates import group_near_duplicates, group_split
    from training.partial_labels import (
        TrainingPool,
        allowed_accuracy,
        allowed_classes,
        load_extra,
        partial_label_loss,
    )

    tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    tf.config.threading.set_inter_op_parallelism_threads(args.threads)
    keras.utils.set_random_seed(args.seed)
    started = time.time()
    size = args.size or MODEL_INPUT_SIZE
    args.run_dir.mkdir(parents=True, exist_ok=True)
    data = build_cache(args.data, args.run_dir / f"cache{size}.npz", size)
    if args.init_from:
        # A fine-tuning run keeps its starting run's split: near-duplicate hashes of images resized
        # to another size group slightly differently, and a new split would put images the
        # starting weights were trained on into validation.
        groups, train_idx, val_idx = inherited_split(args.init_from / "split.npz", data.paths)
    else:
        groups = group_near_duplicates(data.hashes)
        train_idx, val_idx = group_split(data.labels, groups, args.val_fraction, args.split_seed)
    split_stats = split_summary(data.labels, groups, train_idx, val_idx)
    log.info("split: %s", split_stats)
    np.savez(
        args.run_dir / "split.npz", train=train_idx, val=val_idx, groups=groups, paths=data.paths
    )
    # The split stays the same (validation keeps its listed slices, so versions stay comparable);
    # only training leaves out the pictures that are not MRIs.
    fit_idx = train_idx if args.keep_not_mri else without_listed_not_mri(train_idx, data.paths)
    pool = TrainingPool.of(data, groups, fit_idx, val_idx)
    if args.extra:
        extra = load_extra(args.extra, args.run_dir, size, args.val_fraction, args.split_seed)
        split_stats["extra"] = extra.summary
        pool = pool.joined(extra)

    y_train = pool.labels[pool.train]
    x_val = pool.images[pool.val][..., None].astype(np.float32)
    y_val = pool.labels[pool.val]
    epoch_order, class_weight = epoch_schedule(
        pool.groups[pool.train], y_train, args.copies_per_group, args.epochs, args.seed
    )
    steps_per_epoch = max(1, len(epoch_order) // args.epochs // args.batch)
    log.info(
        "%d images per epoch (of %d), %d steps per epoch, class weights %s",
        len(epoch_order) // args.epochs,
        len(y_train),
        steps_per_epoch,
        np.round(class_weight, 3),
    )
    images = tf.constant(pool.images[pool.train][..., None])
    one_hot = tf.constant(allowed_classes(y_train))
    sample_weight = np.where(y_train >= 0, class_weight[np.maximum(y_train, 0)], args.extra_weight)
    weights = tf.constant(sample_weight.astype(np.float32))
    train_ds = (
        tf.data.Dataset.from_tensor_slices(epoch_order)
        .repeat()  # only guards the last partial batch; the order already spans every epoch
        .map(
            lambda i: (
                jpeg_and_flip(tf.gather(images, i)),
                tf.gather(one_hot, i),
                tf.gather(weights, i),
            ),
            num_parallel_calls=args.threads,
        )
        .batch(args.batch, drop_remainder=True)
        .map(
            lambda x, y, w: (augment_batch(x, size, args.appearance, frozenset(args.without)), y, w),
            num_parallel_calls=1,
        )
        .map(lambda x, y, w: (x, {"probabilities": y}, {"probabilities": w}))
        .prefetch(2)
    )
    model = build_model(size, width=args.width)
    if args.init_from:
        # Convolutions and the head do not depend on the input size, so the weights carry over.
        model.set_weights(keras.models.load_model(args.init_from / "model.keras").get_weights())
    trainer = keras.Model(model.input, {"probabilities": model.outputs[0]})
    steps = args.epochs * steps_per_epoch
    schedule = keras.optimizers.schedules.CosineDecay(
        args.lr * 0.1, steps, alpha=0.01, warmup_target=args.lr, warmup_steps=max(1, steps // 20)
    )
    trainer.compile(
        optimizer=keras.optimizers.AdamW(schedule, weight_decay=args.weight_decay),
        loss={"probabilities": partial_label_loss(args.label_smoothing)},
        metrics={"probabilities": [allowed_accuracy]},
    )
    checkpoint = args.run_dir / "best.weights.h5"
    callbacks = [
        keras.callbacks.CSVLogger(str(args.run_dir / "history.csv")),
        keras.callbacks.ModelCheckpoint(
            str(checkpoint),
            monitor="val_allowed_accuracy",
            mode="max",
            save_best_only=True,
            save_weights_only=True,
        ),
    ]
    val_one_hot = allowed_classes(y_val)
    val_data = (x_val, {"probabilities": val_one_hot}) if len(y_val) else None
    if val_data is None:
        callbacks = callbacks[:1]
    trainer.fit(
        train_ds,
        epochs=args.epochs,
        steps_per_epoch=steps_per_epoch,
        validation_data=val_data,
        callbacks=callbacks,
        verbose=2,
    )
    if checkpoint.exists() and val_data is not None:
        trainer.load_weights(str(checkpoint))
    train_seconds = time.time() - started
    model.save(args.run_dir / "model.keras")
    summary = export_model_files(
        model,
        out_dir=args.out,
        train_images=data.images[fit_idx],
        train_labels=data.labels[fit_idx],
        val_images=data.images[val_idx],
        val_labels=data.labels[val_idx],
        version=args.version or time.strftime("tumornet-%Y.%m.%d"),
        weights=args.weights,
        extra={
            "training": {
                "data": str(args.data.name),
                "seconds": round(train_seconds, 1),
                "epochs": args.epochs,
                "images_per_epoch": int(steps_per_epoch * args.batch),
                "copies_per_group": args.copies_per_group,
                "label_smoothing": args.label_smoothing,
                "lr": args.lr,
                "seed": args.seed,
                "split_seed": args.split_seed,
                "run_dir": str(args.run_dir),
                "input_size": size,
                "extra": str(args.extra.name) if args.extra else None,
                "extra_weight": args.extra_weight if args.extra else None,
                "appearance_augmentation": args.appearance,
                **({"without": sorted(args.without)} if args.without else {}),
                "width": args.width,
                "stage_channels": stage_channels(args.width),
                "split": split_stats,
                "not_mri": "kept" if args.keep_not_mri else f"{len(train_idx) - len(fit_idx)} dropped",
                **({"init_from": init_summary(args.init_from)} if args.init_from else {}),
            }
        },
    )
    (args.run_dir / "summary.json").write_text(json.dumps(summary, indent=2))
    log.info("done in %.0f s: %s", time.time() - started, json.dumps(summary)[:400])
    return 0


def inherited_split(split_file: Path, paths: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(groups, train, val) of an earlier run over the same files."""
    split = np.load(split_file)
    if not np.array_equal(split["paths"], paths):
        raise SystemExit(f"{split_file} was made from other files than --data holds")
    return split["groups"], split["train"], split["val"]


def without_listed_not_mri(indices: np.ndarray, paths: np.ndarray) -> np.ndarray:
    """`indices` without the slices `training/not_mri_slices.csv` lists as not MRIs."""
    from training.guard_fit import listed_not_mri

    listed = listed_not_mri()
    return np.array([i for i in indices if str(paths[i]) not in listed], dtype=indices.dtype)


def init_summary(run_dir: Path) -> dict:
    """The run a fine-tuning run started from: its time counts towards the model's training time."""
    training = json.loads((run_dir / "summary.json").read_text()).get("training", {})
    keys = ("run_dir", "seconds", "epochs", "seed", "input_size", "appearance_augmentation", "lr", "not_mri")
    return {key: training.get(key) for key in keys}


def epoch_schedule(
    train_groups: np.ndarray, train_labels: np.ndarray, cap: int, epochs: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """(training positions for all epochs back to back, class weights balancing one epoch's draw)."""
    from training.near_duplicates import capped_group_sample

    rng = np.random.default_rng(seed)
    draws = [capped_group_sample(train_groups, cap, rng) for _ in range(epochs)]
    drawn = train_labels[draws[0]]
    counts = np.bincount(drawn[drawn >= 0], minlength=4)  # partially labelled slices weigh apart
    class_weight = counts.sum() / (len(counts) * np.maximum(counts, 1))
    return np.concatenate(draws), class_weight


def split_summary(
    labels: np.ndarray, groups: np.ndarray, train_idx: np.ndarray, val_idx: np.ndarray
) -> dict:
    """How the near-duplicate-aware split came out (goes into model.json and the model card)."""
    _, sizes = np.unique(groups, return_counts=True)
    return {
        "images": int(len(labels)),
        "near_duplicate_groups": int(len(sizes)),
        "images_in_groups_of_2_or_more": int(sizes[sizes > 1].sum()),
        "redundant_copies": int(len(labels) - len(sizes)),
        "largest_group": int(sizes.max()),
        "train": int(len(train_idx)),
        "val": int(len(val_idx)),
        "val_unique_groups": int(len(np.unique(groups[val_idx]))) if len(val_idx) else 0,
        "val_per_class": np.bincount(labels[val_idx], minlength=4).tolist(),
    }


if __name__ == "__main__":
    raise SystemExit(main())
