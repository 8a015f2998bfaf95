"""Doctor-side fixtures: a signed-in doctor with patients and reports in a real store, and the
doctor's screens hosted the way the main window hosts them."""

from __future__ import annotations

import random
import time

import pytest
from PySide6.QtWidgets import QStackedWidget

from devkit.report_factories import DAY_MS, phantom, png_bytes, report_doc
from tests.ui.conftest import PASSWORD, settle

PATIENTS = {"anna": "Anna Kowalska", "ben": "Ben Okafor"}


def store_report(services, report: dict, seed: int) -> dict:
    """Put a report document and its scan into the store, as a sync pull delivers them."""
    report["image_hash"] = services.store.blobs.put(png_bytes(phantom(384, seed=seed)))
    services.store.collection("reports").put(report["id"], report)
    return report


def doctor_main_window(qtbot, services, clinic, size=(1280, 800)):
    """The signed-in doctor's real main window at `size`, shown, with the clinic's reports loaded:
    (window, its reports screen)."""
    from desktop_app.ui.app import build_main_window

    window = build_main_window(services, services.accounts.current_user)
    qtbot.addWidget(window)
    window.resize(*size)
    window.show()
    reports = window.screens["reports"].widget
    qtbot.waitUntil(lambda: reports.model.rowCount() == len(clinic["all"]), timeout=10_000)
    return window, reports


@pytest.fixture
def clinic(services, doctor):
    """Two patients of dr.lee with five reports (three pending), the doctor signed in.

    Returns {"pending": [oldest … newest], "decided": [...], "by_patient": {...}}.
    """
    for username, name in PATIENTS.items():
        services.accounts.register(username, f"{username}@example.org", PASSWORD, "patient",
                                   full_name=name, doctor=doctor.username)
    services.accounts.login(doctor.username, PASSWORD)
    rng = random.Random(11)
    now = int(time.time() * 1000)
    plan = [("anna", "pending", 9), ("ben", "pending", 6), ("anna", "pending", 2),
            ("anna", "approved", 40), ("ben", "rejected", 30)]
    made = []
    for seed, (username, status, days_ago) in enumerate(plan):
        report = report_doc(rng, username, doctor=doctor.username, status=status,
                            timestamp=now - days_ago * DAY_MS)
        made.append(store_report(services, report, seed))
    pending = sorted((r for r in made if r["status"] == "pending"), key=lambda r: r["timestamp"])
    by_patient: dict[str, list[dict]] = {}
    for report in made:
        by_patient.setdefault(report["username"], []).append(report)
    return {"pending": pending, "decided": [r for r in made if r["status"] != "pending"],
            "by_patient": by_patient, "all": made}


@pytest.fixture
def desk(qtbot, services, clinic):
    """The doctor's screens in a stacked host (as the main window stacks them), loaded."""
    from desktop_app.ui.doctor.screens import doctor_screens

    host = QStackedWidget()
    qtbot.addWidget(host)
    entries = doctor_screens(services, host)
    for _title, _icon, widget in entries:
        host.addWidget(widget)
    host.resize(1280, 820)
    host.show()
    qtbot.waitExposed(host)
    screens = {title: widget for title, _icon, widget in entries}
    reports = screens["Reports"]
    qtbot.waitUntil(lambda: reports.model.rowCount() == len(clinic["all"]), timeout=10_000)
    yield host, screens
    settle(qtbot)
    from desktop_app.ui.workers import wait_for_writes

    wait_for_writes()
