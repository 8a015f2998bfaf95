"""Building blocks shared by the sync tests and benchmarks/bench_sync.py: people, devices, offline work."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from desktop_app.core.api_client import ApiClient, RequestRejected
from desktop_app.paths import resources_dir

ENROLLMENT_CODE = "clinic-enrollment-code-7"
PASSWORDS = {"patient": "bench-password-1", "doctor": "bench-password-2"}
DATASET = Path("/work/shared/data/brain-mri/Training")


USE_DATASET = [False]  # benchmarks switch it on for many distinct scans; tests need only the samples


def _candidate_files() -> list[Path]:
    """Real MRI files: the shipped samples, then (benchmarks only) the training set when present."""
    files = sorted(p for p in (resources_dir() / "samples").glob("*") if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
    if USE_DATASET[0] and DATASET.is_dir():
        files += sorted(DATASET.glob("*/*.jpg"))
    if not files:
        raise FileNotFoundError("no sample MRI images under resources/samples")
    return files


_SCANS: list[tuple[bytes, object]] = []  # (image, the shipped model's prediction), accepted as brain MRIs
_NEXT_CANDIDATE = [0]


def scans(app, count: int, start: int = 0) -> list[tuple[bytes, object]]:
    """`count` real scans with the shipped model's result; the same `start` gives the same scans."""
    files = _candidate_files()
    for _ in range(100 * len(files)):  # the samples repeat when more scans are asked for than exist
        if len(_SCANS) >= start + count:
            break
        path = files[_NEXT_CANDIDATE[0] % len(files)]
        _NEXT_CANDIDATE[0] += 1
        image = path.read_bytes()
        prediction = app.engine.predict_bytes(image, name=path.name)
        if prediction.is_brain_mri:  # the model's own check: a scan it refuses makes no report
            _SCANS.append((image, prediction))
    return _SCANS[start:start + count]


def sample_images(count: int) -> list[bytes]:
    files = _candidate_files()
    return [files[i % len(files)].read_bytes() for i in range(count)]


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


def add_offline_reports(app, username: str, count: int, start: int = 0) -> list[dict]:
    """Scans made while offline: each saved with the shipped model's result and queued."""
    return [app.reports.create(username, image, f"scan-{start + i}.jpg", prediction)
            for i, (image, prediction) in enumerate(scans(app, count, start))]


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


REPO = Path(__file__).resolve().parents[1]


def headless_env(keyring_file: Path, server_url: str, tokens: dict[str, str]) -> dict[str, str]:
    """The environment for `tumorpredict` subprocesses of a test: the repo on the path and a file
    keyring holding `tokens` (user -> token for `server_url`), so a restarted app is still signed in."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHON_KEYRING_BACKEND": "devkit.file_keyring.FileKeyring",
           "TUMORPREDICT_TEST_KEYRING": str(keyring_file)}
    seed = ("from desktop_app.core.credentials import CredentialStore as C; import sys; "
            "[C().set_token(sys.argv[1], u, t) for u, t in zip(sys.argv[2::2], sys.argv[3::2], strict=True)]")
    pairs = [item for user_token in tokens.items() for item in user_token]
    subprocess.run([sys.executable, "-c", seed, server_url, *pairs], env=env, check=True, cwd=REPO)
    return env


def sync_command(data_dir: Path, server_url: str) -> list[str]:
    return [sys.executable, "-m", "desktop_app", "--data-dir", str(data_dir), "--server", server_url, "sync"]
