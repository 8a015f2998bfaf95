"""One scan result: the image with its heatmap, the finding, a bar per class, review state, notes."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.labels import NO_TUMOUR, NOT_ASSESSABLE, finding_texts, key_of
from desktop_app.core.wording import finding_text, model_percent
from desktop_app.ui.widgets.common import (
    Banner,
    Card,
    ProbabilityBars,
    StatusPill,
    format_time,
    label,
)
from desktop_app.ui.widgets.image_view import ImageView, is_flat_heatmap

PRELIMINARY_TITLE = "Preliminary result — awaiting review by your doctor"
PRELIMINARY_TEXT = (
    "A computer model on this device produced this result; it is not a diagnosis. Your doctor "
    "will look at your scan and may change it. You will be notified when the review is done."
)
# The patient reads what happens next rather than the doctors' short form of "not assessable".
NOT_ASSESSABLE_FOR_PATIENT = "Not assessable from this image — your doctor will arrange another scan"


ABSTAINED_FINDING = "For your doctor to judge"
ABSTAINED_SUMMARY = ("The model cannot judge this scan: it looks unlike the scans it learned from, or "
                     "the model is unsure. It gives no finding; your doctor will look at the scan.")


def plain_summary(label_text: str, confidence: float | None) -> str:
    """One sentence a patient can read without medical training."""
    share = model_percent(confidence) if confidence is not None else "an unknown"
    label_text = finding_text(label_text)
    if key_of(label_text) == NO_TUMOUR:
        return (f"The model did not find a pattern of the three tumour types it knows "
                f"({share} confidence). Only your doctor can confirm what the scan shows.")
    return (f"The model's closest match is “{label_text}” ({share} confidence). This does not "
            f"mean you have it: only your doctor can confirm what the scan shows.")


def _confirmed_text(key: str | None) -> str:
    """The doctor's confirmed finding in a patient's words; empty when none was recorded."""
    if key == NOT_ASSESSABLE:
        return NOT_ASSESSABLE_FOR_PATIENT
    return finding_texts().get(key or "", "")


class ScanImagePanel(Card):
    """The scan with a heatmap overlay, an on/off toggle and an opacity slider."""

    def __init__(self, title: str = "Your scan", parent: QWidget | None = None) -> None:
        super().__init__(title, parent)
        self.view = ImageView(self, show_toolbar=False)
        self.view.setMinimumSize(220, 260)
        self.view.set_placeholder_text("No scan chosen yet")
        self.body.addWidget(self.view, 1)
        self.controls = QWidget(self)
        controls = QHBoxLayout(self.controls)
        controls.setContentsMargins(0, 0, 0, 0)
        self.heatmap_toggle = QCheckBox("Show heatmap", self)
        self.heatmap_toggle.setAccessibleName("Show heatmap")
        self.heatmap_toggle.setToolTip("Colours the areas the model paid most attention to (H)")
        self.heatmap_toggle.toggled.connect(self.view.set_heatmap_visible)
        self.view.heatmap_toggled.connect(self._sync_toggle)
        self.opacity = QSlider(Qt.Orientation.Horizontal, self)
        self.opacity.setRange(0, 100)
        self.opacity.setValue(45)
        self.opacity.setAccessibleName("Heatmap opacity")
        self.opacity.setToolTip("Heatmap opacity")
        self.opacity.valueChanged.connect(lambda v: self.view.set_heatmap_opacity(v / 100))
        self.opacity_label = QLabel("Opacity", self)
        controls.addWidget(self.heatmap_toggle)
        controls.addSpacing(12)
        controls.addWidget(self.opacity_label)
        controls.addWidget(self.opacity, 1)
        self.body.addWidget(self.controls)
        self.hint = label("", "muted", wrap=True)
        self.hint.setVisible(False)
        self.body.addWidget(self.hint)
        self._set_heatmap_available(False)

    def _sync_toggle(self, visible: bool) -> None:
        self.heatmap_toggle.blockSignals(True)
        self.heatmap_toggle.setChecked(visible)
        self.heatmap_toggle.blockSignals(False)

    def _set_heatmap_available(self, available: bool) -> None:
        for widget in (self.heatmap_toggle, self.opacity, self.opacity_label):
            widget.setEnabled(available)

    def show_image(self, image, heatmap: np.ndarray | None = None, *, heat_on: bool = True) -> bool:
        shown = self.view.set_image(image)
        self.set_heatmap(heatmap, heat_on=heat_on)
        return shown

    def set_heatmap(self, heatmap: np.ndarray | None, *, heat_on: bool = True) -> None:
        self.view.set_heatmap(heatmap)
        self._set_heatmap_available(heatmap is not None)
        if heatmap is None:
            self.set_hint("")
        elif is_flat_heatmap(heatmap):  # drawn transparent by the viewer: say why nothing shows
            self.set_hint("The heatmap marks no particular area: the model's attention was "
                          "spread evenly over this scan.")
        else:
            self.set_hint("Warm colours mark the areas that most influenced the result.")
        if heatmap is not None:
            self.view.set_heatmap_opacity(self.opacity.value() / 100)
            self.view.set_heatmap_visible(heat_on)
        self._sync_toggle(self.view.heatmap_visible())

    def set_hint(self, text: str) -> None:
        self.hint.setText(text)
        self.hint.setVisible(bool(text))

    def show_picture_only(self, image) -> None:
        """A picture the model gives no finding for: no heatmap controls at all."""
        self.show_image(image)
        self.controls.setVisible(False)

    def clear(self) -> None:
        self.view.clear()
        self.controls.setVisible(True)
        self._set_heatmap_available(False)
        self._sync_toggle(False)
        self.set_hint("")


class FindingCard(Card):
    """The model's finding, a bar for each class, model version and time, review state, notes."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(None, parent)
        self.banner = Banner(PRELIMINARY_TEXT, "review", title=PRELIMINARY_TITLE)
        self.body.addWidget(self.banner)
        head = QHBoxLayout()
        column = QVBoxLayout()
        column.setSpacing(2)
        column.addWidget(label("Model finding", "label"))
        self.finding = label("", "big")
        self.finding.setAccessibleName("Model finding")
        column.addWidget(self.finding)
        head.addLayout(column, 1)
        self.status = StatusPill("pending")
        head.addWidget(self.status, 0, Qt.AlignmentFlag.AlignTop)
        self.body.addLayout(head)
        self.confidence = label("", "subtitle")
        self.confidence.setAccessibleName("Confidence")
        self.body.addWidget(self.confidence)
        self.summary = label("", None, wrap=True)
        self.body.addWidget(self.summary)
        self.body.addSpacing(4)
        self.bars_caption = label("How sure the model is about each type", "label")
        self.body.addWidget(self.bars_caption)
        self.bars = ProbabilityBars(self)
        self.body.addWidget(self.bars)
        self.review_box = QWidget(self)
        review = QVBoxLayout(self.review_box)
        review.setContentsMargins(0, 8, 0, 0)
        review.setSpacing(4)
        self.review_title = label("", "section")
        self.review_text = label("", None, wrap=True)
        self.review_text.setAccessibleName("Doctor's notes")
        review.addWidget(self.review_title)
        review.addWidget(self.review_text)
        self.body.addWidget(self.review_box)
        self.meta = label("", "muted", wrap=True)
        self.meta.setAccessibleName("Model version and time")
        self.body.addWidget(self.meta)
        self._report: dict = {"status": "pending"}
        self._reviewer_name = ""

    def set_reviewer_name(self, name: str) -> None:
        """The reviewing doctor's display name (looked up off the UI thread by the owner)."""
        self._reviewer_name = name
        self._show_review(self._report)

    def show_result(self, *, label_text: str, confidence: float | None,
                    probabilities: dict[str, float], model_version: str, when_ms: int | None,
                    timings_ms: dict | None = None, report: dict | None = None) -> None:
        if (report or {}).get("id") != self._report.get("id"):
            self._reviewer_name = ""  # another report: its reviewer is looked up afresh
        abstained = bool((report or {}).get("abstained"))
        self.finding.setText(ABSTAINED_FINDING if abstained else finding_text(label_text))
        self.confidence.setText(
            f"{model_percent(confidence)} confidence" if confidence is not None and not abstained else "")
        self.summary.setText(ABSTAINED_SUMMARY if abstained else plain_summary(label_text, confidence))
        self.bars.set_probabilities(probabilities or {})
        self.bars.setVisible(not abstained)  # no numbers that read like a finding
        self.bars_caption.setVisible(not abstained)
        took = ""
        total_ms = (timings_ms or {}).get("total")
        if total_ms:
            took = (" · analysed in under a second" if total_ms < 1000
                    else f" · analysed in {total_ms / 1000:.1f} s")
        self.meta.setText(f"Model {model_version or 'unknown'} · {format_time(when_ms)}{took}")
        self._show_review(report or {"status": "pending"})

    def _show_review(self, report: dict) -> None:
        self._report = report
        status = report.get("status") or "pending"
        self.status.set_status(status)
        self.banner.setVisible(status == "pending")
        notes = (report.get("doctor_notes") or "").strip()
        confirmed = _confirmed_text(report.get("confirmed_label"))
        reviewer = self._reviewer_name or report.get("reviewed_by") or "your doctor"
        if status == "pending":
            self.review_box.setVisible(False)
            return
        self.review_box.setVisible(True)
        when = format_time(report.get("reviewed_at"))
        if status == "approved":
            self.review_title.setText(f"Reviewed by {reviewer} · {when}")
        else:
            self.review_title.setText(f"Not confirmed by {reviewer} · {when}")
        parts = []
        if confirmed:
            parts.append(f"Doctor's finding: {confirmed}.")
        if report.get("reject_reason"):
            parts.append(f"Reason: {report['reject_reason']}")
        parts.append(notes or "No notes were added.")
        self.review_text.setText("\n".join(parts))
