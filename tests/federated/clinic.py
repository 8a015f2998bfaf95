"""A clinic for federated end-to-end tests: the real app services, a doctor, a patient and reviewed scans."""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from PIL import Image, ImageEnhance, ImageFilter, ImageOps

from desktop_app.core.credentials import CredentialStore
from desktop_app.core.services import AppServices
from desktop_app.paths import resources_dir
from devkit.loopback import serve_wsgi

PASSWORD = "correct horse battery"
SAMPLE_SUFFIXES = {".png", ".jpg", ".jpeg"}


LABEL_KEYS = ("glioma", "meningioma", "notumor", "pituitary")
_ALIASES = {"no_tumor": "notumor", "no-tumor": "notumor", "notumour": "notumor"}


def finding_of(path: Path) -> str | None:
    """The class a sample file is named after (in its file or folder name), or None."""
    text = str(path.relative_to(resources_dir())).lower()
    for alias, key in _ALIASES.items():
        text = text.replace(alias, key)
    return next((key for key in LABEL_KEYS if key in text), None)


def labelled_samples() -> list[tuple[str, bytes, str]]:
    """The shipped sample MRIs with their class: (file name, bytes, label key)."""
    folder = resources_dir() / "samples"
    found = []
    for path in sorted(folder.rglob("*")):
        key = finding_of(path) if path.suffix.lower() in SAMPLE_SUFFIXES else None
        if key:
            found.append((path.name, path.read_bytes(), key))
    return found


def training_scans(per_sample: int, seed: int) -> list[tuple[str, bytes, str]]:
    """Synthetic augmentations of every labelled sample, as (name, PNG bytes, label key)."""
    scans = []
    for index, (name, data, key) in enumerate(labelled_samples()):
        for variant, png in enumerate(augmented(data, per_sample, seed * 1000 + index)):
            scans.append((f"{Path(name).stem}-aug{variant}.png", png, key))
    return scans


def augmented(data: bytes, count: int, seed: int) -> Iterator[bytes]:
    """Synthetic variants of one scan: mirror, small rotation, gamma, contrast, blur, crop and noise."""
    rng = np.random.default_rng(seed)
    with Image.open(io.BytesIO(data)) as opened:
        base = ImageOps.grayscale(opened)
    for _ in range(count):
        image = ImageOps.mirror(base) if rng.random() < 0.5 else base.copy()
        image = image.rotate(float(rng.uniform(-12, 12)), resample=Image.Resampling.BILINEAR)
        image = ImageEnhance.Contrast(image).enhance(float(rng.uniform(0.8, 1.25)))
        gamma = float(rng.uniform(0.85, 1.2))
        image = image.point(lambda v, g=gamma: int(255 * (v / 255) ** g))
        if rng.random() < 0.5:
            image = image.filter(ImageFilter.GaussianBlur(float(rng.uniform(0.3, 1.0))))
        w, h = image.size
        margin = int(min(w, h) * rng.uniform(0.0, 0.06))
        image = image.crop((margin, margin, w - margin, h - margin))
        pixels = np.asarray(image, dtype=np.float32)
        # Scanner noise on the head only: the black background stays black, as on a real slice.
        pixels = np.where(pixels > 12, pixels + rng.normal(0, 3, pixels.shape), pixels)
        buffer = io.BytesIO()
        Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).save(buffer, format="PNG")
        yield buffer.getvalue()


class Clinic:
    """One clinic's installation: its own data dir, a doctor account on the server, a patient."""

    def __init__(
        self, data_dir: Path, server_url: str, keyring_backend, doctor: str, enrollment_code: str
    ):
        self.app = AppServices.open(
            data_dir, server_url=server_url, credentials=CredentialStore(keyring_backend)
        )
        self.doctor = doctor
        self.patient = f"patient_of_{doctor}"
        self.app.accounts.register(
            self.doctor,
            f"{doctor}@clinic.example",
            PASSWORD,
            "doctor",
            enrollment_code=enrollment_code,
        )
        self.app.accounts.logout()
        self.app.accounts.register(
            self.patient, f"{self.patient}@clinic.example", PASSWORD, "patient", doctor=self.doctor
        )
        self.app.accounts.logout()
        self.app.accounts.login(self.doctor, PASSWORD)
        self.federated = self.app.federated_client()

    def add_reviewed_scans(self, scans: list[tuple[str, bytes, str]]) -> None:
        """The patient saves each (name, bytes, true finding) scan; the doctor then reviews each one."""
        engine = self.app.engine
        self.app.accounts.logout()
        self.app.accounts.login(self.patient, PASSWORD)
        saved = []
        for name, data, truth in scans:
            prediction = engine.predict_bytes(data, name=name)
            if prediction.is_brain_mri:  # the app saves no report for a scan it does not accept
                saved.append((self.app.reports.create(self.patient, data, name, prediction), truth))
        self.app.sync.run_once()  # the scans reach the server while the patient is signed in
        self.app.accounts.logout()
        self.app.accounts.login(self.doctor, PASSWORD)
        for report, truth in saved:
            if report["label_key"] == truth:
                self.app.reports.review(report["id"], self.doctor, "approve", notes="agree")
            else:
                self.app.reports.review(
                    report["id"],
                    self.doctor,
                    "reject",
                    notes="corrected",
                    label=truth,
                    reason="different finding",
                )

    def close(self) -> None:
        self.app.close()


@contextmanager
def project_server(root: Path, enrollment_code: str, admins: tuple[str, ...]) -> Iterator[str]:
    """The project's server on a free loopback port; yields its URL."""
    from flask import request

    from server.app import create_app, state_of
    from server.config import ServerConfig

    config = ServerConfig(data_dir=root, enrollment_code=enrollment_code)
    app = create_app(config)

    @app.after_request
    def _promote(response):
        # What the operator does once the administrator's account exists: `tumorpredict serve promote`.
        if request.path == "/register" and response.status_code == 200 and request.json["username"] in admins:
            state_of(app).storage.update_user(request.json["username"], is_admin=True)
        return response

    with serve_wsgi(app) as url:
        yield url
