"""The notes draft survives a crash: typed in one process, killed with SIGKILL, back after restart."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtWidgets import QStackedWidget

from desktop_app.core.services import AppServices
from devkit.report_factories import report_doc
from tests.ui.conftest import PASSWORD, settle
from tests.ui.doctor.conftest import store_report

REPO = Path(__file__).resolve().parents[3]
NOTES = "Small enhancing focus right frontal lobe; compare with prior MRI."


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL (POSIX)")
def test_draft_survives_a_killed_app(qtbot, tmp_path):
    data_dir = tmp_path / "data"
    services = AppServices.open(data_dir)
    services.accounts.register("dr.lee", "lee@clinic.example", PASSWORD, "doctor",
                               full_name="Mina Lee")
    services.accounts.register("anna", "anna@example.org", PASSWORD, "patient",
                               full_name="Anna Kowalska", doctor="dr.lee")
    services.accounts.login("dr.lee", PASSWORD)
    report = store_report(services, report_doc(random.Random(1), "anna", doctor="dr.lee",
                                               status="pending"), seed=1)
    services.close()

    child = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("crash_while_typing.py")), str(data_dir),
         report["id"], NOTES],
        cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)}, capture_output=True, text=True,
        timeout=120,
    )
    assert child.returncode == -signal.SIGKILL, child.stderr[-2000:]
    assert "draft saved" in child.stdout

    # restart: the store opens (the dead app's lock is gone) and the review restores the draft
    reopened = AppServices.open(data_dir)
    try:
        from desktop_app.ui.doctor.screens import doctor_screens

        host = QStackedWidget()
        qtbot.addWidget(host)
        screens = {title: widget for title, _icon, widget in doctor_screens(reopened, host)}
        for widget in screens.values():
            host.addWidget(widget)
        reports = screens["Reports"]
        qtbot.waitUntil(lambda: reports.model.report(report["id"]) is not None, timeout=10_000)
        assert reports.open_report_id(report["id"])
        assert reports.review.notes.toPlainText() == NOTES
        assert reports.review.draft_label.text() == "Unsaved draft restored."
        assert reopened.store.collection("reports").get(report["id"])["status"] == "pending"
        settle(qtbot)
    finally:
        from desktop_app.ui.workers import wait_for_writes

        wait_for_writes()
        reopened.close()
