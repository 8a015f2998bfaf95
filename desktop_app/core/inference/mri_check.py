""""Is this a brain MRI at all?": a multinomial logistic model of what kind of picture this is.

The check sees one vector per picture (`check_vector`, about 0.1 ms):
- the image statistics of `check_features` below (log-scaled where they span orders of magnitude);
- a 16-bin intensity histogram of the model's input (CT's bone-white skull, X-ray's soft gradients);
- the network's guard features: every stage's mean activation, texture and contrast first,
  anatomy last (a model without them, e.g. an older export, uses zeros);
- the network's pooled embedding (the same numbers the diagnosis head reads).

A softmax regression over "brain MRI" and each kind of picture it was fitted against (head CT,
chest X-ray, spine MRI, photographs, ...; `training.guard_fit`, never by hand) gives the
probability that the picture is a brain MRI. It passes when that probability reaches
`min_mri_probability` and the hard limits hold (`max_colour_saturation`: MRIs are gray even when
saved as colour JPEGs; `max_distance`: an embedding far outside anything seen in training). The
most likely other kind names what the picture looks like ("a CT scan of the head").
Without fitted weights (a freshly exported model) only the hard limits apply.

Image statistics (`check_features`):
- `distance`: smallest Mahalanobis distance of the pooled embedding to a class mean of the
  training MRIs (shared, shrunk covariance) — how familiar the picture is to the network;
- `colour_saturation`; `dark_fraction`, `bright_fraction`: the scanner's dark background (the
  darkest fifth of the 1st–99th percentile range), paper-white documents (200 or brighter);
and, on the model's square input (the head crop, padded square):
- `corner_ratio`: the corners of a roughly elliptical head are dark;
- `symmetry`: axial and coronal slices are nearly left-right symmetric;
- `roughness`: neighbour differences relative to contrast (noise, text and textures are rough);
- `entropy`: MRIs use many gray levels (binary drawings and blobs use two);
- `outside_ellipse`: the share of lit pixels outside the ellipse inscribed in the square.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from desktop_app.core.imaging.preprocess import histogram_percentile

FEATURES = (
    "distance", "colour_saturation", "dark_fraction", "bright_fraction",
    "corner_ratio", "symmetry", "roughness", "entropy", "outside_ellipse",
)
# Features whose logarithm is used: they span orders of magnitude.
LOG_FEATURES = ("distance", "roughness")
# The direction(s) in which each statistic stops looking like an MRI (+1: larger, -1: smaller):
# a picture beyond the MRIs' range in such a direction is refused whatever the fitted model says,
# because a linear model extrapolates arbitrarily far from what it was fitted on (pure noise).
UNLIKE = {
    "dark_fraction": (-1,), "bright_fraction": (1,), "corner_ratio": (1,), "symmetry": (-1,),
    "roughness": (1, -1), "entropy": (-1,), "outside_ellipse": (1,),
}
HISTOGRAM_BINS = 16
MRI_KIND = "brain_mri"
DEFAULT_LIMITS = {"max_distance": 40.0, "max_colour_saturation": 0.25}

# What each kind of picture is called when the check says what a refused picture looks like.
KIND_DESCRIPTIONS = {
    "body_mri": "an MRI of another part of the body",
    "brain_ct": "a CT scan of the head",
    "body_ct": "a CT scan of the body",
    "chest_xray": "a chest X-ray",
    "ultrasound": "an ultrasound image",
    "fundus": "a photograph of the retina",
    "dermoscopy": "a close-up photograph of the skin",
    "microscopy": "a microscope image",
    "dental_xray": "a dental X-ray",
    "mammography": "a mammogram",
    "photo": "an ordinary photograph",
    "screenshot": "a screenshot",
    "document": "a scanned document",
}
# A refused picture is said to look like its most likely kind only when that kind is this sure.
MIN_KIND_PROBABILITY = 0.85

# "Dark" is relative to the picture's own range (1st to 99th percentile): a scanner background
# that is gray rather than black, or lifted by a strong gamma, still counts as background.
DARK_SHARE = 0.2
_THUMB = 32  # side of the block-averaged thumbnail for corners, symmetry and the ellipse
_CORNER = 4  # corner blocks of the thumbnail: fully outside the inscribed ellipse
_yy, _xx = (np.mgrid[:_THUMB, :_THUMB] + 0.5 - _THUMB / 2) / (_THUMB / 2)
_OUTSIDE = (_xx**2 + _yy**2) > 1.0
_LEVELS = np.arange(256, dtype=np.float64)


def embedding_distance(embedding: np.ndarray, means: np.ndarray, precision: np.ndarray) -> float:
    """Smallest Mahalanobis distance from the embedding to a class mean of the training MRIs."""
    diffs = means - embedding[None, :]
    return float(np.sqrt(max(0.0, float(((diffs @ precision) * diffs).sum(axis=1).min()))))


def histogram_fractions(histogram: np.ndarray) -> tuple[float, float]:
    """(share of pixels in the darkest DARK_SHARE of the 1st–99th percentile range, share at 200 or above)."""
    n = max(1, int(histogram.sum()))
    low = histogram_percentile(histogram, 1)
    dark_level = low + DARK_SHARE * (histogram_percentile(histogram, 99) - low)
    return float(histogram[: int(dark_level) + 1].sum()) / n, float(histogram[200:].sum()) / n


def shape_features(model_input: np.ndarray) -> dict[str, float]:
    """Statistics of the model's square input that tell a head slice from other pictures."""
    size = model_input.shape[0]
    k = size // _THUMB
    x = model_input[: k * _THUMB, : k * _THUMB].astype(np.float32)
    # Block means by strided adds: much faster than reshape(...).mean() over a short axis.
    columns = sum(x[:, i::k] for i in range(k))
    thumb = sum(columns[i::k] for i in range(k)) / (k * k)
    c = _CORNER
    corners = float(thumb[:c, :c].sum() + thumb[:c, -c:].sum() + thumb[-c:, :c].sum() + thumb[-c:, -c:].sum()) / (4 * c * c)
    centred = thumb - thumb.mean()
    symmetry = float((centred * centred[:, ::-1]).sum()) / (float((centred * centred).sum()) + 1e-6)
    counts = np.bincount(model_input.ravel(), minlength=256).astype(np.float64)
    n = counts.sum()
    mean = float(counts @ _LEVELS) / n
    contrast = float(np.sqrt(max(0.0, float(counts @ _LEVELS**2) / n - mean * mean))) + 1.0
    steps = float(np.abs(x[:, 1:] - x[:, :-1]).mean()) + float(np.abs(x[1:] - x[:-1]).mean())
    p = counts[counts > 0] / n
    lit = thumb > 0.08 * float(thumb.max())
    return {
        "corner_ratio": corners / (mean + 1.0),
        "symmetry": symmetry,
        "roughness": steps / contrast,
        "entropy": float(-(p * np.log2(p)).sum()),
        "outside_ellipse": float(np.count_nonzero(lit & _OUTSIDE)) / max(1.0, float(np.count_nonzero(lit))),
    }


def check_features(
    model_input: np.ndarray, histogram: np.ndarray, colour_saturation: float, distance: float
) -> dict[str, float]:
    """Every image statistic the check uses (see the module docstring), rounded for logs and reports."""
    dark, bright = histogram_fractions(histogram)
    features = {
        "distance": distance, "colour_saturation": colour_saturation,
        "dark_fraction": dark, "bright_fraction": bright, **shape_features(model_input),
    }
    return {name: round(float(features[name]), 4) for name in FEATURES}


def input_histogram(model_input: np.ndarray) -> np.ndarray:
    """Share of the model input's pixels in each of HISTOGRAM_BINS equal intensity bins."""
    counts = np.bincount(model_input.ravel() >> 4, minlength=HISTOGRAM_BINS).astype(np.float64)
    return counts / max(1.0, counts.sum())


def check_vector(
    stats: dict[str, float], model_input: np.ndarray, guard_features: np.ndarray, embedding: np.ndarray
) -> np.ndarray:
    """The check's input: statistics (logs where listed), input histogram, guard features, embedding."""
    values = [
        np.log(max(stats[name], 1e-3)) if name in LOG_FEATURES else stats[name] for name in FEATURES
    ]
    return np.concatenate([
        np.asarray(values, dtype=np.float64),
        input_histogram(model_input),
        np.asarray(guard_features, dtype=np.float64).ravel(),
        np.asarray(embedding, dtype=np.float64).ravel(),
    ])


def kind_probabilities(
    vectors: np.ndarray, centre: np.ndarray, scale: np.ndarray, weights: np.ndarray, bias: np.ndarray
) -> np.ndarray:
    """The fitted softmax over kinds for one check vector (D,) or a batch (n, D)."""
    logits = ((vectors - centre) / scale) @ weights + bias
    logits = logits - logits.max(axis=-1, keepdims=True)
    p = np.exp(logits)
    return p / p.sum(axis=-1, keepdims=True)


@dataclass(frozen=True)
class CheckVerdict:
    """What the check found: the probability of a brain MRI and, when refused, what it looks like."""

    mri_probability: float
    accepted: bool
    looks_like: str | None = None  # a KIND_DESCRIPTIONS key, only when the check is sure enough


@dataclass(frozen=True)
class MriCheck:
    """The fitted check from model.json's `mri_check` plus the arrays in its npz."""

    max_distance: float
    max_colour_saturation: float
    kinds: tuple[str, ...] = ()
    centre: np.ndarray | None = None
    scale: np.ndarray | None = None
    weights: np.ndarray | None = None  # (vector length, kinds)
    bias: np.ndarray | None = None  # (kinds,)
    min_mri_probability: float = 0.5
    stat_limits: tuple[tuple[str, float, float], ...] = ()  # (statistic, lowest, highest) of MRIs

    @classmethod
    def from_meta(cls, meta: dict, arrays: dict[str, np.ndarray] | None = None) -> MriCheck:
        limits = {**DEFAULT_LIMITS, **{k: v for k, v in meta.items() if k in DEFAULT_LIMITS}}
        fitted = {}
        arrays = arrays or {}
        if "kinds" in meta and all(name in arrays for name in ("centre", "scale", "weights", "bias")):
            fitted = {
                "kinds": tuple(meta["kinds"]),
                "centre": np.asarray(arrays["centre"], dtype=np.float64),
                "scale": np.asarray(arrays["scale"], dtype=np.float64),
                "weights": np.asarray(arrays["weights"], dtype=np.float64),
                "bias": np.asarray(arrays["bias"], dtype=np.float64),
                "min_mri_probability": float(meta["min_mri_probability"]),
                "stat_limits": tuple((name, float(lo), float(hi)) for name, (lo, hi) in meta.get("stat_limits", {}).items()),
            }
        return cls(float(limits["max_distance"]), float(limits["max_colour_saturation"]), **fitted)

    @property
    def fitted(self) -> bool:
        return self.weights is not None

    def kind_probabilities(self, vector: np.ndarray) -> np.ndarray:
        """Probability of each of `kinds` (the fitted model's softmax)."""
        return kind_probabilities(vector, self.centre, self.scale, self.weights, self.bias)

    def within_limits(self, stats: dict[str, float]) -> bool:
        """The hard limits: familiar embedding, gray, every statistic inside the MRIs' range."""
        return (
            stats["distance"] <= self.max_distance
            and stats["colour_saturation"] <= self.max_colour_saturation
            and all(lo <= stats[name] <= hi for name, lo, hi in self.stat_limits)
        )

    def verdict(self, stats: dict[str, float], vector: np.ndarray) -> CheckVerdict:
        inside = self.within_limits(stats)
        if not self.fitted:
            return CheckVerdict(1.0 if inside else 0.0, inside)
        p = self.kind_probabilities(vector)
        mri = float(p[self.kinds.index(MRI_KIND)])
        accepted = inside and mri >= self.min_mri_probability
        looks_like = None
        if not accepted:
            others = [(float(q), kind) for q, kind in zip(p, self.kinds, strict=True) if kind in KIND_DESCRIPTIONS]
            best, kind = max(others, default=(0.0, None))
            if kind is not None and best / max(1e-9, 1.0 - mri) >= MIN_KIND_PROBABILITY:
                looks_like = kind
        return CheckVerdict(mri, accepted, looks_like)


def refusal_message(looks_like: str | None) -> str:
    """Plain words for a refused picture, naming what it looks like when the check is sure."""
    if looks_like in KIND_DESCRIPTIONS:
        return f"This looks like {KIND_DESCRIPTIONS[looks_like]}, not a brain MRI"
    return "This does not look like a brain MRI"
