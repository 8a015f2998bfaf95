"""Starts the desktop app: splash, opening the store, sign-in, the role's window, sign-out, kiosk."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QRect, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPainter, QPixmap
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox, QSplashScreen, QWidget

from desktop_app.core.errors import user_message_of
from desktop_app.ui.doctor.window import DoctorWindow
from desktop_app.ui.idle import IdleWatcher
from desktop_app.ui.idle_warning import IdleWarning
from desktop_app.ui.kiosk import KioskBar, SetPinDialog, UnlockDialog, lock_down
from desktop_app.ui.login import AuthWindow
from desktop_app.ui.patient.files import kiosk_import_roots
from desktop_app.ui.patient.window import PatientWindow
from desktop_app.ui.shell import MainWindow
from desktop_app.ui.theme import apply_theme, svg_pixmap
from desktop_app.ui.workers import run_in_background, wait_for_background

if TYPE_CHECKING:
    from desktop_app.core.services import AppServices
    from desktop_app.core.users import User
    from desktop_app.ui.sync_worker import SyncWorker

log = logging.getLogger(__name__)

MINUTE_MS = 60 * 1000


def warn_if_binding_unsafe() -> None:
    """PySide6 6.12 on Python 3.11 loses references to None/True on every call: the app would
    abort after an hour or two of use. Say so loudly in the log instead of dying mysteriously."""
    import PySide6

    if sys.version_info < (3, 12) and PySide6.__version__.startswith("6.12."):
        log.error("PySide6 %s on Python %d.%d is known to crash long-running apps; install "
                  "PySide6-Essentials < 6.12 or use Python 3.12+", PySide6.__version__,
                  *sys.version_info[:2])


def ensure_application() -> QApplication:
    warn_if_binding_unsafe()
    app = QApplication.instance()
    if app is None:
        app = QApplication(sys.argv[:1])
        app.setApplicationName("TumorPredict")
        app.setOrganizationName("TumorPredict")
        app.setApplicationDisplayName("TumorPredict")
    apply_theme(app)
    return app


def build_main_window(services: AppServices, user: User, *, kiosk: bool = False,
                      import_roots: list[Path] | None = None,
                      sync_worker: SyncWorker | None = None) -> MainWindow:
    """The signed-in user's main window, built but not shown (tests and the controller)."""
    if user.role == "doctor":
        if kiosk:
            raise ValueError("kiosk mode serves patients only")
        return DoctorWindow(services, user, sync_worker=sync_worker)
    return PatientWindow(services, user, kiosk=kiosk, import_roots=import_roots,
                         sync_worker=sync_worker)


class AppController(QObject):
    """Owns the one visible top-level window and moves between sign-in and a role's window.

    Every sign-out (button or idle) throws the whole window away and builds a new one, so
    nothing of the previous user stays in any screen, model or cache.
    """

    window_changed = Signal(QWidget)

    def __init__(self, services: AppServices, *, kiosk: bool = False, full_screen: bool = True,
                 sync_worker: SyncWorker | None = None) -> None:
        super().__init__()
        self.services, self.kiosk, self.full_screen = services, kiosk, full_screen
        self.sync_worker = sync_worker
        self.window: MainWindow | AuthWindow | None = None
        self.unlocked = False
        settings = services.settings
        minutes = settings.kiosk_idle_minutes if kiosk else settings.idle_logout_minutes
        self.idle = IdleWatcher(minutes * MINUTE_MS, self)
        self.idle.idle.connect(self._on_idle)
        self.idle.warning.connect(self._warn_idle)
        self.idle.resumed.connect(self._dismiss_idle_warning)
        self.idle_warning: IdleWarning | None = None
        self.import_roots = kiosk_import_roots(settings) if kiosk else None
        self.clinic_name = settings.clinic_name

    # ----- windows ---------------------------------------------------------------------
    def start(self) -> QWidget:
        accounts = self.services.accounts
        user = accounts.current_user
        if user is not None and not self.kiosk and (not accounts.resumed or accounts.stays_signed_in()):
            return self.open_main(user)
        if user is not None:  # a kiosk, a patient, or a doctor who did not choose to stay: sign in again
            run_in_background(accounts.logout)
        return self.show_auth()

    def end_session(self) -> None:
        """The window closed: sign out, unless a doctor chose to stay signed in here (never in a kiosk)."""
        accounts = self.services.accounts
        if accounts.current_user is not None and (self.kiosk or not accounts.stays_signed_in()):
            run_in_background(accounts.logout)

    def show_auth(self, notice: str = "") -> AuthWindow:
        window = AuthWindow(self.services, kiosk=self.kiosk, notice=notice)
        window.signed_in.connect(self.open_main)
        self._replace(window)
        # In a kiosk an untouched sign-in page is cleared too (half-typed names vanish).
        if self.kiosk:
            self.idle.start()
        else:
            self.idle.stop()
        return window

    def open_main(self, user) -> MainWindow:
        window = build_main_window(self.services, user, kiosk=self.kiosk,
                                   import_roots=self.import_roots, sync_worker=self.sync_worker)
        window.logout_requested.connect(lambda: self.logout())
        self._replace(window)
        self.idle.start()
        if self.sync_worker is not None:
            self.sync_worker.sync_now()
        return window

    def _replace(self, window: MainWindow | AuthWindow) -> None:
        old, self.window = self.window, window
        if self.kiosk:
            bar = KioskBar(self.clinic_name, window)
            bar.operator_requested.connect(self.request_exit)
            lock_down(window, bar, full_screen=self.full_screen)
        else:
            if isinstance(old, QWidget) and old.isVisible():
                window.setGeometry(old.geometry())  # the next window opens where the last one was
            window.show()
        if old is not None:
            if isinstance(old, MainWindow):
                old.shutdown()
            old.allow_close = True
            old.hide()
            old.deleteLater()
        self.window_changed.emit(window)

    # ----- signing out -----------------------------------------------------------------
    def logout(self, notice: str = "") -> AuthWindow:
        """Signs out (store write off the UI thread) and shows a fresh sign-in window at once."""
        run_in_background(self.services.accounts.logout)
        return self.show_auth(notice)

    def _warn_idle(self, ms_left: int) -> None:
        """Shortly before an idle sign-out: a countdown any touch or key cancels."""
        if not isinstance(self.window, MainWindow) or self.idle_warning is not None:
            return  # the sign-in page has nobody to warn
        self.idle_warning = IdleWarning(ms_left, self.window)
        self.idle_warning.finished.connect(self._forget_idle_warning)
        self.idle_warning.show()

    def _dismiss_idle_warning(self) -> None:
        if self.idle_warning is not None:
            self.idle_warning.accept()

    def _forget_idle_warning(self) -> None:
        self.idle_warning = None

    def _on_idle(self) -> None:
        _close_dialogs()  # an open file or message dialog must not outlive its patient
        minutes = max(1, round(self.idle.timeout_ms() / MINUTE_MS))
        if isinstance(self.window, MainWindow):
            self.logout(f"You were signed out after {minutes} minute{'s' if minutes != 1 else ''} "
                        "without activity, to protect your privacy.")
        elif self.kiosk:
            self.show_auth()

    # ----- kiosk exit ------------------------------------------------------------------
    def request_exit(self) -> None:
        dialog = UnlockDialog(self.services.settings, self.window)
        if dialog.exec() == UnlockDialog.DialogCode.Accepted:
            self.unlocked = True
            self.quit()

    def quit(self) -> None:
        self.idle.detach()
        if self.window is not None:
            if isinstance(self.window, MainWindow):
                self.window.shutdown()
            self.window.allow_close = True
            self.window.close()
        QApplication.instance().quit()


def _close_dialogs() -> None:
    """Closes every open modal dialog, innermost first."""
    for _ in range(20):  # a bounded loop: a dialog that refuses to close must not hang us
        modal = QApplication.activeModalWidget()
        if modal is None:
            return
        if isinstance(modal, QDialog):
            modal.reject()
        else:
            modal.close()
        if QApplication.activeModalWidget() is modal:
            modal.hide()


class _Splash(QSplashScreen):
    """A splash screen that shows at once. Qt's own waits in its Show event for the window system
    to report the window exposed, which on Linux (X11, Wayland, offscreen) only happens once the
    event loop runs: every start lost its full 1 s timeout there."""

    def event(self, event) -> bool:
        if event.type() == QEvent.Type.Show:
            return QWidget.event(self, event)
        return super().event(event)


def _splash() -> QSplashScreen:
    pixmap = QPixmap(520, 300)
    pixmap.fill(QColor("#FFFFFF"))
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.drawPixmap(40, 40, svg_pixmap("app", 72))
    title = QFont()
    title.setPointSize(22)
    title.setBold(True)
    painter.setFont(title)
    painter.setPen(QColor("#0F172A"))
    painter.drawText(QRect(130, 48, 360, 60), Qt.AlignmentFlag.AlignVCenter, "TumorPredict")
    body = QFont()
    body.setPointSize(11)
    painter.setFont(body)
    painter.setPen(QColor("#56657A"))
    painter.drawText(QRect(40, 150, 440, 80), int(Qt.TextFlag.TextWordWrap),
                     "Brain MRI triage for clinics. Results are preliminary until your doctor "
                     "has reviewed them.")
    painter.fillRect(QRect(0, 292, 520, 8), QColor("#1F6FD1"))
    painter.end()
    splash = _Splash(pixmap)
    splash.showMessage("Opening your records…", Qt.AlignmentFlag.AlignBottom | Qt.AlignmentFlag.AlignLeft,
                       QColor("#475569"))
    return splash


def _store_locked(exc: BaseException | None) -> BaseException | None:
    """The StoreLockedError behind `exc` (the CLI context wraps it), or None."""
    from local_store import StoreLockedError

    while exc is not None:
        if isinstance(exc, StoreLockedError):
            return exc
        exc = exc.__cause__
    return None


def _store_locked_message(exc: BaseException, data_dir) -> str:
    detail = user_message_of(
        exc, f"TumorPredict is already open on this computer with the data folder {data_dir}.")
    return (f"{detail}\n\nSwitch to the window that is already open. Two copies at once could "
            "damage your records, so this one will not start.")


def _make_sync_worker(services: AppServices) -> SyncWorker | None:
    if services.sync is None:
        return None
    from desktop_app.ui.sync_worker import SyncWorker

    worker = SyncWorker(services.sync, chat_poll_s=services.settings.get("chat_poll_seconds", 3))
    worker.start()
    return worker


def run_app(ctx, kiosk: bool = False) -> int:
    """Runs the app until it quits; returns the exit code."""
    app = ensure_application()
    splash = _splash()
    splash.show()
    app.processEvents()
    state: dict = {"code": 0}

    def opened(services: AppServices) -> None:
        if kiosk and not services.settings.get("kiosk", {}).get("pin_verifier"):
            dialog = SetPinDialog()
            splash.finish(dialog)
            if dialog.exec() != SetPinDialog.DialogCode.Accepted:
                QMessageBox.information(None, "TumorPredict", "Kiosk mode needs an operator PIN. "
                                        "The app will close.")
                state["code"] = 2
                app.quit()
                return
            services.settings.set_kiosk_pin(dialog.value())
        sync_worker = _make_sync_worker(services)
        controller = AppController(services, kiosk=kiosk, sync_worker=sync_worker)
        state["controller"] = controller
        window = controller.start()
        splash.finish(window)

    def failed(exc: Exception) -> None:
        splash.close()
        locked = _store_locked(exc)
        if locked is not None:
            QMessageBox.critical(None, "TumorPredict is already open",
                                 _store_locked_message(locked, ctx.data_dir))
        else:
            log.exception("could not open the data folder", exc_info=exc)
            QMessageBox.critical(None, "TumorPredict could not start",
                                 "The data folder could not be opened:\n"
                                 f"{ctx.data_dir}\n\n{user_message_of(exc, str(exc))}")
        state["code"] = 1
        app.quit()

    run_in_background(ctx.services, on_result=opened, on_error=failed)
    code = app.exec()
    controller = state.get("controller")
    if controller is not None:
        controller.end_session()  # finished by wait_for_background below
    if controller is not None and controller.sync_worker is not None:
        controller.sync_worker.stop()
    wait_for_background(10000)
    return state["code"] or code
