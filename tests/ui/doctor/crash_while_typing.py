"""Child process for the crash test: a doctor types notes, the draft is saved, then power is cut.

Usage: python crash_while_typing.py DATA_DIR REPORT_ID TEXT
Opens the app's services on DATA_DIR (the doctor's session is remembered), opens the report in
the review screen, types TEXT into the notes as a doctor would, waits until the draft is in the
store and then kills itself with SIGKILL: no close, no flush, no clean-up.
"""

from __future__ import annotations

import os
import signal
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication, QStackedWidget  # noqa: E402

from desktop_app.core.services import AppServices  # noqa: E402
from desktop_app.ui.doctor.screens import doctor_screens  # noqa: E402


def main(data_dir: str, report_id: str, text: str) -> None:
    app = QApplication(sys.argv)
    services = AppServices.open(data_dir)
    host = QStackedWidget()
    screens = {title: widget for title, _icon, widget in doctor_screens(services, host)}
    for widget in screens.values():
        host.addWidget(widget)
    reports = screens["Reports"]
    host.setCurrentWidget(reports)
    host.resize(1200, 800)
    host.show()
    deadline = time.time() + 20
    while reports.model.report(report_id) is None and time.time() < deadline:
        app.processEvents()
        time.sleep(0.01)
    assert reports.open_report_id(report_id), "report not loaded"
    QTest.keyClicks(reports.review.notes, text)
    while services.reports.load_draft(report_id) != text and time.time() < deadline:
        app.processEvents()
        time.sleep(0.01)
    print("draft saved" if services.reports.load_draft(report_id) == text else "draft missing",
          flush=True)
    os.kill(os.getpid(), signal.SIGKILL)


if __name__ == "__main__":
    main(*sys.argv[1:4])
