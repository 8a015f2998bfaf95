"""Fixtures of the core suite: a real store in tmp_path, a settable clock and a dict-backed keyring."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from desktop_app.core.credentials import CredentialStore
from desktop_app.core.services import AppServices
from tests.helpers.keyring import DictKeyring, dict_keyring_in_use

PASSWORD = "correct horse battery"


class Clock:
    """A clock the test moves by hand (sign-in backoff, ordering)."""

    def __init__(self, start: float = 1_764_355_200.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def dict_keyring() -> Iterator[DictKeyring]:
    with dict_keyring_in_use() as backend:
        yield backend


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def open_app(data_dir: Path, clock: Clock, dict_keyring: DictKeyring):
    """Opens AppServices on the test's data dir; every one opened is closed at the end."""
    opened: list[AppServices] = []

    def _open(server_url: str | None = None, **kwargs) -> AppServices:
        kwargs.setdefault("clock", clock)
        kwargs.setdefault("credentials", CredentialStore(dict_keyring))
        app = AppServices.open(data_dir, server_url=server_url, **kwargs)
        opened.append(app)
        return app

    yield _open
    for app in opened:
        app.close()


@pytest.fixture
def app(open_app) -> AppServices:
    return open_app()


def make_prediction(label: str = "Glioma", key: str = "glioma", confidence: float = 0.91, *, brain: bool = True) -> dict:
    """A prediction as the inference engine hands it over (its dict form)."""
    others = {"Glioma": 0.0, "Meningioma": 0.0, "Pituitary tumor": 0.0, "No Tumor": 0.0}
    rest = (1.0 - confidence) / 3
    probabilities = {name: (confidence if name == label else rest) for name in others}
    heat = np.zeros((32, 32), dtype=np.float32)
    heat[8:16, 10:20] = 0.9
    image = (np.arange(32 * 32, dtype=np.uint32).reshape(32, 32) % 256).astype(np.uint8)
    return {
        "label": label, "label_key": key, "confidence": confidence, "probabilities": probabilities,
        "is_brain_mri": brain, "model_version": "test-model-1", "timings_ms": {"total": 12.5},
        "heatmap": heat, "image": image,
    }


def scan_bytes(seed: int = 0) -> bytes:
    """A real PNG file (grey gradient) standing in for an uploaded scan."""
    import io

    from PIL import Image

    pixels = ((np.add.outer(np.arange(64), np.arange(64)) + seed * 7) % 256).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels, mode="L").save(buffer, format="PNG")
    return buffer.getvalue()


def setup_clinic(app: AppServices) -> None:
    """dr_bob (first doctor: administrator) and alice (his patient); alice is left signed in."""
    app.accounts.register("dr_bob", "bob@clinic.org", PASSWORD, "doctor", full_name="Bob Stone")
    app.accounts.logout()
    app.accounts.register("alice", "alice@example.org", PASSWORD, "patient", full_name="Alice Moss", doctor="dr_bob")


def sign_in(app: AppServices, username: str) -> None:
    app.accounts.logout()
    app.accounts.login(username, PASSWORD)
