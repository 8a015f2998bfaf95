"""New scan: choose or drop an image, analyse it on this device, show and save the result."""

from __future__ import annotations

import logging
import time
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QImage
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QProgressBar, QVBoxLayout, QWidget

from desktop_app.core.errors import UserFacingError
from desktop_app.core.reports import ScanNotSaved
from desktop_app.ui.patient.context import PatientContext
from desktop_app.ui.patient.files import choose_scan_file, is_allowed, read_scan
from desktop_app.ui.patient.result_view import FindingCard, ScanImagePanel
from desktop_app.ui.theme import set_role, svg_pixmap
from desktop_app.ui.widgets.common import Banner, Card, Screen, button, label

log = logging.getLogger(__name__)

NOT_MRI_TEXT = ("Please choose an MRI image of the head, for example the file your clinic gave "
                "you (JPEG, PNG or DICOM). Nothing was saved.")
UNREADABLE_TEXT = ("This file could not be opened as an image. It may be damaged or in a format "
                   "we do not read. Please choose another file. Nothing was saved.")
MISSING_TEXT = ("The file could not be read. It may have been moved, or the USB stick removed. "
                "Please choose it again. Nothing was saved.")
NO_MODEL_TEXT = ("The analysis could not run on this computer just now. Nothing was saved. "
                 "Please ask the clinic staff for help.")


class DropZone(QFrame):
    """A dashed area that accepts one dropped file and has a "Choose file" button."""

    file_dropped = Signal(Path)
    choose_clicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("dropZone")
        self.setAcceptDrops(True)
        self.setAccessibleName("Drop an MRI image here")
        row = QHBoxLayout(self)
        row.setContentsMargins(24, 18, 24, 18)
        row.setSpacing(16)
        picture = QLabel(self)
        picture.setPixmap(svg_pixmap("upload", 40, "#1F6FD1"))
        row.addWidget(picture)
        text = QVBoxLayout()
        text.setSpacing(2)
        text.addWidget(label("Drag your MRI image here", "section"))
        self.hint = label("JPEG, PNG or DICOM — the file your clinic gave you.", "muted", wrap=True)
        text.addWidget(self.hint)
        row.addLayout(text, 1)
        self.choose = button("Choose file…", "primary", accessible="Choose an MRI file")
        self.choose.clicked.connect(self.choose_clicked.emit)
        row.addWidget(self.choose)

    def set_compact(self, compact: bool) -> None:
        """Slimmer once a result is on screen, so the result gets the room."""
        self.hint.setVisible(not compact)
        margin = 10 if compact else 18
        self.layout().setContentsMargins(24, margin, 24, margin)

    def _set_active(self, active: bool) -> None:
        set_role(self, "true" if active else "false", "dragActive")

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        urls = event.mimeData().urls()
        if len(urls) == 1 and urls[0].isLocalFile():
            event.acceptProposedAction()
            self._set_active(True)
        else:
            event.ignore()

    def dragLeaveEvent(self, event) -> None:  # noqa: N802
        self._set_active(False)

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        self._set_active(False)
        urls = event.mimeData().urls()
        if urls and urls[0].isLocalFile():
            event.acceptProposedAction()
            self.file_dropped.emit(Path(urls[0].toLocalFile()))


class NewScanScreen(Screen):
    """States: waiting for a file → analysing (busy) → result, or a friendly problem."""

    result_ready = Signal(dict)  # the saved report
    problem_shown = Signal(str)

    def __init__(self, ctx: PatientContext) -> None:
        super().__init__("New scan", "Upload an MRI image. You will see a preliminary result "
                         "in a few seconds, and your doctor will review it.")
        self.ctx = ctx
        self.busy = False
        self.last_report: dict | None = None
        self.drop_zone = DropZone(self)
        self.drop_zone.file_dropped.connect(self.analyse_file)
        self.drop_zone.choose_clicked.connect(self.choose_file)
        if ctx.import_roots is not None:
            self.drop_zone.hint.setText("Insert your USB stick or use the clinic's import folder, "
                                        "then choose the file.")
        self.content.addWidget(self.drop_zone)

        self.steps = self._steps_card()
        self.content.addWidget(self.steps)

        self.problem = Banner("", "error", title="")
        self.problem.setVisible(False)
        self.content.addWidget(self.problem)

        self.busy_box = QWidget(self)
        busy_row = QVBoxLayout(self.busy_box)
        busy_row.setContentsMargins(0, 0, 0, 0)
        self.busy_label = label("Analysing your scan… this usually takes a few seconds.", "muted")
        self.busy_bar = QProgressBar(self)
        self.busy_bar.setObjectName("busyBar")
        self.busy_bar.setRange(0, 0)  # indeterminate: the window stays usable meanwhile
        self.busy_bar.setAccessibleName("Analysing")
        busy_row.addWidget(self.busy_label)
        busy_row.addWidget(self.busy_bar)
        self.busy_box.setVisible(False)
        self.content.addWidget(self.busy_box)

        columns = QHBoxLayout()
        columns.setContentsMargins(0, 0, 0, 0)
        columns.setSpacing(16)
        self.image_panel = ScanImagePanel()
        self.finding = FindingCard()
        columns.addWidget(self.image_panel, 5)
        right = QVBoxLayout()
        right.addWidget(self.finding)
        actions = QHBoxLayout()
        self.open_history = button("Open in history", "link")
        self.open_history.clicked.connect(lambda: self.ctx.navigate("history"))
        self.another = button("Analyse another scan", "primary")
        self.another.clicked.connect(self.choose_file)
        actions.addWidget(self.open_history)
        actions.addStretch(1)
        actions.addWidget(self.another)
        self.saved_note = label("", "muted", wrap=True)
        right.addWidget(self.saved_note)
        right.addLayout(actions)
        right.addStretch(1)
        columns.addLayout(right, 4)
        self.result_area = QWidget(self)
        self.result_area.setLayout(columns)
        self.result_area.setVisible(False)
        self.content.addWidget(self.result_area, 1)
        self.content.addStretch(1)

    def _steps_card(self) -> Card:
        """What happens after an upload, in three plain steps (shown until the first result)."""
        card = Card("What happens next")
        row = QHBoxLayout()
        row.setSpacing(24)
        for number, title, text in (
            (1, "Upload", "Choose or drop the MRI image file. It stays on this computer."),
            (2, "Preliminary result", "In a few seconds you see what the model found, with a "
             "heatmap of the areas it looked at."),
            (3, "Doctor's review", "Your doctor checks the scan and the result. You are "
             "notified and can read their notes in History."),
        ):
            column = QVBoxLayout()
            column.setSpacing(4)
            column.addWidget(label(f"{number}  {title}", "section"))
            column.addWidget(label(text, "muted", wrap=True))
            column.addStretch(1)
            row.addLayout(column, 1)
        card.body.addLayout(row)
        return card

    # ----- choosing a file ---------------------------------------------------------------
    def choose_file(self) -> None:
        if self.busy:
            return
        path = choose_scan_file(self, self.ctx.import_roots)
        if path is not None:
            self.analyse_file(path)

    def analyse_file(self, path: Path) -> None:
        """Read, preview, predict, save: every step off the UI thread."""
        if self.busy:
            return
        if not is_allowed(path, self.ctx.import_roots):
            self._show_problem("This file is not in the import folder",
                               "On this kiosk, scans can only come from a USB stick or the "
                               "clinic's import folder. Nothing was saved.")
            return
        self._set_busy(True)
        self.steps.setVisible(False)
        self.problem.setVisible(False)
        self.result_area.setVisible(False)
        self.image_panel.clear()
        self._set_refused_wording(False)
        self.run(_load_preview, path, on_result=lambda loaded: self._preview(path, loaded),
                 on_error=self._failed)

    def _preview(self, path: Path, loaded: tuple[bytes, QImage | None]) -> None:
        data, preview = loaded
        if preview is not None:
            self.result_area.setVisible(True)
            self.image_panel.show_image(preview)
            self.finding.setVisible(False)
            self._set_actions_visible(False)
        self.run(self._analyse, data, path.name, on_result=self._show_result,
                 on_error=self._failed, on_finished=lambda: self._set_busy(False))

    def _analyse(self, data: bytes, name: str) -> tuple:
        """Runs on a worker thread: the model, then (only for a brain MRI) the saved report."""
        services = self.ctx.services
        started = time.perf_counter()
        prediction = services.engine.predict_bytes(data, name=name)
        if not prediction.is_brain_mri:
            return prediction, None, None
        report = services.reports.create(self.ctx.username, data, name, prediction)
        log.info("scan analysed and saved in %.0f ms", (time.perf_counter() - started) * 1000)
        doctor = services.accounts.get(self.ctx.user.doctor) if self.ctx.user.doctor else None
        return prediction, report, doctor

    def _show_result(self, result: tuple) -> None:
        prediction, report, *rest = result
        doctor = rest[0] if rest else None
        if report is None:
            self._show_refused(prediction)
            return
        self.last_report = report
        self.drop_zone.set_compact(True)
        self.result_area.setVisible(True)
        self.finding.setVisible(True)
        self._set_actions_visible(True)
        self.image_panel.show_image(prediction.image, prediction.heatmap)
        self.finding.show_result(
            label_text=prediction.label, confidence=prediction.confidence,
            probabilities=prediction.probabilities, model_version=prediction.model_version,
            when_ms=report.get("timestamp"), timings_ms=prediction.timings_ms, report=report)
        self.saved_note.setText(
            f"Saved in your history and queued for {doctor.display_name} to review."
            if doctor else "Saved in your history. Your clinic will assign a doctor to review it.")
        self.ctx.changed()
        self.result_ready.emit(report)

    def _show_refused(self, prediction) -> None:
        """The picture stays in view beside the message, so the patient sees which file was refused."""
        self._set_refused_wording(True)
        self.result_area.setVisible(True)
        self.image_panel.show_picture_only(prediction.image)
        self.finding.setVisible(False)
        self._set_actions_visible(False)
        self.another.setVisible(True)
        self._show_problem(f"{prediction.message}.", NOT_MRI_TEXT)

    def _set_refused_wording(self, refused: bool) -> None:
        self.image_panel.title_label.setText("The picture you chose" if refused else "Your scan")
        self.another.setText("Choose another file" if refused else "Analyse another scan")

    def _failed(self, exc: Exception) -> None:
        self._set_busy(False)
        self.result_area.setVisible(False)
        # The inference package loads numpy and the model runtime: only a failure needs its class.
        from desktop_app.core.inference.errors import ModelError

        message = exc.user_message if isinstance(exc, UserFacingError) else None
        if isinstance(exc, ModelError):  # the model files, not the patient's image
            log.error("analysis unavailable: %s", message)
            self._show_problem("The analysis is not available on this computer",
                               f"{NO_MODEL_TEXT}\n(Details for clinic staff: {message})")
        elif isinstance(exc, ScanNotSaved):  # analysed, but this computer could not keep it
            self._show_problem("The scan could not be saved", message)
        elif message:
            self._show_problem("This file cannot be analysed", f"{message} Nothing was saved.")
        elif isinstance(exc, OSError):
            ours = len(exc.args) == 1 and isinstance(exc.args[0], str)  # raised by read_scan
            self._show_problem("This file cannot be opened", exc.args[0] if ours else MISSING_TEXT)
        else:
            log.exception("scan analysis failed", exc_info=exc)
            self._show_problem("The analysis did not finish", NO_MODEL_TEXT)

    def _show_problem(self, title: str, text: str) -> None:
        self.problem.set_text(text, title)
        self.problem.setVisible(True)
        self.problem_shown.emit(text)

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        self.busy_box.setVisible(busy)
        self.drop_zone.choose.setEnabled(not busy)
        self.another.setEnabled(not busy)
        self.drop_zone.setAcceptDrops(not busy)

    def _set_actions_visible(self, visible: bool) -> None:
        for widget in (self.open_history, self.another, self.saved_note):
            widget.setVisible(visible)


def _load_preview(path: Path) -> tuple[bytes, QImage | None]:
    """Worker thread: the file's bytes and, when Qt can decode it, a preview image (DICOM: none)."""
    data = read_scan(path)
    image = QImage.fromData(data)
    return data, (None if image.isNull() else image)
