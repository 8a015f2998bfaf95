"""Report documents and scan images for the doctor-side tests and the review-table benchmark.

Documents follow the store's `reports/<id>` schema (docs/architecture.md) exactly as sync or
`reports.create` writes them; scans are head-like phantoms drawn with numpy.
"""

from __future__ import annotations

import io
import random
import time
import uuid

import numpy as np
from PIL import Image

FINDINGS = {"glioma": "Glioma", "meningioma": "Meningioma", "pituitary": "Pituitary tumor",
            "notumor": "No Tumor"}
FIRST = ["Jonas", "Priya", "Tom", "Sofia", "Lena", "Omar", "Mia", "Ravi", "Anna", "Kofi",
         "Elif", "Noah", "Yuki", "Ines", "Liam", "Zara"]
LAST = ["Meyer", "Nair", "Becker", "Rossi", "Vogel", "Haddad", "Novak", "Silva", "Okafor",
        "Larsen", "Kaya", "Dubois", "Tanaka", "Moreau", "Walsh", "Iqbal"]
DAY_MS = 86_400_000


def phantom(size: int = 512, seed: int = 0) -> np.ndarray:
    """An axial-slice-like phantom: dark background, bright skull ring, grey matter, a lesion."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / size - 0.5
    radius = np.sqrt(xx**2 + (yy * 0.82) ** 2)
    image = np.zeros((size, size), np.float32)
    image[radius < 0.40] = 210
    brain = radius < 0.36
    image[brain] = (95 + 25 * np.cos(xx * 40) * np.sin(yy * 30))[brain]
    cx, cy = rng.uniform(-0.15, 0.15, size=2)
    image[(xx - cx) ** 2 + (yy - cy) ** 2 < rng.uniform(0.002, 0.008)] = 185
    image += rng.normal(0, 4, image.shape)
    return np.clip(image, 0, 255).astype(np.uint8)


def png_bytes(pixels: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


def patient_names(count: int) -> dict[str, str]:
    """username → full name, e.g. {'p0007': 'Lena Okafor'}."""
    return {f"p{i:04d}": f"{FIRST[i % len(FIRST)]} {LAST[(i // len(FIRST)) % len(LAST)]}"
            for i in range(count)}


def report_doc(rng: random.Random, username: str, *, doctor: str = "dreed",
               now_ms: int | None = None, status: str | None = None,
               image_hash: str = "", timestamp: int | None = None) -> dict:
    """One report document as the store keeps it."""
    now_ms = now_ms or int(time.time() * 1000)
    key = rng.choice(list(FINDINGS))
    raw = [rng.random() for _ in FINDINGS]
    raw[list(FINDINGS).index(key)] += 2.0
    total = sum(raw)
    probabilities = {FINDINGS[k]: value / total for k, value in zip(FINDINGS, raw, strict=True)}
    timestamp = timestamp if timestamp is not None else now_ms - rng.randrange(0, 365 * DAY_MS)
    status = status or rng.choice(("pending", "approved", "rejected"))
    decided = status != "pending"
    report_id = uuid.UUID(int=rng.getrandbits(128)).hex
    audit = [{"at": timestamp, "by": username, "action": "created", "status": "pending",
              "notes": "", "label": key}]
    if decided:
        audit.append({"at": timestamp + 3_600_000, "by": doctor,
                      "action": "approve" if status == "approved" else "reject",
                      "status": status, "notes": "Reviewed.", "label": key})
    return {
        "id": report_id, "server_id": None, "username": username, "doctor": doctor,
        "timestamp": timestamp, "status": status, "doctor_notes": "Reviewed." if decided else "",
        "label": FINDINGS[key], "label_key": key, "confidence": probabilities[FINDINGS[key]],
        "probabilities": probabilities, "is_brain_mri": True, "model_version": "1.0.0",
        "image_hash": image_hash, "image_name": "scan.png",
        "reviewed_by": doctor if decided else None,
        "reviewed_at": timestamp + 3_600_000 if decided else None,
        "confirmed_label": key if status == "approved" else ("notumor" if decided else None),
        "reject_reason": "Lesion not confirmed." if status == "rejected" else "",
        "audit": audit, "conflict": None, "updated_at": timestamp,
    }


def make_reports(count: int, *, patients: int = 800, seed: int = 7) -> tuple[list[dict], dict[str, str]]:
    """`count` report documents over `patients` patients, and the patients' names."""
    rng = random.Random(seed)
    names = patient_names(patients)
    usernames = list(names)
    now_ms = int(time.time() * 1000)
    return [report_doc(rng, rng.choice(usernames), now_ms=now_ms) for _ in range(count)], names

