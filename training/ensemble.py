"""Joins trained runs into one model whose logits are the mean of the members' logits, and exports it.

With `--mirror` each member also looks at the left-right mirror image and its embedding is the mean
of the two views (a brain is nearly symmetric and a tumour may sit on either side, so the mirror
image is the same diagnosis): one invoke, about twice the network's work. The feature map (the
heatmap) and the guard features (the MRI check) stay those of the image as given.

The members share the input, so the joined model is still one TFLite file with the app's three
outputs. Averaging linear heads over separate embeddings is one linear head over the concatenated
embedding (each member's weights divided by the member count), so the app's heatmap (feature map
times head weights), federated head fine-tuning and the MRI check's embedding distance all keep
working unchanged, just on a wider embedding.

PYTHONPATH=. python -m training.ensemble --data ../shared/data/brain-mri/Training \
    --runs training/runs/v11 training/runs/v12b --out models --version tumornet-1.2
PYTHONPATH=. python -m training.ensemble --data ../shared/data/brain-mri/Training \
    --runs training/runs/v21ft --mirror --out models --version tumornet-2.1
"""

from __future__ import annotations

import argparse
import json
import logging
import os
from pathlib import Path

import numpy as np

from training.export import WEIGHT_FORMATS

log = logging.getLogger("training")


def join_members(members: list, mirror: bool = False) -> keras.Model:  # noqa: F821 - lazy keras
    """One model: [probabilities, concatenated feature maps, concatenated embeddings, concatenated
    guard features]; with `mirror`, each member's embedding is averaged over the image and its
    left-right mirror image."""
    import keras
    from keras import layers

    from training.model import NUM_CLASSES

    inputs = keras.Input(members[0].input.shape[1:], name="image")
    mirrored = layers.Lambda(lambda t: keras.ops.flip(t, axis=2), name="mirror")(inputs) if mirror else None
    features, embeddings, guards, weights, biases = [], [], [], [], []
    for i, member in enumerate(members):
        trunk = keras.Model(member.input, member.outputs[1:4], name=f"member{i}")
        f, e, g = trunk(inputs)
        if mirror:
            e = layers.Average(name=f"member{i}_views")([e, trunk(mirrored)[1]])
        features.append(f)
        embeddings.append(e)
        guards.append(g)
        W, b = member.get_layer("head").get_weights()
        weights.append(W / len(members))
        biases.append(b / len(members))
    feature_map = layers.Concatenate(name="features")(features)
    embedding = layers.Concatenate(name="embedding")(embeddings)
    head = layers.Dense(NUM_CLASSES, name="head")
    probabilities = layers.Softmax(name="probabilities")(head(embedding))
    head.set_weights([np.concatenate(weights), np.sum(biases, axis=0)])
    guard = layers.Concatenate(name="guard_features")(guards)
    return keras.Model(inputs, [probabilities, feature_map, embedding, guard], name="tumornet_ensemble")


def member_summary(run_dir: Path) -> dict:
    """What one member's own training recorded (recipe, time, the run it was fine-tuned from) for
    the model card."""
    training = json.loads((run_dir / "summary.json").read_text()).get("training", {})
    keep = ("seconds", "epochs", "seed", "run_dir", "images_per_epoch", "input_size", "lr", "extra",
            "appearance_augmentation", "without", "width", "init_from", "not_mri")
    return {key: training[key] for key in keep if key in training}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="the training folder the runs used")
    parser.add_argument("--runs", type=Path, nargs="+", required=True, help="run dirs with model.keras")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--version", required=True)
    parser.add_argument("--mirror", action="store_true", help="average each member over the mirror image")
    parser.add_argument("--weights", choices=WEIGHT_FORMATS, default="int8", help="how the .tflite stores its weights")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras

    from training.dataset import build_cache
    from training.export import export_model_files
    from training.model import PerImageStandardize  # noqa: F401 - registered so members load
    from training.model_card import training_seconds

    first = args.runs[0]
    splits = [np.load(run / "split.npz") for run in args.runs]
    if any(not np.array_equal(s["val"], splits[0]["val"]) for s in splits):
        parser.error("the runs were trained on different validation splits (use one --split-seed)")
    model = join_members(
        [keras.models.load_model(run / "model.keras") for run in args.runs], mirror=args.mirror
    )
    size = int(model.input.shape[1])
    data = build_cache(args.data, first / f"cache{size}.npz", size)
    train_idx, val_idx = splits[0]["train"], splits[0]["val"]
    first_training = json.loads((first / "summary.json").read_text())["training"]
    members = [member_summary(run) for run in args.runs]
    # One run seen through mirror views is still that run: its own training record (and the run it
    # was fine-tuned from) describes it.
    training = {**first_training, "mirror_views": args.mirror} if len(args.runs) == 1 else {
        **{key: value for key, value in first_training.items() if key != "init_from"},
        # Every member's time, the runs they were fine-tuned from included.
        "seconds": round(sum(training_seconds(m) for m in members), 1),
        "epochs": "+".join(str(m.get("epochs", "?")) for m in members),
        "seed": "+".join(str(m.get("seed", "?")) for m in members),
        "members": members,
        "mirror_views": args.mirror,
        "run_dir": " ".join(str(run) for run in args.runs),
    }
    summary = export_model_files(
        model,
        out_dir=args.out,
        train_images=data.images[train_idx],
        train_labels=data.labels[train_idx],
        val_images=data.images[val_idx],
        val_labels=data.labels[val_idx],
        version=args.version,
        weights=args.weights,
        extra={"training": training},
    )
    log.info("exported %s to %s (temperature %s)", args.version, args.out, summary["temperature"])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
