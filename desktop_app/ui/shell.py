"""The main window frame shared by both roles: left navigation, a stack of screens, a status bar."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

import shiboken6
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QCloseEvent, QIcon, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core import events as topics
from desktop_app.ui.bridge import EventBridge, SyncStatusSource
from desktop_app.ui.relogin import ReloginDialog
from desktop_app.ui.screen import Screen
from desktop_app.ui.sync_bar import SYNC_KEY, SyncStatusWidgets
from desktop_app.ui.sync_view import describe
from desktop_app.ui.theme import MIN_WINDOW, icon, svg_pixmap
from desktop_app.ui.widgets.common import button

if TYPE_CHECKING:
    from desktop_app.core.services import AppServices
    from desktop_app.core.sync.status import SyncStatus
    from desktop_app.core.users import User
    from desktop_app.ui.sync_worker import SyncWorker

# Core events that mean "a change of this user's is waiting in the outbox".
LOCAL_CHANGE_TOPICS = frozenset({topics.REPORT_CREATED, topics.REPORT_REVIEWED, topics.MESSAGE_SENT,
                                 topics.MESSAGE_UPDATED})


def display_name(user: User) -> str:
    return user.full_name or user.username or ""


@dataclass
class ScreenEntry:
    key: str
    title: str
    icon_name: str | QIcon
    widget: QWidget  # implements `Screen`
    item: QListWidgetItem

    @property
    def screen(self) -> Screen:
        return cast(Screen, self.widget)


class MainWindow(QMainWindow):
    """Navigation on the left, screens on the right. Roles add screens with `add_screen`."""

    logout_requested = Signal()

    def __init__(self, services: AppServices, user: User, *, role_title: str, kiosk: bool = False,
                 sync_worker: SyncWorker | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services, self.user, self.kiosk = services, user, kiosk
        self.username: str = user.username
        self.setWindowTitle(f"{role_title} — TumorPredict")  # ends with the app name: Qt adds none
        self.setMinimumSize(MIN_WINDOW)
        self.resize(1200, 800)
        self.screens: dict[str, ScreenEntry] = {}
        self.allow_close = True  # kiosk mode turns this off until an operator unlocks
        self.events = EventBridge(services, self)
        self.sync_status = SyncStatusSource(services, parent=self)
        self._sync_worker: SyncWorker | None = None
        self.relogin_dialog: ReloginDialog | None = None

        root = QWidget(self)
        root.setObjectName("appRoot")
        self.setCentralWidget(root)
        row = QHBoxLayout(root)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        self.top_bar_host = QVBoxLayout()
        self.top_bar_host.setContentsMargins(0, 0, 0, 0)
        self.top_bar_host.setSpacing(0)
        row.addWidget(self._build_nav(role_title))
        self.stack = QStackedWidget(root)
        self.stack.setObjectName("screenStack")
        right = QVBoxLayout()
        right.setContentsMargins(0, 0, 0, 0)
        right.setSpacing(0)
        right.addLayout(self.top_bar_host)
        right.addWidget(self.stack, 1)
        row.addLayout(right, 1)
        self._build_status_bar()
        self.nav.currentRowChanged.connect(self._open_row)
        self.sync_status.updated.connect(self._show_sync)
        self.events.event.connect(self._local_change)
        self.sync_worker = sync_worker  # DoctorWindow sets it after this; the setter wires it
        # Ctrl+1..9 jump to a screen; F6 puts focus back on the navigation.
        for number in range(1, 10):
            shortcut = QShortcut(QKeySequence(f"Ctrl+{number}"), self)
            shortcut.activated.connect(lambda n=number: self._jump(n - 1))
        QShortcut(QKeySequence("F6"), self).activated.connect(self.nav.setFocus)
        QShortcut(QKeySequence(SYNC_KEY), self).activated.connect(self.sync_bar.trigger)

    # ----- layout ----------------------------------------------------------------------
    def _build_nav(self, role_title: str) -> QFrame:
        panel = QFrame(self)
        panel.setObjectName("navPanel")
        panel.setFixedWidth(240)
        column = QVBoxLayout(panel)
        column.setContentsMargins(14, 18, 14, 14)
        column.setSpacing(6)
        brand_row = QHBoxLayout()
        logo = QLabel(panel)
        logo.setPixmap(svg_pixmap("app", 32))
        brand = QLabel("TumorPredict", panel)
        brand.setObjectName("navBrand")
        brand_row.addWidget(logo)
        brand_row.addWidget(brand, 1)
        column.addLayout(brand_row)
        self.nav_user = QLabel(f"{display_name(self.user)} · {role_title}", panel)
        self.nav_user.setObjectName("navUser")
        self.nav_user.setWordWrap(True)
        column.addWidget(self.nav_user)
        column.addSpacing(10)
        self.nav = QListWidget(panel)
        self.nav.setObjectName("navList")
        self.nav.setAccessibleName("Navigation")
        self.nav.setIconSize(QSize(20, 20))
        self.nav.setSpacing(1)
        self.nav.setFrameShape(QFrame.Shape.NoFrame)
        self.nav.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        column.addWidget(self.nav, 1)
        self.logout_button = button("Sign out", accessible="Sign out")
        self.logout_button.setIcon(icon("logout"))
        self.logout_button.clicked.connect(self.logout_requested.emit)
        column.addWidget(self.logout_button)
        return panel

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        bar.setSizeGripEnabled(False)
        bar.setContentsMargins(10, 3, 4, 3)  # the state pill keeps clear of the window's edges
        self.sync_bar = SyncStatusWidgets(bar)
        self.sync_bar.sync_requested.connect(self.sync_now)
        self.sync_bar.sign_in_requested.connect(self.ask_to_sign_in_again)
        # Names the tests and screen readers use for the pieces of the bar.
        self.status_connection = self.sync_bar.pill
        self.status_last_sync = self.sync_bar.last_sync
        self.status_pending = self.sync_bar.pending
        self.status_problem = self.sync_bar.problem
        self.sync_button = self.sync_bar.button
        self.status_user = QLabel(f"Signed in as {display_name(self.user)}", self)
        self.status_user.setAccessibleName("Signed-in user")
        bar.addPermanentWidget(self.status_user)

    def _show_sync(self, status: SyncStatus | None, pending: int) -> None:
        view = describe(status, pending, int(time.time() * 1000), self.username)
        self.sync_bar.show_view(view)

    # ----- sync ------------------------------------------------------------------------
    @property
    def sync_worker(self) -> SyncWorker | None:
        return self._sync_worker

    @sync_worker.setter
    def sync_worker(self, worker: SyncWorker | None) -> None:
        """Connects the app's `SyncWorker` (None without a server) to this window's status bar."""
        self._disconnect_worker()
        self._sync_worker = worker
        if worker is not None:
            worker.login_needed.connect(self._login_needed)
            worker.sync_finished.connect(self._pass_finished)
        self.sync_status.refresh()

    def _disconnect_worker(self) -> None:
        worker, self._sync_worker = self._sync_worker, None
        if worker is None or not shiboken6.isValid(worker):
            return
        for signal, slot in ((worker.login_needed, self._login_needed),
                             (worker.sync_finished, self._pass_finished)):
            try:
                signal.disconnect(slot)
            except (RuntimeError, TypeError):  # already gone with its window
                pass

    def sync_now(self) -> None:
        """"Sync now" (button or F5): a pass on the worker thread; the UI never waits for it."""
        status = self.sync_status.status
        if status is not None and self.username in status.needs_login:
            self.ask_to_sign_in_again()
        elif self._sync_worker is not None:
            self._sync_worker.sync_now()

    def _local_change(self, topic: str, _data: dict) -> None:
        """Something was saved here (a scan, a review, a message): send it soon."""
        if topic in LOCAL_CHANGE_TOPICS and self._sync_worker is not None:
            self._sync_worker.local_change()

    def _pass_finished(self, _report) -> None:
        self.sync_status.refresh()

    def _login_needed(self, username: str) -> None:
        if username == self.username and self.isVisible():
            self.ask_to_sign_in_again()

    def ask_to_sign_in_again(self) -> ReloginDialog:
        """The password-only dialog; one at a time. Sync resumes when it is accepted."""
        if self.relogin_dialog is not None and shiboken6.isValid(self.relogin_dialog):
            self.relogin_dialog.raise_()
            return self.relogin_dialog
        dialog = ReloginDialog(self.services.accounts, self.username, display_name(self.user), self)
        dialog.accepted.connect(self._signed_in_again)
        dialog.finished.connect(lambda _code: self._relogin_closed(dialog))
        self.relogin_dialog = dialog
        dialog.open()
        return dialog

    def _signed_in_again(self) -> None:
        if self._sync_worker is not None:
            self._sync_worker.sync_now()

    def _relogin_closed(self, dialog: ReloginDialog) -> None:
        if self.relogin_dialog is dialog:
            self.relogin_dialog = None
        dialog.deleteLater()
        self.sync_status.refresh()

    # ----- screens ---------------------------------------------------------------------
    def add_screen(self, key: str, title: str, icon_name: str | QIcon, widget: QWidget) -> ScreenEntry:
        """`widget` implements `ui.screen.Screen`: opening it calls `entered` and `refresh`."""
        item = QListWidgetItem(icon_name if isinstance(icon_name, QIcon) else icon(icon_name), title)
        item.setData(Qt.ItemDataRole.UserRole, key)
        item.setData(Qt.ItemDataRole.AccessibleTextRole, title)
        item.setSizeHint(QSize(0, 40))
        self.nav.addItem(item)
        self.stack.addWidget(widget)
        entry = ScreenEntry(key, title, icon_name, widget, item)
        self.screens[key] = entry
        if self.nav.count() == 1:
            self.nav.setCurrentRow(0)
        return entry

    def open_screen(self, key: str) -> QWidget:
        entry = self.screens[key]
        self.nav.setCurrentItem(entry.item)
        return entry.widget

    def open_widget(self, widget: QWidget) -> bool:
        """Opens the screen that is `widget`; False when it is not one of this window's."""
        for key, entry in self.screens.items():
            if entry.widget is widget:
                self.open_screen(key)
                return True
        return False

    def current_key(self) -> str | None:
        item = self.nav.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item else None

    def set_badge(self, key: str, count: int) -> None:
        """Shows an unread count next to a navigation entry."""
        entry = self.screens.get(key)
        if entry is None:
            return
        text = f"{entry.title}  ({count})" if count else entry.title
        entry.item.setText(text)
        entry.item.setData(Qt.ItemDataRole.AccessibleTextRole,
                           f"{entry.title}, {count} unread" if count else entry.title)

    def _open_row(self, row: int) -> None:
        if row < 0:
            return
        screen = cast(Screen, self.stack.widget(row))  # every stacked widget came from add_screen
        self.stack.setCurrentIndex(row)
        screen.entered()
        screen.refresh()

    def _jump(self, index: int) -> None:
        if 0 <= index < self.nav.count():
            self.nav.setCurrentRow(index)

    # ----- closing ---------------------------------------------------------------------
    def shutdown(self) -> None:
        """Stops timers and listeners before the window goes away."""
        self.sync_status.stop()
        self._disconnect_worker()
        self.events.close()
        for entry in self.screens.values():
            entry.screen.shutdown()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        if not self.allow_close:
            event.ignore()
            return
        self.shutdown()
        super().closeEvent(event)
