"""What federated learning needs from the inference engine: labels, embeddings, the base head, swapping heads."""

from __future__ import annotations

from typing import Any

import numpy as np

from desktop_app.core.federated.head import HeadWeights


def label_keys(engine: Any) -> list[str]:
    return list(engine.label_keys)


def model_id(engine: Any) -> str:
    """Identifies the frozen feature extractor (embeddings from another model file are not comparable)."""
    return str(engine.model_checksum)


def embed(engine: Any, data: bytes, name: str) -> np.ndarray:
    return np.asarray(engine.embed_bytes(data, name=name), dtype=np.float32).reshape(-1)


def base_head(engine: Any) -> HeadWeights:
    """The head shipped with the model (models/head_weights.npz)."""
    W, b, version = engine.base_head()
    return HeadWeights(W=W, b=b, version=version)


def current_head(engine: Any) -> HeadWeights:
    W, b, version = engine.current_head()
    return HeadWeights(W=W, b=b, version=version)


def apply_head(engine: Any, head: HeadWeights | None) -> None:
    """Makes the engine predict with `head` (None: back to the shipped head)."""
    if head is None:
        engine.reset_head()
    else:
        engine.set_head(head.W, head.b, head.version)
