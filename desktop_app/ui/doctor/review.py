"""The review screen: scan with heatmap, the model's view, prior scans, notes and the decision."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Protocol

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QDialog,
    QFrame,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.errors import user_message_of
from desktop_app.ui.doctor.drafts import DraftSaver
from desktop_app.ui.doctor.formatting import (
    confidence_text,
    date_text,
    finding_text,
    label_key_of,
    label_text,
    patient_key,
    patient_text,
    short_date_text,
    status_text,
    study_date_text,
)
from desktop_app.ui.doctor.heatmaps import ScanLoader, ScanPixels
from desktop_app.ui.doctor.keys import bind_keys
from desktop_app.ui.doctor.reject_dialog import RejectDialog
from desktop_app.ui.doctor.slice_strip import SliceStrip, slice_note
from desktop_app.ui.widgets.common import (
    Banner,
    Card,
    ElidedLabel,
    ProbabilityBars,
    StatusPill,
    button,
    label,
)
from desktop_app.ui.widgets.image_view import ImageView, is_flat_heatmap
from desktop_app.ui.workers import run_in_background, write_lane

if TYPE_CHECKING:
    from desktop_app.core.services import AppServices

log = logging.getLogger(__name__)

ACTION_TEXT = {"approve": "approved", "reject": "rejected", "save": "saved notes",
               "create": "created", "created": "created", "conflict": "conflict noted",
               "synced": "decision received from the server"}


class ReviewNavigator(Protocol):
    """What the review needs from the list it was opened from."""

    def next_pending(self, after_report_id: str | None) -> dict | None: ...
    def pending_position(self, report_id: str) -> tuple[int, int] | None: ...
    def history(self, username: str) -> list[dict]: ...
    def name_of(self, username: str) -> str: ...


def audit_line(entry: dict, name_of) -> str:
    """One audit-trail entry in words: '28 Nov 2026 14:05 · Dr Reed approved · Glioma'."""
    action = ACTION_TEXT.get(entry.get("action", ""), entry.get("action", "changed"))
    who = name_of(entry["by"]) if entry.get("by") else "Someone"
    parts = [date_text(entry.get("at")), f"{who} {action}"]
    if entry.get("label"):
        parts.append(f"finding: {label_text(entry['label'])}")
    if entry.get("notes"):
        notes = entry["notes"].strip().replace("\n", " ")
        parts.append(f"“{notes[:80]}{'…' if len(notes) > 80 else ''}”")
    return " · ".join(parts)


def conflict_text(conflict, name_of) -> str:
    """The other decision that raced this one, in words."""
    if isinstance(conflict, dict):
        who = name_of(conflict.get("by") or conflict.get("reviewed_by") or "") or "another reviewer"
        status = status_text(conflict.get("status")).lower()
        when = date_text(conflict.get("at") or conflict.get("reviewed_at"))
        notes = (conflict.get("doctor_notes") or conflict.get("notes") or "").strip()
        said = f" Their notes: “{notes[:160]}”." if notes else ""
        return (f"{who} also reviewed this report on another computer ({status}, {when}).{said} "
                "Check both decisions and confirm the right one.")
    return ("This report was also reviewed on another computer. "
            "Check both decisions and confirm the right one.")


COMPARE_MIN_SIDE = 360  # px each scan needs to be compared side by side


class ReviewPanel(QWidget):
    """Everything needed to decide one report, operable from the keyboard alone.

    Ctrl+Enter approve · Ctrl+R reject · Ctrl+S save notes · Ctrl+N or J next pending ·
    Ctrl+E notes · Ctrl+I image · Ctrl+H heatmap · Ctrl+P compare · Esc back to the list.
    """

    back_requested = Signal()
    decided = Signal(dict)  # the updated report after approve / reject / save
    opened = Signal(str)  # report id, once its texts are on screen

    def __init__(self, services: AppServices, doctor: str, navigator: ReviewNavigator,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("reviewPanel")
        self.setAccessibleName("Report review")
        self.services = services
        self.doctor = doctor
        self.navigator = navigator
        self.report: dict | None = None
        self._restoring_notes = False
        self._busy = False
        self._compare_id: str | None = None
        self._showing_slice: str | None = None  # a non-key slice of the series is on screen
        self._run_done = 0  # decisions made since the doctor last opened a report from a list

        self.loader = ScanLoader(services, self)
        self.loader.scan_ready.connect(self._on_scan)
        self.loader.scan_failed.connect(self._on_scan_failed)
        self.loader.heatmap_ready.connect(self._on_heatmap)
        self.loader.heatmap_failed.connect(self._on_heatmap_failed)
        self.drafts = DraftSaver(services.reports.save_draft, self)
        self.drafts.saved.connect(self._on_draft_saved)
        self.drafts.failed.connect(self._show_error)

        root = QVBoxLayout(self)
        root.setContentsMargins(24, 16, 24, 16)
        root.setSpacing(10)
        root.addLayout(self._build_header())
        self.conflict_banner = Banner("", "error", title="Conflicting decisions", parent=self)
        self.conflict_banner.setVisible(False)
        root.addWidget(self.conflict_banner)
        self.error_banner = Banner("", "error", parent=self)
        self.error_banner.setVisible(False)
        root.addWidget(self.error_banner)
        self.done_banner = Banner("", "done", parent=self)
        self.done_banner.setAccessibleName("Decision saved")
        self.done_banner.setVisible(False)
        root.addWidget(self.done_banner)

        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(self._build_images())
        splitter.addWidget(self._build_side())
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([820, 400])
        root.addWidget(splitter, 1)
        self._install_shortcuts()
        self._set_enabled(False)

    # ----- building -----------------------------------------------------------------------
    def _build_header(self) -> QHBoxLayout:
        row = QHBoxLayout()
        row.setSpacing(12)
        self.back_button = button("← Reports", "link", accessible="Back to the report list (Escape)")
        self.back_button.setToolTip("Back to the list (Esc)")
        self.back_button.clicked.connect(self.go_back)
        row.addWidget(self.back_button)
        titles = QVBoxLayout()
        titles.setSpacing(0)
        self.title = label("", "title")
        self.subtitle = ElidedLabel("", "subtitle")
        titles.addWidget(self.title)
        titles.addWidget(self.subtitle)
        row.addLayout(titles, 1)
        self.status_pill = StatusPill("pending", self)
        row.addWidget(self.status_pill)
        row.addSpacing(12)
        self.position_label = label("", "muted")
        self.position_label.setAccessibleName("Position in the pending queue")
        row.addWidget(self.position_label)
        self.next_button = button("Next pending →", accessible="Next pending report (Control+N)")
        self.next_button.setToolTip("Open the next pending report (Ctrl+N or J)")
        self.next_button.clicked.connect(self.open_next_pending)
        row.addWidget(self.next_button)
        return row

    def _build_images(self) -> QWidget:
        box = QWidget(self)
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        self.slice_strip = SliceStrip(self.services, box)
        self.slice_strip.slice_chosen.connect(self._on_slice_chosen)
        self.slice_strip.slice_ready.connect(self._on_slice_ready)
        layout.addWidget(self.slice_strip)
        self.images = QSplitter(Qt.Orientation.Horizontal, box)
        self.image_view = ImageView(box)
        self.image_view.set_placeholder_text("Loading scan…")
        self.image_view.heatmap_toggled.connect(self._on_heatmap_toggled)
        self.images.addWidget(self.image_view)
        compare = QWidget(box)
        compare_layout = QVBoxLayout(compare)
        compare_layout.setContentsMargins(0, 0, 0, 0)
        compare_layout.setSpacing(4)
        caption_row = QHBoxLayout()
        self.compare_caption = label("", "muted", wrap=True)
        self.compare_close = button("Close", "link", accessible="Close the comparison (Control+P)")
        self.compare_close.setToolTip("Close the comparison (Ctrl+P)")
        self.compare_close.clicked.connect(self.hide_comparison)
        caption_row.addWidget(self.compare_caption, 1)
        caption_row.addWidget(self.compare_close)
        self.compare_view = ImageView(compare, show_toolbar=False)
        self.compare_view.setAccessibleName("Other scan of this patient, for comparison")
        compare_layout.addLayout(caption_row)
        compare_layout.addWidget(self.compare_view, 1)
        self.compare_box = compare
        self.compare_box.setVisible(False)
        self.images.addWidget(compare)
        self.images.setStretchFactor(0, 1)
        self.images.setStretchFactor(1, 1)
        layout.addWidget(self.images, 1)
        self.heatmap_note = label("", "muted", wrap=True)
        layout.addWidget(self.heatmap_note)
        self.slice_strip.slice_failed.connect(self.heatmap_note.setText)
        return box

    def _build_side(self) -> QWidget:
        scroll = QScrollArea(self)
        self.side_scroll = scroll
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setMinimumWidth(380)
        side = QWidget(scroll)
        side.setObjectName("screen")
        layout = QVBoxLayout(side)
        layout.setContentsMargins(4, 0, 14, 0)  # room for the scroll bar beside the cards
        layout.setSpacing(12)

        model_card = Card("Model result", side)
        self.finding_label = label("", "big")
        self.finding_label.setAccessibleName("Model finding")
        model_card.body.addWidget(self.finding_label)
        self.probabilities = ProbabilityBars(model_card)
        model_card.body.addWidget(self.probabilities)
        self.mri_verdict = label("", wrap=True)
        self.mri_verdict.setAccessibleName("Is this a brain MRI")
        model_card.body.addWidget(self.mri_verdict)
        self.model_version = label("", "muted")
        model_card.body.addWidget(self.model_version)
        layout.addWidget(model_card)

        notes_card = Card("Notes to the patient", side)
        self.notes = QPlainTextEdit(notes_card)
        self.notes.setAccessibleName("Doctor's notes")
        self.notes.setPlaceholderText("Findings and advice… (saved as a draft while you type)")
        self.notes.setTabChangesFocus(True)
        self.notes.setMinimumHeight(90)
        self.notes.setMaximumHeight(150)
        self.notes.textChanged.connect(self._on_notes_changed)
        notes_card.body.addWidget(self.notes)
        self.draft_label = label("", "muted")
        self.draft_label.setAccessibleName("Draft state")
        notes_card.body.addWidget(self.draft_label)
        actions = QHBoxLayout()
        actions.setSpacing(8)
        self.approve_button = button("Approve", "primary", accessible="Approve (Control+Enter)")
        self.approve_button.setToolTip("Approve the finding (Ctrl+Enter)")
        self.reject_button = button("Reject…", "danger", accessible="Reject (Control+R)")
        self.reject_button.setToolTip("Reject and record the correct finding (Ctrl+R)")
        self.save_button = button("Save notes", accessible="Save notes (Control+S)")
        self.save_button.setToolTip("Save the notes without deciding (Ctrl+S)")
        self.approve_button.clicked.connect(self.approve)
        self.reject_button.clicked.connect(self.reject)
        self.save_button.clicked.connect(self.save_notes)
        for widget in (self.approve_button, self.reject_button, self.save_button):
            actions.addWidget(widget)
        actions.addStretch(1)
        notes_card.body.addLayout(actions)
        self.shortcut_hint = label("Ctrl+Enter approve · Ctrl+R reject · Ctrl+S save notes\n"
                                   "Ctrl+N next · Ctrl+E notes · Ctrl+I image · Ctrl+P compare · Esc list",
                                   "muted", wrap=True)
        notes_card.body.addWidget(self.shortcut_hint)
        layout.addWidget(notes_card)

        history_card = Card("This patient's other reports", side)
        self.history_list = QListWidget(history_card)
        self.history_list.setAccessibleName("This patient's other reports, newest first")
        self.history_list.setMaximumHeight(150)
        self.history_list.currentItemChanged.connect(self._on_history_selected)
        history_card.body.addWidget(self.history_list)
        self.compare_hint = label("Choose one to see it beside this scan (Ctrl+P: the one "
                                  "just before).",
                                  "muted", wrap=True)
        history_card.body.addWidget(self.compare_hint)
        self.history_empty = label("No earlier reports for this patient.", "muted")
        history_card.body.addWidget(self.history_empty)
        # Beside the patient's other reports, not in the header: there it pushed the patient's
        # name and the status out of a 1100-pixel window.
        self.pacs_button = button("Find in PACS…", accessible="Find this patient's other studies in the PACS")
        self.pacs_button.setToolTip("Search the PACS for this patient's earlier studies and pull one here")
        self.pacs_button.clicked.connect(self.find_in_pacs)
        history_card.body.addWidget(self.pacs_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(history_card)

        audit_card = Card("Audit trail", side)
        self.audit_list = QListWidget(audit_card)
        self.audit_list.setAccessibleName("Who did what on this report, and when")
        self.audit_list.setMaximumHeight(130)
        self.audit_list.setWordWrap(True)
        self.audit_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        audit_card.body.addWidget(self.audit_list)
        layout.addWidget(audit_card)
        layout.addStretch(1)
        scroll.setWidget(side)
        return scroll

    def _install_shortcuts(self) -> None:
        bindings = [
            (("Ctrl+Return", "Ctrl+Enter"), self.approve),
            (("Ctrl+R",), self.reject),
            (("Ctrl+S",), self.save_notes),
            (("Ctrl+N", "J"), self.open_next_pending),
            (("Ctrl+E",), self.notes.setFocus),
            (("Ctrl+I",), self.image_view.canvas.setFocus),
            (("Ctrl+H",), self.image_view.toggle_heatmap),
            (("Ctrl+P",), self.toggle_comparison),
            (("Ctrl+=", "Ctrl++"), self.image_view.zoom_in),
            (("Ctrl+-",), self.image_view.zoom_out),
            (("Ctrl+0",), self.image_view.fit),
            (("Escape",), self.go_back),
        ]
        self.shortcuts = bind_keys(self, bindings)

    def _set_shortcuts_enabled(self, enabled: bool) -> None:
        for shortcut in self.shortcuts.values():
            shortcut.setEnabled(enabled)

    # ----- opening ------------------------------------------------------------------------
    def open_report(self, report: dict, *, continuing: bool = False) -> None:
        """Show one report; texts appear at once, the scan and heatmap as they load.

        `continuing`: opened by "next" after a decision, so the run's progress and its
        confirmation stay; opened from a list, both start afresh."""
        self.drafts.flush()  # the previous report's last words go to the store first
        if not continuing:
            self._run_done = 0
            self.done_banner.setVisible(False)
        self.report = report
        self._hide_error()
        self.title.setText(patient_text(report, self.navigator.name_of))
        series = report.get("series")
        # A long series description or scanner export name gives way in the middle; the
        # tooltip keeps it all.
        if series:
            self.subtitle.set_full_text(
                f"{series.get('series_description') or 'MR series'} · study of "
                f"{study_date_text(series.get('study_date'))} · received "
                f"{date_text(report.get('timestamp'))} from the scanner/PACS")
        else:
            self.subtitle.set_full_text(f"Scan of {date_text(report.get('timestamp'))} · "
                                        f"{report.get('image_name') or 'MRI'}")
        self.status_pill.set_status(report.get("status") or "pending")
        self._show_position()
        self._show_model(report)
        self._show_conflict(report)
        self._show_audit(report)
        self._show_history(report)
        self._restore_notes(report)
        self.image_view.clear()
        self.image_view.set_placeholder_text("Loading scan…")
        self.heatmap_note.setText("")
        self._showing_slice = None
        self.slice_strip.show_report(report)
        self._set_enabled(True)
        self.loader.load_scan(report["id"])
        self.side_scroll.verticalScrollBar().setValue(0)  # the finding first, not where the last one was left
        self.opened.emit(report["id"])

    def scan_arrived(self, report: dict) -> None:
        """A scan that was still downloading came with a sync: show it without reopening the report."""
        # Only a report opened without its scan: one that has it (a series on another slice) is left alone.
        if (self.report is not None and report.get("id") == self.report["id"] and report.get("image_hash")
                and not self.report.get("image_hash")):
            self.report = {**self.report, "image_hash": report["image_hash"]}
            self.loader.load_scan(report["id"])

    def _show_position(self) -> None:
        """'Pending 2 of 4': this run's progress, counting the scans decided since it started, so
        the number goes up as the queue goes down (it read '4 of 4' then '1 of 3')."""
        position = self.navigator.pending_position(self.report["id"]) if self.report else None
        if position is None:
            self.position_label.setText("")
            return
        done = self._run_done
        self.position_label.setText(f"Pending {done + position[0]} of {done + position[1]}")

    def _show_model(self, report: dict) -> None:
        key = label_key_of(report)
        self.finding_label.setText(
            f"{label_text(key, report.get('label'))} · {confidence_text(report.get('confidence'))}")
        self.probabilities.set_probabilities(report.get("probabilities") or {})
        if report.get("is_brain_mri") is False:
            self.mri_verdict.setText("⚠ This image may not be a brain MRI. Check it before deciding.")
            self.mri_verdict.setStyleSheet("color: #B45309; font-weight: 600;")
        elif report.get("abstained"):
            self.mri_verdict.setText(
                "⚠ The model could not judge this scan (unlike its training data, or unsure): "
                "its best guess is shown; read the scan yourself.")
            self.mri_verdict.setStyleSheet("color: #B45309; font-weight: 600;")
        else:
            self.mri_verdict.setText("✓ The image looks like a brain MRI.")
            self.mri_verdict.setStyleSheet("color: #15803D;")
        version = report.get("model_version")
        self.model_version.setText(f"Model version {version}" if version else "")

    def _show_conflict(self, report: dict) -> None:
        conflict = report.get("conflict")
        self.conflict_banner.setVisible(bool(conflict))
        if conflict:
            self.conflict_banner.set_text(conflict_text(conflict, self.navigator.name_of))

    def _show_audit(self, report: dict) -> None:
        self.audit_list.clear()
        for entry in reversed(report.get("audit") or []):  # newest first
            self.audit_list.addItem(audit_line(entry, self.navigator.name_of))
        if not report.get("audit"):
            self.audit_list.addItem(f"{date_text(report.get('timestamp'))} · scan uploaded, "
                                    "awaiting review")

    def _show_history(self, report: dict) -> None:
        self.history_list.blockSignals(True)
        self.history_list.clear()
        earlier = [r for r in self.navigator.history(patient_key(report))
                   if r["id"] != report["id"]]
        for other in earlier:
            study_date = (other.get("series") or {}).get("study_date")
            when = f"study of {study_date_text(study_date)}" if study_date else short_date_text(other.get("timestamp"))
            text = (f"{when} · "
                    f"{label_text(label_key_of(other), other.get('label'))} · "
                    f"{status_text(other.get('status'))}")
            confirmed = other.get("confirmed_label")
            if confirmed and confirmed != label_key_of(other):
                text += f" → {finding_text(confirmed)}"
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, other)
            self.history_list.addItem(item)
        self.history_list.blockSignals(False)
        self.history_list.setVisible(bool(earlier))
        self.compare_hint.setVisible(bool(earlier))
        self.history_empty.setVisible(not earlier)
        self.hide_comparison()

    def toggle_comparison(self) -> None:
        """Ctrl+P: the latest earlier scan beside this one, or close the comparison."""
        if not self.compare_box.isHidden():
            self.hide_comparison()
        elif self.history_list.count():
            row = self.history_list.currentRow()
            if row < 0:  # the scan just before this one, else the newest other one
                row = next((index for index in range(self.history_list.count())
                            if self._history_report(index).get("timestamp", 0)
                            < (self.report or {}).get("timestamp", 0)), 0)
            self.history_list.setCurrentRow(row)
            self._on_history_selected(self.history_list.item(row))

    def _history_report(self, row: int) -> dict:
        return self.history_list.item(row).data(Qt.ItemDataRole.UserRole)

    def hide_comparison(self) -> None:
        self._compare_id = None
        self.compare_view.clear()
        self.compare_box.setVisible(False)

    def _restore_notes(self, report: dict) -> None:
        draft = self.services.reports.load_draft(report["id"])
        text = draft if draft is not None else (report.get("doctor_notes") or "")
        self._restoring_notes = True
        self.notes.setPlainText(text)
        self._restoring_notes = False
        self.draft_label.setText("Unsaved draft restored." if draft is not None
                                 and draft != (report.get("doctor_notes") or "") else "")

    # ----- async arrivals -----------------------------------------------------------------
    def _on_scan(self, scan: ScanPixels) -> None:
        if self.report is not None and scan.report_id == self.report["id"] and self._showing_slice is None:
            self.image_view.set_image(scan.pixels)
            cached = self.loader.cached_heatmap(scan.report_id)
            if cached is not None:
                self._on_heatmap(scan.report_id, cached)
            else:
                self.heatmap_note.setText("Computing heatmap…")
                self.loader.load_heatmap(scan.report_id)
            self._prefetch_next()
        elif scan.report_id == self._compare_id:
            self.compare_view.set_image(scan.pixels)

    def _on_scan_failed(self, report_id: str, reason: str) -> None:
        if self.report is not None and report_id == self.report["id"]:
            self.image_view.set_placeholder_text(reason)
        elif report_id == self._compare_id:
            self.compare_view.set_placeholder_text(reason)

    def _on_heatmap(self, report_id: str, heat: np.ndarray) -> None:
        scan = self.loader.cached_scan(report_id)
        if self.report is not None and report_id == self.report["id"] and scan is not None:
            self.image_view.set_heatmap(heat, scan.model_region)
            if is_flat_heatmap(heat):
                self.heatmap_note.setText("The heatmap marks no particular region: the model's "
                                          "attention is spread evenly over this scan.")
            else:
                self.heatmap_note.setText("Heatmap ready: press H on the image or Ctrl+H to "
                                          "show where the model looked.")

    def _on_heatmap_failed(self, report_id: str, reason: str) -> None:
        if self.report is not None and report_id == self.report["id"]:
            self.heatmap_note.setText(reason)

    def _on_heatmap_toggled(self, visible: bool) -> None:
        heat = self.loader.cached_heatmap(self.report["id"]) if self.report else None
        if visible and heat is not None and not is_flat_heatmap(heat):
            self.heatmap_note.setText("Heatmap shown: warm colours mark the regions that drove "
                                      "the model's finding.")

    # ----- the slices of a received series ---------------------------------------------------
    def _on_slice_chosen(self, item: dict, is_key: bool) -> None:
        """The key slice is the report's own scan; the others arrive as the model saw them."""
        self._showing_slice = None if is_key else item.get("sop_uid")
        if self.report is not None and is_key:
            self.loader.load_scan(self.report["id"])
        elif not is_key:
            self.heatmap_note.setText("Loading slice…")

    def _on_slice_ready(self, item: dict, gray: np.ndarray, heat) -> None:
        if self._showing_slice != item.get("sop_uid"):
            return  # another slice was chosen meanwhile
        self.image_view.set_image(gray)
        self.image_view.set_heatmap(heat)  # kept aligned to the whole slice
        self.heatmap_note.setText(slice_note(item))

    def find_in_pacs(self) -> None:
        """Search the PACS for this patient (their DICOM Patient ID) and pull an earlier study here."""
        from desktop_app.ui.doctor.pacs_dialog import PacsDialog

        report = self.report or {}
        patient_id = (report.get("series") or {}).get("patient_id") or report.get("username") or ""
        PacsDialog(self.services, patient_id=patient_id, parent=self).open()

    def _prefetch_next(self) -> None:
        """Warm the cache with the next pending scan so 'next' opens instantly."""
        upcoming = self.navigator.next_pending(self.report["id"] if self.report else None)
        if upcoming is not None:
            self.loader.load_scan(upcoming["id"])

    def _on_history_selected(self, current: QListWidgetItem | None, _previous=None) -> None:
        if current is None:
            return
        other = current.data(Qt.ItemDataRole.UserRole)
        self._compare_id = other["id"]
        earlier = (other.get("timestamp") or 0) < (self.report or {}).get("timestamp", 0)
        when = "Earlier" if earlier else "Later"
        self.compare_caption.setText(
            f"{when} scan · {short_date_text(other.get('timestamp'))} · "
            f"{label_text(label_key_of(other), other.get('label'))}")
        self.compare_view.clear()
        self.compare_view.set_placeholder_text("Loading earlier scan…")
        if self.compare_box.isHidden():
            self.compare_box.setVisible(True)
            self._arrange_comparison(even=True)
        self.loader.load_scan(other["id"])

    def _arrange_comparison(self, even: bool = False) -> None:
        """Two scans side by side where there is room for both, else one above the other: at the
        default 1100×760 window side by side left the earlier scan a strip beside the viewer."""
        if self.compare_box.isHidden():
            return
        side_by_side = self.images.width() >= 2 * COMPARE_MIN_SIDE
        orientation = Qt.Orientation.Horizontal if side_by_side else Qt.Orientation.Vertical
        if self.images.orientation() != orientation:
            self.images.setOrientation(orientation)
            even = True
        if even:  # a resize otherwise keeps the split the doctor chose
            length = self.images.width() if side_by_side else self.images.height()
            self.images.setSizes([max(1, length // 2)] * 2)

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._arrange_comparison()

    # ----- notes --------------------------------------------------------------------------
    def _on_notes_changed(self) -> None:
        if self._restoring_notes or self.report is None:
            return
        self.draft_label.setText("Draft…")
        self.drafts.schedule(self.report["id"], self.notes.toPlainText())

    def _on_draft_saved(self, report_id: str) -> None:
        if self.report is not None and report_id == self.report["id"]:
            self.draft_label.setText("Draft saved on this computer.")

    # ----- decisions ----------------------------------------------------------------------
    def approve(self) -> None:
        self._decide("approve")

    def save_notes(self) -> None:
        self._decide("save")

    def is_busy(self) -> bool:
        """True while a decision is being written or the reject dialog is open."""
        return self._busy

    def reject(self) -> None:
        if self.report is None or self._busy:
            return
        dialog = RejectDialog(label_key_of(self.report), self)
        self._busy = True  # the panel's own keys must not act behind the dialog
        self._set_shortcuts_enabled(False)
        try:
            accepted = dialog.exec() == QDialog.DialogCode.Accepted
        finally:
            self._busy = False
            self._set_shortcuts_enabled(True)
        if accepted:
            self._decide("reject", label=dialog.finding(), reason=dialog.reason())

    def _decide(self, action: str, *, label: str | None = None, reason: str = "") -> None:
        if self.report is None or self._busy:
            return
        self._busy = True
        self._set_enabled(False)
        self.drafts.cancel()  # the decision carries the notes; a late draft must not follow it
        report_id, notes = self.report["id"], self.notes.toPlainText().strip()
        run_in_background(
            self.services.reports.review, report_id, self.doctor, action,
            notes=notes, label=label, reason=reason, pool=write_lane(), owner=self,
            on_result=lambda updated: self._on_decided(action, updated),
            on_error=self._on_decision_failed,
        )

    def _on_decided(self, action: str, updated: dict) -> None:
        self._busy = False
        self._set_enabled(True)
        self.decided.emit(updated)
        if self.report is None or updated["id"] != self.report["id"]:
            return
        if action == "save":
            self.report = updated
            self.status_pill.set_status(updated.get("status") or "pending")
            self._show_audit(updated)
            self.draft_label.setText("Notes saved.")
            return
        self._run_done += 1
        self._confirm_decision(action, updated)
        self.open_next_pending(after=updated["id"], finished=updated)

    def _confirm_decision(self, action: str, updated: dict) -> None:
        verb = "Approved" if action == "approve" else "Rejected"
        who = self.navigator.name_of(updated.get("username", ""))
        what = f"✓ {verb}: {who}, scan of {date_text(updated.get('timestamp'))}."
        upcoming = self.navigator.next_pending(updated["id"])
        then = " Here is the next pending scan." if upcoming is not None else " No more scans are waiting."
        self.done_banner.set_text(what + then)
        self.done_banner.setVisible(True)

    def _on_decision_failed(self, exc: Exception) -> None:
        self._busy = False
        self._set_enabled(True)
        log.warning("review decision failed: %s", exc)
        self._show_error(user_message_of(
            exc, "The decision could not be saved. Your notes are kept; try again."))
        if self.report is not None:  # the typed notes stay a draft
            self.drafts.schedule(self.report["id"], self.notes.toPlainText())

    # ----- navigation ---------------------------------------------------------------------
    def open_next_pending(self, after: str | None = None, finished: dict | None = None) -> None:
        if self._busy:
            return
        after = after or (self.report["id"] if self.report else None)
        upcoming = self.navigator.next_pending(after)
        if upcoming is None:
            if finished is not None:
                self.open_report(finished, continuing=True)  # the decision just made, its audit trail
            self.position_label.setText("No more pending reports")
            return
        self.open_report(upcoming, continuing=True)

    def go_back(self) -> None:
        if self._busy:
            return
        self.drafts.flush()
        self.back_requested.emit()

    # ----- state --------------------------------------------------------------------------
    def _set_enabled(self, enabled: bool) -> None:
        has_report = enabled and self.report is not None
        # Decided reports stay editable: a doctor may revise a decision; the audit keeps both.
        for widget in (self.approve_button, self.reject_button, self.save_button):
            widget.setEnabled(has_report)
        self.notes.setReadOnly(not has_report)

    def _show_error(self, text: str) -> None:
        self.error_banner.set_text(text)
        self.error_banner.setVisible(True)
        QTimer.singleShot(8000, self._hide_error)

    def _hide_error(self) -> None:
        self.error_banner.setVisible(False)

    def closeEvent(self, event) -> None:  # noqa: N802
        self.drafts.flush()
        super().closeEvent(event)

