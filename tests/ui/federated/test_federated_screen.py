"""The doctor's Federated learning screen driven as a doctor would: cases by class, train with progress, cancel, share."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from desktop_app.ui.federated import FederatedScreen
from tests.federated.clinic import labelled_samples, training_scans
from tests.ui.conftest import PASSWORD


@pytest.fixture
def reviewed(services, doctor, engine_ready):
    """A signed-in doctor whose patient's scans are all reviewed (approved or corrected)."""
    if not labelled_samples():
        pytest.skip("no labelled sample MRIs shipped yet")
    services.accounts.register(
        "anna", "anna@example.org", PASSWORD, "patient", doctor=doctor.username
    )
    services.accounts.logout()
    services.accounts.login(doctor.username, PASSWORD)
    scans = training_scans(per_sample=2, seed=7)
    saved = []
    for name, data, truth in scans:
        prediction = engine_ready.predict_bytes(data, name=name)
        if not prediction.is_brain_mri:
            continue  # the app saves no report for a scan it does not accept
        saved.append(name)
        report = services.reports.create("anna", data, name, prediction)
        if prediction.label_key == truth:
            services.reports.review(report["id"], doctor.username, "approve")
        else:
            services.reports.review(
                report["id"], doctor.username, "reject", label=truth, reason="other finding"
            )
    return saved


def _screen(qtbot, services) -> FederatedScreen:
    screen = FederatedScreen(services)
    qtbot.addWidget(screen)
    screen.show()
    qtbot.waitUntil(lambda: screen.dataset_total.text() not in ("", "…"), timeout=30000)
    return screen


def test_training_shows_progress_and_the_result_then_the_update_waits_in_the_outbox(
    qtbot, services, reviewed
):
    screen = _screen(qtbot, services)
    assert screen.dataset_total.text() == str(len(reviewed))
    assert screen.aggregate_button.isHidden() is False  # the first doctor here administers it
    assert not screen.rollback_button.isEnabled()
    seen = []
    screen.progress_bar.valueChanged.connect(seen.append)

    qtbot.mouseClick(screen.train_button, Qt.MouseButton.LeftButton)
    assert screen.is_busy() and screen.cancel_button.isEnabled()
    qtbot.waitUntil(lambda: not screen.is_busy(), timeout=120000)

    assert "Trained on" in screen.train_result.text(), screen.message.text()
    assert screen.progress_bar.value() == 100 and len(seen) > 3
    qtbot.waitUntil(screen.upload_button.isEnabled, timeout=10000)
    qtbot.mouseClick(screen.upload_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "waiting to be sent" in screen.message.text(), timeout=10000)
    assert [e.kind for e in services.store.outbox.pending()].count("fl_upload") == 1


def test_cancel_stops_training_and_changes_nothing(qtbot, services, reviewed):
    screen = _screen(qtbot, services)
    screen._progress.changed.connect(lambda *_: screen.cancel_button.click())
    qtbot.mouseClick(screen.train_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not screen.is_busy(), timeout=60000)
    assert screen.message.text() == "Training cancelled; nothing was changed."
    assert screen.client.updates() == []


def test_pull_without_a_server_says_what_to_do(qtbot, services, reviewed):
    screen = _screen(qtbot, services)
    qtbot.mouseClick(screen.pull_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "not connected to a clinic server" in screen.message.text(), timeout=10000)
    assert "Settings" not in screen.message.text()  # no such screen: IT connects the server
    assert "config set server-url" in screen.message.text()


def test_too_few_cases_leaves_no_half_full_bar_and_counts_in_words(qtbot, services, doctor, engine_ready):
    from desktop_app.paths import resources_dir
    from desktop_app.ui.widgets.common import Screen

    services.accounts.register("anna", "anna@example.org", PASSWORD, "patient", doctor=doctor.username)
    services.accounts.logout()
    services.accounts.login(doctor.username, PASSWORD)
    for name in ("glioma_1.jpg", "meningioma_1.jpg"):
        data = (resources_dir() / "samples" / name).read_bytes()
        report = services.reports.create("anna", data, name, engine_ready.predict_bytes(data, name=name))
        services.reports.review(report["id"], doctor.username, "approve")
    screen = _screen(qtbot, services)
    assert isinstance(screen, Screen)  # the same page frame, cards and buttons as the other screens
    qtbot.mouseClick(screen.train_button, Qt.MouseButton.LeftButton)
    assert screen.progress_bar.isVisible()
    qtbot.waitUntil(lambda: not screen.is_busy(), timeout=60000)
    assert "Only 2 confirmed cases are available" in screen.message.text()
    assert "(s)" not in screen.message.text()
    assert not screen.progress_bar.isVisible() and screen.progress_bar.value() == 0
