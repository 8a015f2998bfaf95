"""Fixtures of the federated suite: the project's real server on 127.0.0.1 with clinic doctor accounts."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from desktop_app.core.federated.head import HeadWeights
from training.fl_loopback import LoopbackFederation

DIM, CLASSES = 8, 4


@pytest.fixture
def initial_head() -> HeadWeights:
    rng = np.random.default_rng(0)
    return HeadWeights(W=rng.normal(0, 0.1, (DIM, CLASSES)), b=np.zeros(CLASSES), version="base-1")


@pytest.fixture
def federation(initial_head: HeadWeights) -> Iterator[LoopbackFederation]:
    with LoopbackFederation(
        initial_head, model_id="model-a", clinics=2, fl_max_staleness=0
    ) as running:
        yield running
