"""What every patient screen shares: services, the signed-in patient, navigation, kiosk limits."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class PatientContext:
    services: object
    user: object  # desktop_app.core.accounts.User
    navigate: Callable[[str], object] = lambda _key: None  # opens a screen by key
    kiosk: bool = False
    import_roots: list[Path] | None = None  # kiosk: the only folders files may come from
    sync_worker: object | None = None  # desktop_app.ui.sync_worker.SyncWorker when a server is set
    on_changed: list[Callable[[], None]] = field(default_factory=list)

    @property
    def username(self) -> str:
        return self.user.username

    def upload_scan(self) -> None:
        """Every "Upload a scan" button: the New scan screen with the file dialog already open,
        as "Analyse another scan" does (one button must not only switch screens)."""
        screen = self.navigate("new_scan")
        choose = getattr(screen, "choose_file", None)
        if callable(choose):
            choose()

    def changed(self) -> None:
        """Something of this patient's was saved: let badges and other screens refresh."""
        for callback in list(self.on_changed):
            callback()
        if self.sync_worker is not None and hasattr(self.sync_worker, "local_change"):
            self.sync_worker.local_change()
