"""The Federated learning screen against the real server: share, combine (admin), get the new version, roll back."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from desktop_app.paths import models_dir
from desktop_app.ui.federated import FederatedScreen
from tests.federated.clinic import Clinic, labelled_samples, project_server, training_scans
from tests.helpers.keyring import dict_keyring_in_use

ENROLLMENT_CODE = "screen-clinic-2026"
ADMIN = "dr_admin"

pytestmark = pytest.mark.skipif(
    not any(models_dir().glob("*.tflite")) or not labelled_samples(),
    reason="needs the shipped model and the labelled sample MRIs",
)


@pytest.fixture
def clinic(tmp_path: Path) -> Iterator[Clinic]:
    from desktop_app.ui.workers import wait_for_background

    with (
        project_server(tmp_path / "server", ENROLLMENT_CODE, (ADMIN,)) as url,
        dict_keyring_in_use() as backend,
    ):
        opened = Clinic(tmp_path / "clinic", url, backend, ADMIN, ENROLLMENT_CODE)
        try:
            opened.add_reviewed_scans(training_scans(per_sample=2, seed=3))
            yield opened
        finally:
            wait_for_background(30000)  # nothing may still be writing when the store closes
            opened.close()


def _click_and_wait(qtbot, screen: FederatedScreen, button, expected: str) -> None:
    qtbot.waitUntil(button.isEnabled, timeout=20000)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: expected in screen.message.text() and not screen.is_busy(), timeout=120000
    )


def test_an_admin_doctor_runs_a_whole_round_from_the_screen(qtbot, clinic):
    screen = FederatedScreen(clinic.app)
    qtbot.addWidget(screen)
    screen.show()
    assert not screen.aggregate_button.isHidden()
    qtbot.waitUntil(lambda: screen.dataset_total.text() not in ("", "…"), timeout=30000)
    base = clinic.federated.base_head().version
    assert screen.active_label.text().startswith(base)

    _click_and_wait(qtbot, screen, screen.train_button, "Local training finished.")
    _click_and_wait(qtbot, screen, screen.upload_button, "sent to the server")
    _click_and_wait(qtbot, screen, screen.aggregate_button, "version global-1")
    _click_and_wait(qtbot, screen, screen.pull_button, "Now using shared weights global-1")
    qtbot.waitUntil(lambda: screen.active_label.text() == "global-1", timeout=20000)
    assert screen.server_label.text() == "global-1"
    assert "round 1" in screen.server_detail.text() and "1 clinic," in screen.server_detail.text()
    assert [p.version for p in screen.chart.points()] == ["global-1"]
    assert clinic.app.engine.model_version.endswith("+global-1")

    _click_and_wait(qtbot, screen, screen.rollback_button, f"Rolled back: now using {base}.")
    assert "+" not in clinic.app.engine.model_version
    qtbot.waitUntil(lambda: screen.chart.points()[0].rolled_back, timeout=20000)
    _click_and_wait(qtbot, screen, screen.pull_button, "was rolled back")
