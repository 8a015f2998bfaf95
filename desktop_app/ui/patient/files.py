"""Choosing a scan file: the dialog, drag-and-drop, and the kiosk's allowed folders."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QWidget

SCAN_FILTER = "Scan images (*.jpg *.jpeg *.png *.bmp *.tif *.tiff *.dcm);;All files (*)"
MAX_SCAN_BYTES = 64 * 1024 * 1024  # a brain MRI slice is far smaller; larger means a wrong file


def removable_media_roots() -> list[Path]:
    """Folders where this platform mounts USB sticks and discs."""
    user = os.environ.get("USER") or os.environ.get("USERNAME") or ""
    if sys.platform == "darwin":
        candidates = [Path("/Volumes")]
    elif sys.platform.startswith("win"):
        from PySide6.QtCore import QStorageInfo

        system_drive = os.environ.get("SystemDrive", "C:").upper()
        candidates = [Path(v.rootPath()) for v in QStorageInfo.mountedVolumes()
                      if v.isValid() and not v.rootPath().upper().startswith(system_drive)]
    else:
        candidates = [Path("/media") / user, Path("/run/media") / user, Path("/media")]
    return [c for c in candidates if c.is_dir()]


def kiosk_import_roots(settings) -> list[Path]:
    """The configured import folder plus removable media: the only places a kiosk reads from."""
    roots = []
    import_dir = (settings.get("kiosk", {}) or {}).get("import_dir")
    if import_dir:
        roots.append(Path(import_dir).expanduser())
    return roots + removable_media_roots()


def kiosk_export_dir(settings) -> Path | None:
    """The one folder a kiosk saves PDF reports to; None: a kiosk offers no export."""
    export_dir = (settings.get("kiosk", {}) or {}).get("export_dir")
    return Path(export_dir).expanduser() if export_dir else None


def free_name(folder: Path, name: str) -> Path:
    """`folder/name`, or `name (2)`, `name (3)`… when it is taken (nothing is overwritten)."""
    target = folder / name
    stem, suffix = target.stem, target.suffix
    number = 2
    while target.exists():
        target = folder / f"{stem} ({number}){suffix}"
        number += 1
    return target


def is_allowed(path: Path, roots: list[Path] | None) -> bool:
    if roots is None:
        return True
    try:
        resolved = path.resolve()
    except OSError:
        return False
    return any(resolved.is_relative_to(root.resolve()) for root in roots)


_last_scan_folder: Path | None = None  # where the patient last found a scan, this session


def user_folder(kind: str) -> Path:
    """The user's Pictures or Documents folder (else their home), never the current working folder:
    started from a terminal that was the program's own source tree."""
    from PySide6.QtCore import QStandardPaths

    location = {"pictures": QStandardPaths.StandardLocation.PicturesLocation,
                "documents": QStandardPaths.StandardLocation.DocumentsLocation}[kind]
    for candidate in (QStandardPaths.writableLocation(location),
                      QStandardPaths.writableLocation(QStandardPaths.StandardLocation.HomeLocation)):
        if candidate and Path(candidate).is_dir():
            return Path(candidate)
    return Path.home()


def pdf_file_name(timestamp_ms: float | None) -> str:
    """'TumorPredict report 2026-12-06 10-04.pdf': a real date ("Today" is wrong by tomorrow) and
    no characters a file system refuses."""
    from datetime import datetime

    when = datetime.fromtimestamp(timestamp_ms / 1000) if timestamp_ms else datetime.now()
    return f"TumorPredict report {when:%Y-%m-%d %H-%M}.pdf"


def choose_scan_file(parent: QWidget, roots: list[Path] | None) -> Path | None:
    """The open-file dialog; in a kiosk it starts in, and only shows, the allowed folders.
    Elsewhere it starts where the last scan came from, else in the user's Pictures folder."""
    global _last_scan_folder
    dialog = QFileDialog(parent, "Choose your MRI scan")
    dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
    dialog.setNameFilter(SCAN_FILTER)
    if roots is not None:
        # The platform dialog could browse anywhere; Qt's own one lets us pin the sidebar.
        dialog.setOption(QFileDialog.Option.DontUseNativeDialog, True)
        dialog.setOption(QFileDialog.Option.ReadOnly, True)
        from PySide6.QtCore import QUrl

        dialog.setSidebarUrls([QUrl.fromLocalFile(str(root)) for root in roots])
        if roots:
            dialog.setDirectory(str(roots[0]))
    else:
        start = _last_scan_folder if _last_scan_folder and _last_scan_folder.is_dir() else None
        dialog.setDirectory(str(start or user_folder("pictures")))
    if not dialog.exec():
        return None
    files = dialog.selectedFiles()
    if not files:
        return None
    if roots is None:
        _last_scan_folder = Path(files[0]).parent
    return Path(files[0])


def read_scan(path: Path) -> bytes:
    """The file's bytes, or OSError with a message a patient understands."""
    size = path.stat().st_size
    if size == 0:
        raise OSError("This file is empty. Please choose the scan image again.")
    if size > MAX_SCAN_BYTES:
        raise OSError("This file is too large to be a single scan image "
                      f"({size // (1024 * 1024)} MB). Please choose one MRI image.")
    return path.read_bytes()
