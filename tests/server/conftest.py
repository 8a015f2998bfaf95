"""Fixtures of the server suite: the real app on SQLite (and PostgreSQL when configured), users, scans."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image, ImageDraw

from desktop_app.core.federated.npz_format import dump_npz
from server.app import create_app, state_of

ENROLLMENT_CODE = "CLINIC-ENROL-7731"
PASSWORD = "correct horse battery"
PG_ENV = "TUMORPREDICT_TEST_PG_URL"
HEAD_SHAPES = {"W": (8, 4), "b": (4,)}

_DB_PARAMS = [pytest.param("sqlite", id="sqlite")]
if os.environ.get(PG_ENV):
    _DB_PARAMS.append(pytest.param(os.environ[PG_ENV], id="postgres", marks=pytest.mark.postgres))


@pytest.fixture(params=_DB_PARAMS)
def database_url(request, tmp_path: Path) -> Iterator[str]:
    """SQLite in the test's folder always; the PostgreSQL of TUMORPREDICT_TEST_PG_URL when set."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'server.sqlite3'}"
        return
    url = request.param
    _drop_all(url)
    yield url
    _drop_all(url)


def _drop_all(url: str) -> None:
    from sqlalchemy import create_engine

    from server.storage.schema import metadata
    from server.storage.sql import normalize_url

    engine = create_engine(normalize_url(url))
    metadata.drop_all(engine)
    engine.dispose()


def scan_png(seed: int = 0, size: int = 160) -> bytes:
    """A real PNG with structure the image checks accept (not blank, ordinary size)."""
    rng = np.random.default_rng(seed)
    pixels = (rng.random((size, size)) * 40).astype(np.uint8)
    image = Image.fromarray(pixels, mode="L")
    draw = ImageDraw.Draw(image)
    draw.ellipse((20, 25, size - 20, size - 15), fill=120 + seed % 50)
    draw.ellipse((60, 60, 90, 95), fill=220)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def device_prediction(label: str = "Glioma", confidence: float = 0.91) -> dict[str, Any]:
    return {"label": label, "label_key": label.lower().replace(" ", "_"), "confidence": confidence,
            "probabilities": {label: confidence, "No Tumor": round(1 - confidence, 6)},
            "is_brain_mri": True, "model_version": "device-test-1"}


def head_npz(fill: float = 0.0, meta: dict | None = None) -> bytes:
    arrays = {name: np.full(shape, fill, dtype=np.float32) for name, shape in HEAD_SHAPES.items()}
    return dump_npz(arrays, meta or {})


def server_config(tmp_path: Path, database_url: str, **overrides: Any) -> dict[str, Any]:
    tmp_path.mkdir(parents=True, exist_ok=True)
    initial = tmp_path / "initial_head.npz"
    initial.write_bytes(head_npz(0.0, {"version": "base-test"}))
    config = {
        "data_dir": tmp_path / "server-data", "database_url": database_url,
        "enrollment_code": ENROLLMENT_CODE, "scrypt_n": 2**12, "fl_initial_weights": str(initial),
        "model_dir": os.environ.get("TUMORPREDICT_TEST_MODEL_DIR", ""),
        "development": True,  # reset codes in the log, where the tests read them
    }
    config.update(overrides)
    return config


@dataclass
class Api:
    """The Flask test client plus the tokens of the signed-in test users."""

    client: Any
    tokens: dict[str, str] = field(default_factory=dict)

    def headers(self, as_: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[as_]}"} if as_ else {}

    def post(self, path: str, body: Any = None, as_: str | None = None, **kwargs):
        return self.client.post(path, json=body, headers=self.headers(as_), **kwargs)

    def get(self, path: str, as_: str | None = None, **kwargs):
        return self.client.get(path, headers=self.headers(as_), **kwargs)

    def register(self, username: str, role: str = "patient", **extra: Any):
        body = {"username": username, "email": f"{username}@clinic.test", "password": PASSWORD, **extra}
        if role == "doctor":
            body.update(role="doctor", enrollment_code=ENROLLMENT_CODE)
        return self.post("/register", body)

    def login(self, username: str, password: str = PASSWORD) -> str:
        answer = self.post("/login", {"username": username, "password": password})
        assert answer.status_code == 200, answer.json
        self.tokens[username] = answer.json["token"]
        return answer.json["token"]

    def predict(self, as_: str, username: str | None = None, **extra: Any):
        import base64

        body = {"username": username or as_, "image_b64": base64.b64encode(scan_png()).decode(),
                "prediction": device_prediction(), **extra}
        return self.post("/predict", body, as_=as_)


@pytest.fixture
def app(tmp_path: Path, database_url: str):
    app = create_app(server_config(tmp_path, database_url))
    yield app
    state_of(app).storage.close()


@pytest.fixture
def api(app) -> Api:
    """Four signed-in users: patients alice (of dr_bob) and bert, doctor dr_bob, admin doctor dr_admin."""
    api = Api(app.test_client())
    for name in ("dr_bob", "dr_admin"):
        assert api.register(name, role="doctor").status_code == 200
    assert api.register("alice", doctor="dr_bob").status_code == 200
    assert api.register("bert", doctor="dr_bob").status_code == 200
    state_of(app).storage.update_user("dr_admin", is_admin=True)
    for name in ("alice", "bert", "dr_bob", "dr_admin"):
        api.login(name)
    return api
