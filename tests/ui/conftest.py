"""Fixtures for the desktop UI tests: a real store in a temp dir, accounts, the real model, sample scans."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from desktop_app.paths import models_dir, resources_dir
from tests.sync import conftest as sync_fixtures

PASSWORD = "correct horse 1"
SCAN_SUFFIXES = (".jpg", ".jpeg", ".png", ".dcm")


@pytest.fixture
def services(tmp_path):
    from desktop_app.core.services import AppServices

    app = AppServices.open(tmp_path / "data")
    yield app
    from desktop_app.ui.workers import wait_for_background

    wait_for_background(30000)  # nothing may still be writing when the store closes
    app.close()


@pytest.fixture
def doctor(services):
    """A doctor account on this computer (signed out again)."""
    user = services.accounts.register("dr.lee", "lee@clinic.example", PASSWORD, "doctor",
                                      full_name="Mina Lee", specialty="Neuroradiology",
                                      clinic="Riverside Clinic", phone="+44 20 7946 0000")
    services.accounts.logout()
    return user


@pytest.fixture
def patient(services, doctor):
    """A signed-in patient assigned to `doctor`."""
    return services.accounts.register("anna", "anna@example.org", PASSWORD, "patient",
                                      full_name="Anna Kowalska", doctor=doctor.username)


@pytest.fixture
def make_controller(qtbot, services):
    """Builds the app controller (windowed, not full screen) and tears its window down after."""
    import shiboken6

    from desktop_app.ui.app import AppController

    made = []

    def make(*, on=None, **options):
        """`on`: other services (e.g. a device with a server) instead of the offline ones."""
        controller = AppController(on or services, full_screen=False, **options)
        controller.start()
        made.append(controller)
        return controller

    yield make
    for controller in made:
        controller.idle.detach()
        window = controller.window
        if window is not None and shiboken6.isValid(window):
            if hasattr(window, "shutdown"):
                window.shutdown()
            window.allow_close = True
            window.close()
            window.deleteLater()
    settle(qtbot)


def _model_present() -> bool:
    folder = models_dir()
    return folder.is_dir() and any(folder.glob("*.tflite"))


def sample_scans() -> list[Path]:
    folder = resources_dir() / "samples"
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*") if p.suffix.lower() in SCAN_SUFFIXES)


@pytest.fixture
def engine_ready(services):
    """The real inference engine; skips (with the reason) only when the model is not installed."""
    if not _model_present():
        pytest.skip(f"no .tflite model in {models_dir()} yet: run the training export first")
    return services.engine


@pytest.fixture
def mri_scan(engine_ready) -> Path:
    """A shipped sample brain MRI that the model accepts as an MRI."""
    for path in sample_scans():
        if engine_ready.predict_file(path).is_brain_mri:
            return path
    pytest.skip(f"no sample brain MRI in {resources_dir() / 'samples'} yet")


@pytest.fixture
def photo_file(tmp_path) -> Path:
    """A colourful everyday picture (not an MRI): a sunset-like gradient with a red disc."""
    height, width = 480, 640
    y, x = np.mgrid[0:height, 0:width]
    rgb = np.stack([
        np.clip(255 - y * 0.2, 0, 255),
        np.clip(120 + x * 0.15, 0, 255),
        np.clip(60 + y * 0.35, 0, 255),
    ], axis=-1).astype(np.uint8)
    disc = (x - 420) ** 2 + (y - 160) ** 2 < 60 ** 2
    rgb[disc] = (240, 40, 30)
    path = tmp_path / "holiday.jpg"
    buffer = io.BytesIO()
    Image.fromarray(rgb, "RGB").save(buffer, format="JPEG", quality=92)
    path.write_bytes(buffer.getvalue())
    return path


@pytest.fixture
def corrupt_file(tmp_path) -> Path:
    path = tmp_path / "scan.jpg"
    path.write_bytes(b"\xff\xd8\xff\xe0" + bytes(range(256)) * 8)  # a JPEG header, then garbage
    return path


def settle(qtbot, ms: int = 50) -> None:
    """Lets queued signals from finished background work arrive."""
    from desktop_app.ui.workers import wait_for_background

    wait_for_background(30000)
    qtbot.wait(ms)


# ----- a device connected to the project's real server on 127.0.0.1 --------------------------
# The sync suite's live-server fixtures, shared rather than copied.
project_server = sync_fixtures.project_server
project_proxy = sync_fixtures.project_proxy


@pytest.fixture
def online_device(qtbot, tmp_path, project_proxy):
    """`open_window(username)` → that user ("alice", patient of "dr_bob", or "dr_bob") signed in
    on a device that syncs with the real server through a fault proxy, the window shown with a
    running `SyncWorker`. Everything is closed after the test."""
    import shiboken6

    from desktop_app.core.services import AppServices
    from desktop_app.ui.app import build_main_window
    from desktop_app.ui.sync_worker import SyncWorker
    from desktop_app.ui.workers import wait_for_background
    from devkit.sync_scenario import PASSWORDS, register_on_server

    register_on_server(project_proxy.url, "alice", "dr_bob")
    services = AppServices.open(tmp_path / "device", server_url=project_proxy.url)
    made: dict = {}

    def open_window(username: str = "alice"):
        user = services.accounts.login(username, PASSWORDS["doctor" if username == "dr_bob" else "patient"])
        worker = SyncWorker(services.sync, interval_s=3600, chat_poll_s=3600, change_delay_ms=50)
        window = build_main_window(services, user, sync_worker=worker)
        window.show()
        made.update(window=window, worker=worker)
        worker.start()
        return window

    yield services, open_window
    window, worker = made.get("window"), made.get("worker")
    if window is not None and shiboken6.isValid(window):
        window.shutdown()
        window.close()
        window.deleteLater()
    if worker is not None:
        worker.stop()
    wait_for_background(30000)
    qtbot.wait(50)
    services.close()


@pytest.fixture
def themed(qapp):
    """The app's real look (stylesheet, Fusion): paddings and font sizes decide what fits."""
    from desktop_app.ui.theme import apply_theme

    style, sheet = qapp.style().name(), qapp.styleSheet()
    apply_theme(qapp)
    yield
    qapp.setStyleSheet(sheet)
    qapp.setStyle(style)
