""""Is this a brain MRI at all?": a small logistic model over the embedding's distance and image statistics.

Features of one picture (`check_features`, about 0.2 ms):
- `distance`: smallest Mahalanobis distance of the pooled embedding to a class mean of the
  training MRIs (shared, shrunk covariance) — how familiar the picture is to the network;
- `colour_saturation`: MRIs are gray even when saved as colour JPEGs; photos and screens are not;
- `dark_fraction`, `bright_fraction`: the scanner's dark background (the darkest fifth of the
  picture's 1st–99th percentile range), paper-white documents (200 or brighter);
and, on the model's square input (the head crop, padded square):
- `corner_ratio`: the corners of a roughly elliptical head are dark;
- `symmetry`: axial and coronal slices are nearly left-right symmetric;
- `roughness`: neighbour differences relative to contrast (noise, text and textures are rough);
- `entropy`: MRIs use many gray levels (binary drawings and blobs use two);
- `outside_ellipse`: the share of lit pixels outside the ellipse inscribed in the square.

The check (model.json's `mri_check`, fitted by `training.mri_check_fit` from the model's own
embeddings, never by hand) standardises the features, adds the squared excess of each beyond the
MRIs' median in its unlike-an-MRI direction (`feature_terms`), and accepts when `bias + weights · terms >= min_score` and the distance and saturation are within the
hard limits `max_distance`, `max_colour_saturation` (far outside anything seen in training).
Without fitted weights (a freshly exported model) only the hard limits apply.
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
# The direction(s) in which each feature stops looking like an MRI (+1: larger, -1: smaller).
# Only excess in those directions is penalised: a scan with more background or more symmetry than
# usual is not suspicious, and the model extrapolates sensibly far from the training data.
UNLIKE = (
    ("distance", 1), ("colour_saturation", 1), ("dark_fraction", -1), ("bright_fraction", 1),
    ("corner_ratio", 1), ("symmetry", -1), ("roughness", 1), ("roughness", -1), ("entropy", -1),
    ("outside_ellipse", 1),
)
DEFAULT_LIMITS = {"max_distance": 40.0, "max_colour_saturation": 0.25}

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
    """Every feature the check uses (see the module docstring), rounded for logs and reports."""
    dark, bright = histogram_fractions(histogram)
    features = {
        "distance": distance, "colour_saturation": colour_saturation,
        "dark_fraction": dark, "bright_fraction": bright, **shape_features(model_input),
    }
    return {name: round(float(features[name]), 4) for name in FEATURES}


def feature_terms(features: np.ndarray, centre: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """(n, F) raw features -> the logistic inputs: standardised features, then the squared excess
    of each beyond the MRIs' median in its unlike-an-MRI direction(s) (see UNLIKE)."""
    x = np.array(features, dtype=np.float64, copy=True)
    for name in LOG_FEATURES:
        i = FEATURES.index(name)
        x[:, i] = np.log(np.maximum(x[:, i], 1e-3))
    z = (x - centre) / scale
    excess = [np.maximum(sign * z[:, FEATURES.index(name)], 0.0) for name, sign in UNLIKE]
    return np.concatenate([z, np.stack(excess, axis=1)], axis=1)


@dataclass(frozen=True)
class MriCheck:
    """The fitted check from model.json's `mri_check` (weights absent: hard limits only)."""

    max_distance: float
    max_colour_saturation: float
    centre: np.ndarray | None = None
    scale: np.ndarray | None = None
    weights: np.ndarray | None = None
    bias: float = 0.0
    min_score: float = 0.0

    @classmethod
    def from_meta(cls, meta: dict) -> MriCheck:
        limits = {**DEFAULT_LIMITS, **{k: v for k, v in meta.items() if k in DEFAULT_LIMITS}}
        fitted = {}
        if "weights" in meta and tuple(meta.get("features", ())) == FEATURES:
            fitted = {
                "centre": np.asarray(meta["centre"], dtype=np.float64),
                "scale": np.asarray(meta["scale"], dtype=np.float64),
                "weights": np.asarray(meta["weights"], dtype=np.float64),
                "bias": float(meta["bias"]),
                "min_score": float(meta["min_score"]),
            }
        return cls(float(limits["max_distance"]), float(limits["max_colour_saturation"]), **fitted)

    def score(self, features: dict[str, float]) -> float:
        """The logistic model's log-odds that the picture is a brain MRI (+inf when not fitted)."""
        if self.weights is None:
            return float("inf")
        terms = feature_terms(np.array([[features[name] for name in FEATURES]]), self.centre, self.scale)[0]
        return float(self.bias + terms @ self.weights)

    def verdict(self, features: dict[str, float]) -> tuple[float, bool]:
        """(log-odds score, whether the picture passes as a brain MRI)."""
        score = self.score(features)
        accepted = (
            features["distance"] <= self.max_distance
            and features["colour_saturation"] <= self.max_colour_saturation
            and score >= self.min_score
        )
        return score, accepted

    def accepts(self, features: dict[str, float]) -> bool:
        return self.verdict(features)[1]
