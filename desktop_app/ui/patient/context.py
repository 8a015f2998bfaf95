"""What every patient screen shares: services, the signed-in patient, navigation, kiosk limits."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from desktop_app.core.services import AppServices
    from desktop_app.core.users import User
    from desktop_app.ui.sync_worker import SyncWorker


@dataclass
class PatientContext:
    services: AppServices
    user: User
    # Opens a screen by key and returns it (None outside a window): `PatientWindow.navigate`.
    navigate: Callable[[str], Any] = lambda _key: None
    kiosk: bool = False
    import_roots: list[Path] | None = None  # kiosk: the only folders files may come from
    sync_worker: SyncWorker | None = None  # None when no server is set
    on_changed: list[Callable[[], None]] = field(default_factory=list)

    @property
    def username(self) -> str:
        return self.user.username

    def upload_scan(self) -> None:
        """Every "Upload a scan" button: the New scan screen with the file dialog already open,
        as "Analyse another scan" does (one button must not only switch screens)."""
        new_scan = self.navigate("new_scan")
        if new_scan is not None:
            new_scan.choose_file()

    def changed(self) -> None:
        """Something of this patient's was saved: let badges and other screens refresh."""
        for callback in list(self.on_changed):
            callback()
        if self.sync_worker is not None:
            self.sync_worker.local_change()
