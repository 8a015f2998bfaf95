"""The classifier head that federated learning trains: softmax(embedding @ W + b), in numpy."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

WEIGHT_NAMES = ("W", "b")


@dataclass(frozen=True)
class HeadWeights:
    """Head weights: W is (embedding_dim, classes), b is (classes,), `version` names them."""

    W: np.ndarray
    b: np.ndarray
    version: str

    def __post_init__(self) -> None:
        W = np.asarray(self.W, dtype=np.float32)
        b = np.asarray(self.b, dtype=np.float32)
        if W.ndim != 2 or b.shape != (W.shape[1],):
            raise ValueError(f"head shapes do not fit: W {W.shape}, b {b.shape}")
        object.__setattr__(self, "W", W)
        object.__setattr__(self, "b", b)

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], version: str) -> HeadWeights:
        return cls(W=arrays["W"], b=arrays["b"], version=version)

    def arrays(self) -> dict[str, np.ndarray]:
        return {"W": self.W, "b": self.b}

    @property
    def embedding_dim(self) -> int:
        return int(self.W.shape[0])

    @property
    def num_classes(self) -> int:
        return int(self.W.shape[1])

    def probabilities(self, embeddings: np.ndarray, temperature: float = 1.0) -> np.ndarray:
        """softmax((embedding @ W + b) / T): T is the engine's calibration temperature."""
        return softmax((np.asarray(embeddings, dtype=np.float64) @ self.W + self.b) / temperature)

    def accuracy(self, embeddings: np.ndarray, labels: np.ndarray) -> float:
        if len(labels) == 0:
            return float("nan")
        predicted = np.argmax(self.probabilities(embeddings), axis=1)
        return float(np.mean(predicted == labels))


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=-1, keepdims=True)  # avoids overflow in exp
    exp = np.exp(shifted)
    return exp / exp.sum(axis=-1, keepdims=True)
