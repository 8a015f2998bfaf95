"""Building blocks shared by the sync tests and benchmarks/bench_sync.py: people, devices, offline work."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

from desktop_app.core.api_client import ApiClient, RequestRejected
from desktop_app.core.sync.wire import label_key
from desktop_app.paths import models_dir, resources_dir

ENROLLMENT_CODE = "clinic-enrollment-code-7"
PASSWORDS = {"patient": "bench-password-1", "doctor": "bench-password-2"}
DATASET = Path("/work/shared/data/brain-mri/Training")


def sample_images(count: int) -> list[bytes]:
    """`count` real MRI files: the shipped samples, then (for benchmarks) the training set when present."""
    files = sorted(p for p in (resources_dir() / "samples").glob("*") if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
    if len(files) < count and DATASET.is_dir():
        files += sorted(DATASET.glob("*/*.jpg"))[: count - len(files)]
    if not files:
        raise FileNotFoundError("no sample MRI images under resources/samples")
    return [files[i % len(files)].read_bytes() for i in range(count)]


def distinct_image(base: bytes, n: int) -> bytes:
    """A real MRI re-encoded with one pixel changed: a different file (and hash) with the same picture."""
    from PIL import Image

    image = Image.open(io.BytesIO(base)).convert("L")
    image.putpixel((0, 0), n % 256)
    image.putpixel((1, 0), (n // 256) % 256)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def register_on_server(url: str, patient: str, doctor: str) -> None:
    """The clinic's accounts on the server (the doctor with the enrollment code)."""
    client = ApiClient(url)
    for username, role, extra in ((doctor, "doctor", {"enrollment_code": ENROLLMENT_CODE}),
                                  (patient, "patient", {"doctor": doctor})):
        try:
            client.register(username, f"{username}@clinic.example", PASSWORDS[role], role=role, full_name=username, **extra)
        except RequestRejected as exc:
            if exc.code != "username_taken":
                raise


def open_signed_in_device(data_dir: Path, url: str, username: str, password: str):
    """An installation of the app pointed at `url`, with `username` signed in through it."""
    from desktop_app.core.services import AppServices

    app = AppServices.open(data_dir, server_url=url)
    app.accounts.login(username, password)
    return app


def add_offline_reports(app, username: str, images: list[bytes]) -> list[dict]:
    """Scans made while offline: the real model's result for each image, saved and queued."""
    predictions: dict[bytes, object] = {}
    created = []
    for i, image in enumerate(images):
        if image not in predictions:
            predictions[image] = device_prediction(app, image, f"scan-{i}.jpg")
        created.append(app.reports.create(username, image, f"scan-{i}.jpg", predictions[image]))
    return created


def device_prediction(app, image: bytes, name: str):
    """The shipped model's result when the model is installed; else the result fields a device sends.

    Sync only carries the prediction; the values matter to these tests only as data that must
    arrive unchanged on the server and on other devices.
    """
    if (models_dir() / "model.json").exists():
        return app.engine.predict_bytes(image, name=name)
    digest = hashlib.sha256(image).digest()
    labels = ["Glioma", "Meningioma", "No Tumor", "Pituitary tumor"]
    label = labels[digest[0] % 4]
    confidence = 0.5 + digest[1] / 512
    rest = (1 - confidence) / 3
    return {"label": label, "label_key": label_key(label), "confidence": confidence,
            "probabilities": {name_: (confidence if name_ == label else rest) for name_ in labels},
            "is_brain_mri": True, "model_version": "device-test", "heatmap": None, "image": None}


def add_offline_messages(app, sender: str, receiver: str, count: int) -> list[dict]:
    return [app.chat.send(sender, receiver, f"message {i} from {sender}") for i in range(count)]


class Device:
    """One installation of the app: its own data dir, services and (memory-only) credentials."""

    def __init__(self, data_dir: Path, server_url: str):
        from desktop_app.core.services import AppServices

        self.data_dir = data_dir
        self.app = AppServices.open(data_dir, server_url=server_url)

    def sync(self):
        return self.app.sync.run_once()

    def docs(self, collection: str) -> list[dict]:
        return self.app.store.collection(collection).all()

    def close(self) -> None:
        self.app.close()
