"""Drives the app offscreen on demo data and saves a PNG of every screen to docs/screenshots/.

    PYTHONPATH=. .venv/bin/python scripts/screenshots.py [--only NAME ...] [--scale 1.5]

Each screen is one function registered with `@capture("file_name")`: it receives the `Studio`
(demo services, accounts and helpers) and returns the widget to photograph. Add a screen by
adding a function; the name becomes `docs/screenshots/<name>.png`.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SIZE = [1280, 800]  # window size of every capture; --size changes it
PASSWORD = "demo password 1"
CAPTURES: dict[str, Callable[[Studio], object]] = {}


def capture(name: str):
    """Registers a screen-capture function under the PNG's file name."""

    def register(fn):
        CAPTURES[name] = fn
        return fn

    return register


class Studio:
    """Demo clinic in a temporary data dir: one doctor, one patient, real scans and messages."""

    def __init__(self, data_dir: Path) -> None:
        from desktop_app.core.services import AppServices
        from desktop_app.ui.app import ensure_application

        self.app = ensure_application()
        self.services = AppServices.open(data_dir)
        self.windows: list = []
        self.notes: list[str] = []
        self._seed()

    # ----- demo data -------------------------------------------------------------------
    def _seed(self) -> None:
        accounts = self.services.accounts
        self.doctor = accounts.register("dr.lee", "mina.lee@riverside.example", PASSWORD, "doctor",
                                        full_name="Mina Lee", specialty="Neuroradiology",
                                        clinic="Riverside Clinic", phone="+44 20 7946 0321")
        accounts.logout()
        self.patient = accounts.register("anna", "anna.k@example.org", PASSWORD, "patient",
                                         full_name="Anna Kowalska", doctor="dr.lee")
        self.scans = self._sample_scans() if self._model_present() else []
        self.reports = []
        for path in self.scans[:3]:
            prediction = self.engine.predict_file(path)
            if prediction.is_brain_mri:
                self.reports.append(self.services.reports.create(
                    "anna", path.read_bytes(), path.name, prediction))
        chat = self.services.chat
        chat.send("anna", "dr.lee", "Hello Dr. Lee, I uploaded my scan from Monday. "
                  "Is there anything I should do before my appointment?")
        self.sign_in("dr.lee")
        if self.reports:
            self.services.reports.review(
                self.reports[0]["id"], "dr.lee", "approve",
                notes="I agree with the finding. Please book a follow-up visit next week; "
                      "bring your earlier scans.")
        chat.send("dr.lee", "anna", "Hello Anna, thank you. I have reviewed your first scan; "
                  "please see my notes and book a follow-up.")
        self.sign_in("anna")

    def _model_present(self) -> bool:
        if any((ROOT / "models").glob("*.tflite")):
            return True
        self.notes.append("no model in models/: result screens skipped")
        return False

    def _sample_scans(self) -> list[Path]:
        folder = ROOT / "resources" / "samples"
        found = sorted(p for p in folder.rglob("*")
                       if p.suffix.lower() in (".jpg", ".jpeg", ".png", ".dcm"))
        if not found:
            self.notes.append("no sample scans in resources/samples: result screens skipped")
        return found

    @property
    def engine(self):
        return self.services.engine

    def sign_in(self, username: str) -> None:
        self.services.accounts.logout()
        self.services.accounts.login(username, PASSWORD)

    # ----- helpers for capture functions ------------------------------------------------
    def settle(self, rounds: int = 6) -> None:
        """Lets background work finish and its results reach the widgets."""
        from desktop_app.ui.workers import wait_for_background

        for _ in range(rounds):
            wait_for_background(60000)
            self.app.processEvents()
            time.sleep(0.02)

    def show(self, window, size: tuple[int, int] | None = None):
        window.resize(*(size or SIZE))
        window.show()
        self.windows.append(window)
        self.settle()
        return window

    def patient_window(self, **options):
        from desktop_app.ui.app import build_main_window

        self.sign_in("anna")
        return self.show(build_main_window(self.services, self.patient, **options))

    def patient_screen(self, key: str):
        window = self.patient_window()
        window.navigate(key)
        self.settle()
        return window

    def auth_window(self, **options):
        from desktop_app.ui.login import AuthWindow

        return self.show(AuthWindow(self.services, **options))

    def photo(self) -> Path:
        """An everyday photo (not an MRI) for the friendly-refusal screen."""
        import numpy as np
        from PIL import Image

        y, x = np.mgrid[0:480, 0:640]
        rgb = np.stack([255 - y * 0.2, 120 + x * 0.15, 60 + y * 0.35], -1).clip(0, 255)
        path = Path(tempfile.mkdtemp()) / "holiday.jpg"
        buffer = io.BytesIO()
        Image.fromarray(rgb.astype("uint8"), "RGB").save(buffer, format="JPEG")
        path.write_bytes(buffer.getvalue())
        return path

    def close_windows(self) -> None:
        """Throws away every window of the last capture, as signing out does."""
        for window in self.windows:
            if hasattr(window, "shutdown"):
                window.shutdown()
            window.allow_close = True
            window.close()
            window.deleteLater()
        self.windows.clear()
        self.settle()

    def close(self) -> None:
        self.close_windows()
        self.services.close()


# ----- sign-in ---------------------------------------------------------------------------
@capture("login_role")
def login_role(studio: Studio):
    return studio.auth_window()


@capture("login_signin")
def login_signin(studio: Studio):
    window = studio.auth_window()
    window.choose_role("patient")
    window.login_page.username.setText("anna")
    return window


@capture("login_register")
def login_register(studio: Studio):
    window = studio.auth_window()
    window.choose_role("patient")
    window._open_register()
    studio.settle()
    page = window.register_page
    page.full_name.setText("Anna Kowalska")
    page.username.setText("anna")
    page.email.setText("anna.k@example.org")
    return window


@capture("login_kiosk")
def login_kiosk(studio: Studio):
    from desktop_app.ui.kiosk import KioskBar

    window = studio.auth_window(kiosk=True)
    window.top_bar_host.insertWidget(0, KioskBar("Riverside Clinic", window))
    return window


@capture("login_forgot_password")
def login_forgot_password(studio: Studio):
    window = studio.auth_window()
    window.choose_role("patient")
    window.login_page.username.setText("anna")
    window.open_password_reset()
    window.reset_page._code_sent("anna")  # as after "Send code": the email is on its way
    window.reset_page.code.setText("482 913")
    return window


# ----- sync ------------------------------------------------------------------------------
def sync_states(now_ms: int) -> list[tuple[str, object, int]]:
    """(caption, SyncStatus or None, changes waiting) for each thing the status bar can say."""
    from desktop_app.core.sync import SyncStatus

    server = "https://server.riverside-clinic.example"
    return [
        ("Synced", SyncStatus(server_url=server, online=True, last_sync_at=now_ms - 2 * 60_000), 0),
        ("Server unreachable", SyncStatus(
            server_url=server, last_sync_at=now_ms - 47 * 60_000,
            last_error=f"The server at {server} could not be reached. Your changes are kept "
                       "and will be sent later."), 3),
        ("Sign-in expired", SyncStatus(server_url=server, online=True, last_sync_at=now_ms - 6 * 60_000,
                                       needs_login=frozenset({"anna"})), 2),
        ("No server", None, 1),
    ]


@capture("status_bar_states")
def status_bar_states(studio: Studio):
    """The status bar of one window in each sync state, stacked with a caption each."""
    from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

    window = studio.patient_window()
    window.sync_status.stop()  # the states below are shown on demand, not read from the store
    sheet = QWidget()
    sheet.setObjectName("appRoot")
    column = QVBoxLayout(sheet)
    column.setContentsMargins(16, 12, 16, 16)
    for caption, status, pending in sync_states(int(time.time() * 1000)):
        window._show_sync(status, pending)
        studio.app.processEvents()
        title = QLabel(caption, sheet)
        title.setProperty("role", "label")
        strip = QLabel(sheet)
        strip.setPixmap(window.statusBar().grab())
        column.addWidget(title)
        column.addWidget(strip)
    sheet.resize(SIZE[0], sheet.sizeHint().height())
    studio.close_windows()
    return studio.show(sheet, (SIZE[0], sheet.sizeHint().height()))


@capture("relogin_dialog")
def relogin_dialog(studio: Studio):
    window = studio.patient_window()
    window._show_sync(sync_states(int(time.time() * 1000))[2][1], 2)
    window.sync_status.stop()
    dialog = window.ask_to_sign_in_again()
    studio.settle()
    return dialog


# ----- patient ---------------------------------------------------------------------------
@capture("patient_dashboard")
def patient_dashboard(studio: Studio):
    return studio.patient_screen("dashboard")


@capture("patient_new_scan")
def patient_new_scan(studio: Studio):
    return studio.patient_screen("new_scan")


@capture("patient_new_scan_result")
def patient_new_scan_result(studio: Studio):
    if not studio.scans:
        return None
    window = studio.patient_screen("new_scan")
    window.screen("new_scan").analyse_file(studio.scans[-1])
    studio.settle(12)
    return window


@capture("patient_new_scan_not_mri")
def patient_new_scan_not_mri(studio: Studio):
    window = studio.patient_screen("new_scan")
    window.screen("new_scan").analyse_file(studio.photo())
    studio.settle(12)
    return window


@capture("patient_history")
def patient_history(studio: Studio):
    return studio.patient_screen("history")


@capture("patient_history_detail")
def patient_history_detail(studio: Studio):
    if not studio.reports:
        return None
    window = studio.patient_screen("history")
    history = window.screen("history")
    history.open_report(studio.services.reports.get(studio.reports[0]["id"]))
    studio.settle()
    return window


@capture("patient_history_abstained")
def patient_history_abstained(studio: Studio):
    """A scan the model could not judge, as the patient reads it (the engine under a rule that
    never labels, so the screen shows what any abstention shows)."""
    import json
    import shutil

    from desktop_app.core.inference import InferenceEngine
    from desktop_app.paths import models_dir

    if not studio.scans:
        return None
    strict = Path(tempfile.mkdtemp()) / "models"
    shutil.copytree(models_dir(), strict)
    meta = json.loads((strict / "model.json").read_text())
    meta["abstention"] = {**meta.get("abstention", {}), "min_confidence": 1.01}
    (strict / "model.json").write_text(json.dumps(meta))
    scan = studio.scans[0]
    prediction = InferenceEngine.load(strict).predict_file(scan)
    studio.sign_in("anna")
    report = studio.services.reports.create("anna", scan.read_bytes(), scan.name, prediction)
    window = studio.patient_screen("history")
    window.screen("history").open_report(report)
    studio.settle()
    return window


@capture("patient_chat")
def patient_chat(studio: Studio):
    return studio.patient_screen("chat")


@capture("patient_my_doctor")
def patient_my_doctor(studio: Studio):
    return studio.patient_screen("my_doctor")


@capture("patient_health_tips")
def patient_health_tips(studio: Studio):
    return studio.patient_screen("tips")


@capture("patient_emergency")
def patient_emergency(studio: Studio):
    return studio.patient_screen("emergency")


@capture("patient_notifications")
def patient_notifications(studio: Studio):
    return studio.patient_screen("notifications")


@capture("patient_kiosk")
def patient_kiosk(studio: Studio):
    from desktop_app.ui.kiosk import KioskBar

    window = studio.patient_window(kiosk=True)
    window.top_bar_host.insertWidget(0, KioskBar("Riverside Clinic", window))
    window.navigate("new_scan")
    studio.settle()
    return window

# ----- doctor ----------------------------------------------------------------------------
DOCTOR_PATIENTS = (("ben", "Ben Okafor"), ("priya", "Priya Nair"), ("tom", "Tom Becker"))
DAY_MS = 86_400_000


def doctor_clinic(studio: Studio) -> list[dict]:
    """More of dr.lee's patients with scans predicted by the real model, spread over weeks."""
    if getattr(studio, "doctor_reports", None) is not None:
        return studio.doctor_reports
    services, made = studio.services, []
    scans = studio.scans if studio.scans else []
    for index, (username, name) in enumerate(DOCTOR_PATIENTS):
        services.accounts.logout()
        services.accounts.register(username, f"{username}@example.org", PASSWORD, "patient",
                                   full_name=name, doctor="dr.lee")
        for path in scans[index * 3 + 3:index * 3 + 6]:
            prediction = studio.engine.predict_file(path)
            if prediction.is_brain_mri:
                made.append(services.reports.create(username, path.read_bytes(), path.name,
                                                    prediction))
    reports = services.store.collection("reports")
    for age, report in enumerate(made + studio.reports):  # a history, not one morning's uploads
        report = reports.get(report["id"])
        reports.put(report["id"], {**report, "timestamp": report["timestamp"] - (age * 3 + 1) * DAY_MS})
    studio.sign_in("dr.lee")
    if len(made) > 4:
        services.reports.review(made[4]["id"], "dr.lee", "reject", notes="Please repeat the scan "
                                "with contrast.", label="not_assessable", reason="Motion artefact.")
    studio.doctor_reports = made
    return made


def doctor_screen(studio: Studio, key: str):
    from desktop_app.ui.app import build_main_window

    doctor_clinic(studio)
    studio.sign_in("dr.lee")
    window = studio.show(build_main_window(studio.services, studio.services.accounts.current_user))
    window.open_screen(key)
    studio.settle()
    return window


@capture("doctor_dashboard")
def doctor_dashboard(studio: Studio):
    return doctor_screen(studio, "dashboard")


@capture("doctor_reports")
def doctor_reports(studio: Studio):
    return doctor_screen(studio, "reports")


@capture("doctor_review")
def doctor_review(studio: Studio):
    window = doctor_screen(studio, "reports")
    reports = window.screens["reports"].widget
    annas = [r for r in reports.history("anna") if r.get("status") == "pending"]
    if not annas:
        return None
    reports.open_report(annas[0])  # her newest pending scan, with earlier ones to compare
    studio.settle(12)
    review = reports.review
    review.image_view.set_heatmap_visible(True)
    review.toggle_comparison()  # the patient's latest earlier scan beside this one
    review.notes.setPlainText("Well-defined enhancing lesion; agree with the finding. "
                              "Referral to neurosurgery for follow-up.")
    review.drafts.flush()
    studio.settle(12)
    return window


@capture("doctor_reject")
def doctor_reject(studio: Studio):
    from desktop_app.ui.doctor.reject_dialog import RejectDialog

    window = doctor_screen(studio, "reports")
    dialog = RejectDialog("glioma", window)
    dialog.select_finding("meningioma")
    dialog.reason_edit.setPlainText("Extra-axial lesion with a dural tail: meningioma.")
    dialog.show()
    studio.windows.append(dialog)
    studio.settle()
    return dialog


@capture("doctor_patients")
def doctor_patients(studio: Studio):
    return doctor_screen(studio, "patients")


@capture("doctor_chat")
def doctor_chat(studio: Studio):
    window = doctor_screen(studio, "chat")
    window.screens["chat"].widget.select_peer("anna")
    studio.settle()
    return window


@capture("doctor_federated")
def doctor_federated(studio: Studio):
    return doctor_screen(studio, "federated_learning")


@capture("doctor_profile")
def doctor_profile(studio: Studio):
    return doctor_screen(studio, "profile")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="capture just these names")
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    parser.add_argument("--scale", type=float, help="QT_SCALE_FACTOR, e.g. 1.5")
    parser.add_argument("--suffix", default="", help="added to each file name, e.g. _150")
    parser.add_argument("--size", default="1280x800", help="window size, e.g. 1024x700")
    args = parser.parse_args(argv)
    if args.scale:
        os.environ["QT_SCALE_FACTOR"] = str(args.scale)
    SIZE[:] = [int(n) for n in args.size.lower().split("x")]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    names = args.only or list(CAPTURES)
    unknown = [n for n in names if n not in CAPTURES]
    if unknown:
        parser.error(f"unknown screen(s): {', '.join(unknown)}; known: {', '.join(CAPTURES)}")
    with tempfile.TemporaryDirectory(prefix="tumorpredict-shots-") as data_dir:
        studio = Studio(Path(data_dir))
        try:
            for name in names:
                widget = CAPTURES[name](studio)
                if widget is None:
                    print(f"skipped {name}")
                    continue
                studio.settle()
                path = out / f"{name}{args.suffix}.png"
                widget.grab().save(str(path))
                studio.close_windows()
                print(f"saved {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
        finally:
            for note in studio.notes:
                print(f"note: {note}")
            studio.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
