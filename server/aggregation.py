"""Aggregation strategies for federated learning: small objects that turn client updates into new global weights."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

log = logging.getLogger(__name__)

Weights = dict[str, np.ndarray]


@dataclass(frozen=True)
class ClientUpdate:
    """One clinic's uploaded weights for a round, with how many local examples produced them."""

    client_id: str
    weights: Weights
    num_examples: int
    base_version: str | None = None
    meta: dict = field(default_factory=dict)


class AggregationError(ValueError):
    """The updates cannot be combined (none at all, or names/shapes that do not match)."""


class Strategy(Protocol):
    name: str

    def aggregate(self, updates: list[ClientUpdate], current: Weights | None = None) -> Weights:
        """New global weights from this round's updates (`current`: the global weights they replace)."""
        ...


def check_compatible(updates: list[ClientUpdate], current: Weights | None = None) -> list[str]:
    """The array names every update shares; raises AggregationError on a missing name or shape mismatch."""
    if not updates:
        raise AggregationError("no client updates to aggregate")
    reference = current if current is not None else updates[0].weights
    names = sorted(reference)
    for update in updates:
        if sorted(update.weights) != names:
            raise AggregationError(
                f"update from {update.client_id} has arrays {sorted(update.weights)}, expected {names}"
            )
        for name in names:
            if np.shape(update.weights[name]) != np.shape(reference[name]):
                raise AggregationError(
                    f"update from {update.client_id}: {name} has shape {np.shape(update.weights[name])}, "
                    f"expected {np.shape(reference[name])}"
                )
    return names


def _stack(updates: list[ClientUpdate], name: str) -> np.ndarray:
    # float64 so a weighted mean of float32 uploads is computed without extra rounding.
    return np.stack([np.asarray(u.weights[name], dtype=np.float64) for u in updates])


def _as_output(value: np.ndarray) -> np.ndarray:
    return value.astype(np.float32)


@dataclass
class FedAvg:
    """FedAvg: the mean of the clients' weights, each weighted by its number of local examples.

    Not robust: one client can move the result arbitrarily far by sending large values.
    """

    name: str = "fedavg"

    def aggregate(self, updates: list[ClientUpdate], current: Weights | None = None) -> Weights:
        names = check_compatible(updates, current)
        counts = np.array([max(int(u.num_examples), 0) for u in updates], dtype=np.float64)
        if counts.sum() <= 0:
            counts = np.ones_like(counts)  # nobody said how many: fall back to a plain mean
        coefficients = counts / counts.sum()
        return {
            n: _as_output(np.tensordot(coefficients, _stack(updates, n), axes=1)) for n in names
        }


@dataclass
class CoordinateMedian:
    """Coordinate-wise median of the clients' weights (example counts are ignored).

    Robust while fewer than half the clients are poisoned; with few honest clients it is noisier
    than FedAvg, and with two clients it equals their plain mean.
    """

    name: str = "median"

    def aggregate(self, updates: list[ClientUpdate], current: Weights | None = None) -> Weights:
        names = check_compatible(updates, current)
        return {n: _as_output(np.median(_stack(updates, n), axis=0)) for n in names}


@dataclass
class TrimmedMean:
    """Coordinate-wise trimmed mean: drop the k largest and k smallest values, average the rest.

    k = max(1, floor(trim_fraction * n)) when n >= 3 clients, so one poisoned client is always
    trimmed; with fewer than 3 clients nothing can be trimmed and it is the plain mean.
    """

    trim_fraction: float = 0.2
    name: str = "trimmed_mean"

    def __post_init__(self) -> None:
        if not 0.0 <= self.trim_fraction < 0.5:
            raise ValueError("trim_fraction must be in [0, 0.5)")

    def trim_count(self, n: int) -> int:
        if n < 3:
            return 0
        k = max(1, math.floor(self.trim_fraction * n))
        return min(k, (n - 1) // 2)  # always keep at least one value

    def aggregate(self, updates: list[ClientUpdate], current: Weights | None = None) -> Weights:
        names = check_compatible(updates, current)
        k = self.trim_count(len(updates))
        if k == 0:
            log.warning(
                "trimmed mean over %d client(s) cannot trim anything: plain mean", len(updates)
            )
        result = {}
        for n in names:
            ordered = np.sort(_stack(updates, n), axis=0)
            kept = ordered[k : len(updates) - k]
            result[n] = _as_output(kept.mean(axis=0))
        return result


@dataclass
class ClippedGaussian:
    """Update-norm clipping plus Gaussian noise, in the style of DP-FedAvg.

    Each client's update (its weights minus the current global weights) is scaled down so its
    L2 norm over all arrays is at most `clip_norm`; the clipped updates are averaged with equal
    weight (weighting by example counts would let one client's influence exceed the bound), and
    Gaussian noise with standard deviation `noise_multiplier * clip_norm / n_clients` is added to
    every coordinate of that average before it is applied to the current weights.

    What it guarantees: one client changes the new global weights by at most `clip_norm / n` in
    L2 norm this round, and the noise masks any single client's contribution at that scale.
    What it does not: it is not by itself a formal (epsilon, delta) differential-privacy
    guarantee — that needs an accountant over all rounds, client sampling and a fixed client
    count; the server still sees every individual update (no secure aggregation); and a large
    noise multiplier with few clients costs accuracy.
    """

    clip_norm: float = 1.0
    noise_multiplier: float = 0.0
    seed: int | None = None
    name: str = "clipped_gaussian"
    _rng: np.random.Generator = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.clip_norm <= 0:
            raise ValueError("clip_norm must be positive")
        if self.noise_multiplier < 0:
            raise ValueError("noise_multiplier must not be negative")
        self._rng = np.random.default_rng(self.seed)

    def aggregate(self, updates: list[ClientUpdate], current: Weights | None = None) -> Weights:
        if current is None:
            raise AggregationError(
                "clipping needs the current global weights to measure each update against"
            )
        names = check_compatible(updates, current)
        base = {n: np.asarray(current[n], dtype=np.float64) for n in names}
        total = {n: np.zeros_like(base[n]) for n in names}
        for update in updates:
            delta = {n: np.asarray(update.weights[n], dtype=np.float64) - base[n] for n in names}
            norm = math.sqrt(sum(float(np.sum(d * d)) for d in delta.values()))
            scale = min(1.0, self.clip_norm / norm) if norm > 0 else 1.0
            if scale < 1.0:
                log.info(
                    "clipped update from %s: norm %.4g -> %.4g",
                    update.client_id,
                    norm,
                    self.clip_norm,
                )
            for n in names:
                total[n] += delta[n] * scale
        count = len(updates)
        sigma = self.noise_multiplier * self.clip_norm / count
        result = {}
        for n in names:
            mean_delta = total[n] / count
            if sigma > 0:
                mean_delta = mean_delta + self._rng.normal(0.0, sigma, size=mean_delta.shape)
            result[n] = _as_output(base[n] + mean_delta)
        return result


def update_norm_bound(current: Weights, ratio: float) -> float:
    """Largest L2 distance one update may move the head: `ratio` times the head's own size.

    Never below an RMS step of 1 per weight, so a head that starts at zero can still learn.
    """
    size = math.sqrt(sum(float(np.sum(np.asarray(a, dtype=np.float64) ** 2)) for a in current.values()))
    count = sum(int(np.size(a)) for a in current.values())
    return max(ratio * size, math.sqrt(count))


def bound_update_norms(updates: list[ClientUpdate], current: Weights, bound: float) -> list[ClientUpdate]:
    """Each update scaled toward `current` until it moves the head by at most `bound` (L2 over all arrays)."""
    names = check_compatible(updates, current)
    base = {n: np.asarray(current[n], dtype=np.float64) for n in names}
    bounded = []
    for update in updates:
        delta = {n: np.asarray(update.weights[n], dtype=np.float64) - base[n] for n in names}
        with np.errstate(over="ignore"):
            norm = math.sqrt(sum(float(np.sum(d * d)) for d in delta.values()))
        if norm <= bound:
            bounded.append(update)
            continue
        scale = bound / norm if math.isfinite(norm) else 0.0
        log.warning("update from %s moves the head by %.4g, over the bound %.4g: scaled down",
                    update.client_id, norm, bound)
        weights = {n: base[n] + delta[n] * scale for n in names}
        bounded.append(ClientUpdate(update.client_id, weights, update.num_examples, update.base_version,
                                    update.meta))
    return bounded


def is_publishable(weights: Weights, max_abs: float) -> bool:
    """True when every value is finite and within ±max_abs (what clients will load)."""
    return all(
        np.all(np.isfinite(a)) and (np.size(a) == 0 or float(np.max(np.abs(a))) <= max_abs)
        for a in weights.values()
    )


ROBUST_MIN_CLIENTS = 3  # from this many contributors on, "auto" trims instead of averaging


def auto_strategy_name(contributors: int) -> str:
    """"auto": the trimmed mean once one poisoned clinic can be outvoted, FedAvg before."""
    return "trimmed_mean" if contributors >= ROBUST_MIN_CLIENTS else "fedavg"


STRATEGIES: dict[str, type] = {
    "fedavg": FedAvg,
    "median": CoordinateMedian,
    "trimmed_mean": TrimmedMean,
    "clipped_gaussian": ClippedGaussian,
}


def make_strategy(name: str = "fedavg", **params) -> Strategy:
    """A strategy by its configured name ("fedavg", "median", "trimmed_mean", "clipped_gaussian")."""
    try:
        cls = STRATEGIES[name]
    except KeyError:
        raise ValueError(
            f"unknown aggregation strategy {name!r}; choose one of {sorted(STRATEGIES)}"
        ) from None
    return cls(**params)
