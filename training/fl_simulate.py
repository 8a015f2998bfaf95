"""Federated-learning simulation: clinics fine-tune the head on their share of the data and aggregate through the real server."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from desktop_app.core.federated.head import HeadWeights
from desktop_app.core.federated.trainer import TrainConfig, train_head
from training.fl_loopback import LoopbackFederation

log = logging.getLogger("fl_simulate")

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DATA = REPO.parent / "shared" / "data" / "brain-mri" / "Training"


# ---- data ------------------------------------------------------------------------------------


def load_embeddings(engine, data_dir: Path, paths: np.ndarray, cache: Path) -> np.ndarray:
    """Pooled embeddings of every image through the app's engine (cached per model checksum)."""
    model_id = str(engine.model_checksum)
    if cache.exists():
        with np.load(cache, allow_pickle=False) as stored:
            if str(stored["model_id"]) == model_id and stored["paths"].tolist() == paths.tolist():
                log.info("embeddings from cache %s", cache)
                return stored["X"]
    started = time.perf_counter()
    vectors = []
    for done, relative in enumerate(paths, start=1):
        path = data_dir / str(relative)
        vectors.append(
            np.asarray(engine.embed_bytes(path.read_bytes(), name=path.name), np.float32).reshape(
                -1
            )
        )
        if done % 500 == 0:
            log.info("embedded %d/%d images", done, len(paths))
    X = np.stack(vectors)
    log.info("embedded %d images in %.0f s", len(paths), time.perf_counter() - started)
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.savez(cache, X=X, paths=paths, model_id=np.array(model_id))
    return X


def model_split(data_dir: Path, run_dir: Path, val_fraction: float, seed: int):
    """(labels, paths, groups, train, val): the model's own near-duplicate-free split.

    The feature extractor was trained on `train` only, so `val` is the only honest yardstick. The
    training run's `split.npz` is used when it is there; otherwise the split is recomputed with
    the same grouping, fraction and seed.
    """
    from training.dataset import LABEL_KEYS

    saved = run_dir / "split.npz"
    if saved.exists():
        with np.load(saved, allow_pickle=False) as split:
            paths, groups, train, val = (
                split["paths"],
                split["groups"],
                split["train"],
                split["val"],
            )
        labels = np.array(
            [LABEL_KEYS.index(str(p).replace("\\", "/").split("/")[0]) for p in paths]
        )
        log.info("validation split from %s", saved)
        return labels, paths, groups, train, val
    from training.dataset import build_cache
    from training.near_duplicates import group_near_duplicates, group_split

    data = build_cache(data_dir, run_dir / "cache128.npz")
    groups = group_near_duplicates(data.hashes)
    train, val = group_split(data.labels, groups, val_fraction, seed)
    return data.labels.astype(int), data.paths, groups, train, val


def partition(
    indices: np.ndarray, labels: np.ndarray, clinics: int, mode: str, seed: int, alpha: float = 0.3
) -> list[np.ndarray]:
    """IID: an even random split. Non-IID: each class spread over clinics by Dirichlet(alpha) shares."""
    rng = np.random.default_rng(seed)
    if mode == "iid":
        return [np.sort(part) for part in np.array_split(rng.permutation(indices), clinics)]
    parts: list[list[int]] = [[] for _ in range(clinics)]
    for cls in np.unique(labels[indices]):
        members = rng.permutation(indices[labels[indices] == cls])
        shares = rng.dirichlet(np.full(clinics, alpha))
        cuts = (np.cumsum(shares)[:-1] * len(members)).astype(int)
        for clinic, chunk in enumerate(np.split(members, cuts)):
            parts[clinic].extend(chunk.tolist())
    return [np.sort(np.array(p, dtype=int)) for p in parts]


# ---- training runs ---------------------------------------------------------------------------


@dataclass
class RunResult:
    name: str
    accuracy: list[float] = field(default_factory=list)  # validation accuracy after each round


def zero_head(dim: int, classes: int) -> HeadWeights:
    return HeadWeights(W=np.zeros((dim, classes)), b=np.zeros(classes), version="init")


def local_config(epochs: int, seed: int) -> TrainConfig:
    # A fixed number of local passes per round; the held-back slice still picks the best one.
    return TrainConfig(
        max_epochs=epochs,
        patience=epochs,
        min_examples=2,
        min_classes=1,
        seed=seed,
        l2_to_global=0.01,
    )


Poison = Callable[[HeadWeights, HeadWeights], HeadWeights]


def poison_scaled(trained: HeadWeights, start: HeadWeights, factor: float = 20.0) -> HeadWeights:
    return HeadWeights(
        W=start.W + factor * (trained.W - start.W),
        b=start.b + factor * (trained.b - start.b),
        version=trained.version,
    )


def poison_sign_flipped(
    trained: HeadWeights, start: HeadWeights, factor: float = 10.0
) -> HeadWeights:
    return HeadWeights(
        W=start.W - factor * (trained.W - start.W),
        b=start.b - factor * (trained.b - start.b),
        version=trained.version,
    )


POISONS: dict[str, Poison] = {"scaled": poison_scaled, "sign_flipped": poison_sign_flipped}


def run_federated(
    name: str,
    federation: LoopbackFederation,
    X: np.ndarray,
    y: np.ndarray,
    clinics: list[np.ndarray],
    val: np.ndarray,
    rounds: int,
    epochs: int,
    seed: int,
    poison: Poison | None = None,
) -> RunResult:
    result = RunResult(name)
    for round_no in range(1, rounds + 1):
        global_head = federation.download()
        for clinic, part in enumerate(clinics):
            trained = train_head(
                X[part],
                y[part],
                global_head,
                global_head=global_head,
                config=local_config(epochs, seed + round_no * 100 + clinic),
            ).weights
            if poison is not None and clinic == 0:
                trained = poison(trained, global_head)
            federation.upload(
                clinic, trained, num_examples=len(part), base_version=global_head.version
            )
        federation.aggregate()
        head = federation.download()
        result.accuracy.append(head.accuracy(X[val], y[val]))
        log.info(
            "%s round %d: version %s, validation accuracy %.4f",
            name,
            round_no,
            head.version,
            result.accuracy[-1],
        )
    return result


def run_centralized(X, y, train, val, rounds, epochs, seed) -> RunResult:
    """All training data in one place, the same number of passes, as the upper reference."""
    result = RunResult("centralized")
    head = zero_head(X.shape[1], int(y.max()) + 1)
    for round_no in range(1, rounds + 1):
        head = train_head(
            X[train], y[train], head, global_head=head, config=local_config(epochs, seed + round_no)
        ).weights
        result.accuracy.append(head.accuracy(X[val], y[val]))
    return result


def run_local_only(X, y, clinics, val, rounds, epochs, seed) -> RunResult:
    """Each clinic alone on its own cases; the mean of their validation accuracies."""
    result = RunResult("local only (mean)")
    heads = [zero_head(X.shape[1], int(y.max()) + 1) for _ in clinics]
    for round_no in range(1, rounds + 1):
        for clinic, part in enumerate(clinics):
            heads[clinic] = train_head(
                X[part],
                y[part],
                heads[clinic],
                global_head=heads[clinic],
                config=local_config(epochs, seed + round_no * 100 + clinic),
            ).weights
        result.accuracy.append(float(np.mean([h.accuracy(X[val], y[val]) for h in heads])))
    return result


# ---- outputs ---------------------------------------------------------------------------------


def write_chart(path: Path, panels: dict[str, list[RunResult]]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    columns = 2
    rows = (len(panels) + columns - 1) // columns
    fig, axes = plt.subplots(rows, columns, figsize=(11, 4.0 * rows), squeeze=False)
    flat = axes.flatten()
    for axis, (title, runs) in zip(flat, panels.items(), strict=False):
        for run in runs:
            axis.plot(
                range(1, len(run.accuracy) + 1),
                [100 * a for a in run.accuracy],
                marker="o",
                markersize=3,
                label=run.name,
            )
        axis.set_title(title)
        axis.set_xlabel("round")
        axis.set_ylabel("validation accuracy (%)")
        axis.xaxis.set_major_locator(MaxNLocator(integer=True))
        axis.grid(alpha=0.3)
        axis.legend(fontsize=8)
    for axis in flat[len(panels) :]:
        axis.set_visible(False)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def markdown_table(panels: dict[str, list[RunResult]]) -> str:
    lines = ["| scenario | run | round 1 | best | final |", "|---|---|---|---|---|"]
    for title, runs in panels.items():
        for run in runs:
            lines.append(
                f"| {title} | {run.name} | {100 * run.accuracy[0]:.2f} % | {100 * max(run.accuracy):.2f} % | {100 * run.accuracy[-1]:.2f} % |"
            )
    return "\n".join(lines)


# ---- main ------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="fl_simulate", description=__doc__)
    parser.add_argument(
        "--data", type=Path, default=DEFAULT_DATA, help="folder of class sub-folders"
    )
    parser.add_argument("--clinics", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--local-epochs", type=int, default=3)
    parser.add_argument(
        "--val-fraction", type=float, default=0.2, help="as the model's training used"
    )
    parser.add_argument("--split-seed", type=int, default=42, help="as the model's training used")
    parser.add_argument(
        "--run-dir",
        type=Path,
        default=REPO / "training" / "runs" / "full",
        help="the model's training run (its split.npz, or the decoded-image cache)",
    )
    parser.add_argument(
        "--alpha", type=float, default=0.3, help="Dirichlet concentration of the non-IID split"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "federated")
    parser.add_argument(
        "--cache", type=Path, default=REPO / "training" / "runs" / "fl_embeddings.npz"
    )
    parser.add_argument(
        "--models", type=Path, default=None, help="model folder (default: the shipped models/)"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request is noise here
    from desktop_app.core.inference import InferenceEngine
    from desktop_app.paths import models_dir

    engine = InferenceEngine.load(args.models) if args.models else InferenceEngine.load()
    started = time.perf_counter()
    model_json = (args.models or models_dir()) / "model.json"
    trained_with = json.loads(model_json.read_text(encoding="utf-8")).get("training", {})
    seed_of_model = int(trained_with.get("seed", args.split_seed))
    y, paths, groups, train, val = model_split(
        args.data, args.run_dir, args.val_fraction, seed_of_model
    )
    X = load_embeddings(engine, args.data, paths, args.cache)
    log.info(
        "%d images, %d near-duplicate groups; %d train, %d validation",
        len(y),
        len(np.unique(groups)),
        len(train),
        len(val),
    )
    dim, classes = X.shape[1], int(y.max()) + 1
    common = dict(rounds=args.rounds, epochs=args.local_epochs, seed=args.seed)

    panels: dict[str, list[RunResult]] = {}
    splits = {
        "IID": partition(train, y, args.clinics, "iid", args.seed),
        "non-IID": partition(train, y, args.clinics, "non-iid", args.seed, args.alpha),
    }
    centralized = run_centralized(X, y, train, val, **common)
    for title, clinics in splits.items():
        with LoopbackFederation(
            zero_head(dim, classes), model_id=str(engine.model_checksum), clinics=args.clinics
        ) as federation:
            fed = run_federated("FedAvg", federation, X, y, clinics, val, **common)
        panels[title] = [fed, centralized, run_local_only(X, y, clinics, val, **common)]
    for poison_name, poison in POISONS.items():
        runs = []
        for strategy in ("fedavg", "median", "trimmed_mean"):
            with LoopbackFederation(
                zero_head(dim, classes),
                model_id=str(engine.model_checksum),
                clinics=args.clinics,
                strategy=strategy,
            ) as federation:
                runs.append(
                    run_federated(
                        strategy, federation, X, y, splits["IID"], val, poison=poison, **common
                    )
                )
        panels[f"IID, clinic 1 {poison_name.replace('_', '-')}"] = runs

    elapsed = time.perf_counter() - started
    args.out.mkdir(parents=True, exist_ok=True)
    write_chart(args.out / "fl_simulation.png", panels)
    sizes = {title: [len(c) for c in clinics] for title, clinics in splits.items()}
    class_mix = {
        title: [np.bincount(y[c], minlength=classes).tolist() for c in clinics]
        for title, clinics in splits.items()
    }
    report = "\n".join(
        [
            "# Federated simulation results",
            "",
            f"Generated by `python training/fl_simulate.py --clinics {args.clinics} --rounds {args.rounds} "
            f"--local-epochs {args.local_epochs} --seed {args.seed}"
            + (f" --models {args.models}" if args.models else "")
            + f" --run-dir {args.run_dir.relative_to(REPO) if args.run_dir.is_relative_to(REPO) else args.run_dir}`"
            + f" in {elapsed:.0f} s.",
            "",
            f"- Images: {len(y)} ({len(np.unique(groups))} near-duplicate groups); validation: {len(val)} images "
            f"— the model's own validation split (whole near-duplicate groups), never seen in training.",
            f"- Model: `{engine.model_version}` (feature extractor frozen; every run starts from a zero head).",
            f"- Clinic sizes: {json.dumps(sizes)}",
            f"- Cases per class (glioma, meningioma, notumor, pituitary) per clinic: {json.dumps(class_mix)}",
            "- Each round every clinic trains the head for the given local epochs from the current global "
            "weights, uploads an `.npz` to the server on 127.0.0.1, an admin triggers aggregation and the "
            "new global weights are downloaded and evaluated.",
            "",
            markdown_table(panels),
            "",
            "![validation accuracy per round](fl_simulation.png)",
            "",
        ]
    )
    (args.out / "fl_simulation.md").write_text(report, encoding="utf-8")
    (args.out / "fl_simulation.json").write_text(
        json.dumps({t: {r.name: r.accuracy for r in runs} for t, runs in panels.items()}, indent=2),
        encoding="utf-8",
    )
    print(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
