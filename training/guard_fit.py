"""Fits the brain-MRI check (desktop_app.core.inference.mri_check) and the abstention thresholds.

Pictures go through the app's own engine, so the check is fitted on exactly what the app computes.
- Brain MRIs: training-split slices (the four-class set and, when given, the partially labelled
  extra slices), each clean, under one random robustness perturbation, and with burned-in marks
  (text, arrows, a watermark: many non-MRI sources carry them, so they must not mean "not an MRI").
- Not brain MRIs: the fitting groups of each kind of `non_mri_pictures` (split by the manifest's
  patient/case group, never by file), each clean and under one perturbation, CTs also under another
  display window, plus generated pictures (`training.negatives`) as kind "other".
The fit is a class-balanced, L2-regularised softmax regression over "brain MRI" and every kind
(half the weight on MRIs, the other half shared equally by the kinds). The acceptance threshold
refuses at most MRI_REFUSAL of separate calibration MRIs (other training-split slices).
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from desktop_app.core.inference.mri_check import FEATURES, MRI_KIND, UNLIKE, kind_probabilities
from training.perturb import PERTURBATIONS, perturbed

log = logging.getLogger(__name__)

MRI_REFUSAL = 0.005  # share of calibration MRIs the threshold may refuse
STAT_QUANTILE = 0.001  # the statistics' range limits start at these quantiles of the fitted MRIs
L2 = 3e-3
OTHER_KIND = "other"  # generated pictures: noise, charts, text pages, ...
CT_KINDS = ("brain_ct", "body_ct")  # fitted under other display windows too
# Abstention thresholds: a label is given only when the model is more sure than not, "no tumour"
# only at 80 %, and only for pictures the check accepts clearly and whose embedding is as familiar
# as 99.5 % of the calibration MRIs. The no-tumour threshold was chosen on the validation split
# (docs/model.md: 0.9 left 79 % of no-tumour slices labelled, 0.8 88 %, at the same sensitivity).
MIN_CONFIDENCE = 0.5
MIN_NO_TUMOUR_CONFIDENCE = 0.8
ABSTAIN_BELOW_MRI_PROBABILITY = 0.9
DISTANCE_QUANTILE = 0.995


@dataclass
class Rows:
    """Check vectors with their kind, source name, variant and image statistics (columns in
    FEATURES order), as the engine computed them."""

    vectors: np.ndarray
    kinds: np.ndarray
    names: np.ndarray
    variants: np.ndarray
    distances: np.ndarray
    stats: np.ndarray

    @classmethod
    def join(cls, parts: list[Rows]) -> Rows:
        return cls(*(np.concatenate([getattr(p, f) for p in parts]) for f in cls.__dataclass_fields__))

    def where(self, mask: np.ndarray) -> Rows:
        return Rows(*(getattr(self, f)[mask] for f in self.__dataclass_fields__))


def engine_rows(engine, items: Iterable[tuple[str, str, str, bytes]]) -> Rows:
    """Rows for (kind, name, variant, file bytes); unreadable pictures are refused anyway."""
    from desktop_app.core.imaging import ImageError

    vectors, kinds, names, variants, distances, stats = [], [], [], [], [], []
    for kind, name, variant, data in items:
        try:
            p = engine.predict_bytes(data, name=name)
        except ImageError:
            continue
        vectors.append(p.check_vector)
        kinds.append(kind)
        names.append(name)
        variants.append(variant)
        distances.append(p.mri_check["distance"])
        stats.append([p.mri_check[name] for name in FEATURES])
    return Rows(np.array(vectors), np.array(kinds), np.array(names), np.array(variants), np.array(distances),
                np.array(stats, dtype=np.float64).reshape(-1, len(FEATURES)))


def with_marks(data: bytes, rng: np.random.Generator) -> bytes:
    """The picture with burned-in text, an arrow or a watermark, as teaching files carry them."""
    with Image.open(io.BytesIO(data)) as opened:
        image = opened.convert("L")
    draw = ImageDraw.Draw(image)
    w, h = image.size
    font = ImageFont.load_default(size=max(10, int(h * rng.uniform(0.04, 0.09))))
    for _ in range(int(rng.integers(1, 4))):
        text = str(rng.choice(["L", "R", "A", "T2", "FLAIR", "T1+C", "MedPix", "SE 4 IM 12", "1.5T", "Ax"]))
        xy = (int(rng.uniform(0, 0.8) * w), int(rng.choice([rng.uniform(0, 0.12), rng.uniform(0.85, 0.92)]) * h))
        draw.text(xy, text, fill=int(rng.integers(180, 256)), font=font)
    if rng.random() < 0.5:  # an arrow pointing into the head
        x, y = rng.uniform(0.3, 0.7) * w, rng.uniform(0.3, 0.7) * h
        dx, dy = rng.uniform(0.08, 0.15) * w, rng.uniform(0.08, 0.15) * h
        draw.line((x + dx, y + dy, x, y), fill=255, width=max(2, w // 120))
        draw.polygon([(x, y), (x + dx * 0.3, y + dy * 0.1), (x + dx * 0.1, y + dy * 0.3)], fill=255)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def with_other_appearance(data: bytes, rng: np.random.Generator) -> bytes:
    """The slice as another sequence or scanner might show it: a random intensity curve (monotone
    or inverted, black kept black), a smooth bias field and noise — the training augmentation's
    appearance transformations, so the check does not take an unfamiliar look for "not an MRI"."""
    with Image.open(io.BytesIO(data)) as opened:
        x = np.asarray(opened.convert("L"), dtype=np.float32)
    knots = np.sort(rng.uniform(0, 255, 6))
    if rng.random() < 0.35:
        knots = knots[::-1]
    curve = np.interp(np.arange(256), [0, 8, 57.4, 106.8, 156.2, 205.6, 255], [0, *knots])
    x = curve[x.astype(np.uint8)]
    field = Image.fromarray(rng.normal(0, 1, (3, 3)).astype(np.float32), mode="F").resize(
        (x.shape[1], x.shape[0]), Image.Resampling.BICUBIC)
    x = x * np.exp(rng.uniform(0, 0.4) * np.asarray(field))
    x = x + rng.normal(0, rng.uniform(0, 8), x.shape)
    buffer = io.BytesIO()
    Image.fromarray(np.clip(x, 0, 255).astype(np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()


def with_other_window(data: bytes, rng: np.random.Generator) -> bytes:
    """The CT as another display window would show it. Sites and teaching files show CTs in a
    brain, subdural or bone window, so one head CT can look like several pictures: a narrower window
    (the gray range clipped and stretched) or a wider one (the gray range compressed)."""
    with Image.open(io.BytesIO(data)) as opened:
        x = np.asarray(opened.convert("L"), dtype=np.float32)
    if rng.random() < 0.6:
        low, high = rng.uniform(0, 0.35) * 255, rng.uniform(0.55, 1.0) * 255
        x = np.clip((x - low) / (high - low), 0, 1) * 255
    else:
        low, high = rng.uniform(0, 40), rng.uniform(150, 255)
        x = low + x * (high - low) / 255
    buffer = io.BytesIO()
    Image.fromarray(x.astype(np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()


def mri_items(files: list[Path], seed: int) -> Iterable[tuple[str, str, str, bytes]]:
    """Each MRI clean, under one random perturbation, with burned-in marks and with another look."""
    rng = np.random.default_rng(seed)
    names = [n for n in PERTURBATIONS if not n.startswith("clean")]
    for path in files:
        data = path.read_bytes()
        variant = str(rng.choice(names))
        yield MRI_KIND, str(path), "clean", data
        yield MRI_KIND, str(path), variant, perturbed(data, variant)
        yield MRI_KIND, str(path), "marks", with_marks(data, rng)
        yield MRI_KIND, str(path), "appearance", with_other_appearance(data, rng)


NOT_MRI_LIST = Path(__file__).with_name("not_mri_slices.csv")


def listed_not_mri(listing: Path = NOT_MRI_LIST) -> dict[str, str]:
    """Slices of the four-class set that are not MRIs (head CTs filed under "no tumour" or
    "meningioma"), each checked by eye after `training.audit_slices` ranked them: {file: kind}.
    The check is fitted with them as what they are, never as MRIs."""
    with listing.open(newline="") as f:
        return {row["file"]: row["kind"] for row in csv.DictReader(f)}


def non_mri_pictures(folder: Path) -> list[dict]:
    """The manifest's rows (file, kind, group, ...) with `path` resolved."""
    with (folder / "manifest.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        row["path"] = folder / row["file"]
    return rows


def split_by_group(pictures: list[dict], test_share: float, seed: int) -> tuple[list[dict], list[dict]]:
    """(fitting, test) pictures: whole groups (patient, case, session) on one side, per kind."""
    rng = np.random.default_rng(seed)
    fit, test = [], []
    for kind in sorted({p["kind"] for p in pictures}):
        groups = sorted({p["group"] for p in pictures if p["kind"] == kind})
        rng.shuffle(groups)
        held = set(groups[: max(1, int(round(test_share * len(groups))))])
        for p in pictures:
            if p["kind"] == kind:
                (test if p["group"] in held else fit).append(p)
    return fit, test


def non_mri_items(pictures: list[dict], seed: int, perturb: bool = True) -> Iterable[tuple[str, str, str, bytes]]:
    """Each picture clean and (when `perturb`) under one random robustness perturbation; a CT
    (when `perturb`) also under another display window."""
    rng = np.random.default_rng(seed)
    window_rng = np.random.default_rng([seed, 1])  # its own stream: the perturbations stay as they were
    names = [n for n in PERTURBATIONS if not n.startswith("clean")]
    for p in pictures:
        data = p["path"].read_bytes()
        yield p["kind"], p["file"], "clean", data
        if perturb:
            variant = str(rng.choice(names))
            yield p["kind"], p["file"], variant, perturbed(data, variant)
            if p["kind"] in CT_KINDS:
                yield p["kind"], p["file"], "window", with_other_window(data, window_rng)


def generated_items(per_kind: int, seed: int) -> Iterable[tuple[str, str, str, bytes]]:
    from training.negatives import generated_negatives

    for name, data in generated_negatives(per_kind, seed).items():
        yield OTHER_KIND, name, "clean", data


def softmax_regression(X: np.ndarray, y: np.ndarray, weight: np.ndarray, classes: int, l2: float = L2):
    """Weighted, L2-regularised multinomial logistic regression (L-BFGS): (W (d, k), b (k,))."""
    from scipy.optimize import minimize

    n, d = X.shape
    Y = np.eye(classes)[y]

    def loss(theta):
        W, b = theta[: d * classes].reshape(d, classes), theta[d * classes :]
        z = X @ W + b
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        nll = -np.sum(weight * np.log(np.maximum((p * Y).sum(axis=1), 1e-12)))
        g = (p - Y) * weight[:, None]
        return nll + 0.5 * l2 * np.sum(W * W), np.concatenate([(X.T @ g + l2 * W).ravel(), g.sum(axis=0)])

    result = minimize(loss, np.zeros(d * classes + classes), jac=True, method="L-BFGS-B", options={"maxiter": 500})
    return result.x[: d * classes].reshape(d, classes), result.x[d * classes :]


def standardisation(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Median and a floored robust spread of every vector component."""
    q25, q50, q75 = np.percentile(vectors, [25, 50, 75], axis=0)
    spread = np.maximum((q75 - q25) / 1.35, vectors.std(axis=0) * 0.1)
    return q50, np.maximum(spread, 1e-3)


@dataclass
class FittedCheck:
    kinds: list[str]
    centre: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    bias: np.ndarray
    min_mri_probability: float = 0.5
    stat_limits: dict[str, tuple[float, float]] | None = None

    def within_limits(self, rows: Rows) -> np.ndarray:
        ok = np.ones(len(rows.kinds), dtype=bool)
        for name, (lo, hi) in (self.stat_limits or {}).items():
            column = rows.stats[:, FEATURES.index(name)]
            ok &= (column >= lo) & (column <= hi)
        return ok

    def mri_probability(self, vectors: np.ndarray) -> np.ndarray:
        p = kind_probabilities(vectors, self.centre, self.scale, self.weights, self.bias)
        return p[:, self.kinds.index(MRI_KIND)]

    def accepts(self, rows: Rows) -> np.ndarray:
        return (self.mri_probability(rows.vectors) >= self.min_mri_probability) & self.within_limits(rows)


def statistic_limits(mri: Rows) -> dict[str, tuple[float, float]]:
    """Per statistic, the MRIs' range in its unlike-an-MRI direction(s): the 0.1 % / 99.9 % quantile
    of the MRI rows (all variants) moved half as far again from the median; the other side open."""
    limits = {}
    for name, directions in UNLIKE.items():
        column = mri.stats[:, FEATURES.index(name)]
        q_lo, median, q_hi = np.quantile(column, [STAT_QUANTILE, 0.5, 1 - STAT_QUANTILE])
        lo = q_lo - 0.5 * (median - q_lo) if -1 in directions else -np.inf
        hi = q_hi + 0.5 * (q_hi - median) if 1 in directions else np.inf
        limits[name] = (float(lo), float(hi))
    return limits


def fit_check(fit: Rows, calibration: Rows) -> FittedCheck:
    """Softmax regression on `fit`; the acceptance threshold from the calibration MRIs."""
    kinds = [MRI_KIND, *sorted(set(fit.kinds) - {MRI_KIND})]
    y = np.array([kinds.index(k) for k in fit.kinds])
    is_mri = y == 0
    weight = np.where(is_mri, 0.5 / max(1, is_mri.sum()), 0.0)
    other = len(kinds) - 1
    for c in range(1, len(kinds)):
        weight[y == c] = 0.5 / other / max(1, int(np.sum(y == c)))
    weight *= len(y)  # mean weight 1: the L2 strength means the same whatever the row count
    centre, scale = standardisation(fit.vectors)
    W, b = softmax_regression((fit.vectors - centre) / scale, y, weight, len(kinds))
    check = FittedCheck(kinds, centre, scale, W, b, stat_limits=statistic_limits(fit.where(is_mri)))
    calibration_p = check.mri_probability(calibration.vectors[check.within_limits(calibration)])
    check.min_mri_probability = float(np.clip(np.quantile(calibration_p, MRI_REFUSAL), 0.01, 0.5))
    return check


def check_fields(check: FittedCheck, calibration: Rows, summary: str) -> tuple[dict, dict]:
    """(model.json's `mri_check` and `abstention` fields, the arrays for mri_check.npz)."""
    distance_limit = float(np.quantile(calibration.distances, DISTANCE_QUANTILE))
    fields = {
        "kinds": check.kinds,
        "min_mri_probability": round(check.min_mri_probability, 4),
        # Hard limits far outside the MRIs: the fitted model is not trusted that far out.
        "max_distance": round(distance_limit * 2.0, 3),
        "max_colour_saturation": 0.25,
        "stat_limits": {
            name: [round(lo, 4) if np.isfinite(lo) else -1e9, round(hi, 4) if np.isfinite(hi) else 1e9]
            for name, (lo, hi) in check.stat_limits.items()
        },
        "tuned_on": summary,
    }
    abstention = {
        "min_confidence": MIN_CONFIDENCE,
        "min_no_tumour_confidence": MIN_NO_TUMOUR_CONFIDENCE,
        "min_mri_probability": ABSTAIN_BELOW_MRI_PROBABILITY,
        "max_distance": round(distance_limit, 3),
    }
    arrays = {"centre": check.centre, "scale": check.scale, "weights": check.weights, "bias": check.bias}
    return {"check": fields, "abstention": abstention}, {k: v.astype(np.float32) for k, v in arrays.items()}


def leave_one_kind_out(fit: Rows, calibration: Rows, tests: Rows) -> dict[str, dict]:
    """Per kind: the check refitted without any picture of that kind, then shown all of them."""
    table = {}
    for kind in sorted(set(tests.kinds) - {MRI_KIND, OTHER_KIND}):
        check = fit_check(fit.where(fit.kinds != kind), calibration)
        rows = tests.where((tests.kinds == kind) & (tests.variants == "clean"))
        refused = ~check.accepts(rows)
        table[str(kind)] = {"pictures": int(len(rows.kinds)), "refused": round(float(refused.mean()), 4)}
        log.info("leave out %s: %d of %d refused", kind, refused.sum(), len(refused))
    return table
