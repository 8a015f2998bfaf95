"""A report as a printable PDF: scan, heatmap, probabilities, status, doctor's notes, model version, disclaimer."""

from __future__ import annotations

import html
import io
import logging
import os
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import QMarginsF, QUrl
from PySide6.QtGui import QGuiApplication, QImage, QPageLayout, QPageSize, QPdfWriter, QTextDocument

from desktop_app.core.sync.wire import SCAN_DOWNLOADING
from desktop_app.core.wording import finding_text, model_percent
from desktop_app.ui.theme import STATUS_COLOURS
from desktop_app.ui.widgets.image_view import array_to_qimage, heatmap_to_rgba

if TYPE_CHECKING:
    from desktop_app.core.services import AppServices

log = logging.getLogger(__name__)

DISCLAIMER = (
    "This report was produced with the help of software that analyses brain MRI images. The software's "
    "result is a preliminary triage aid, not a diagnosis. Only a qualified doctor can interpret the scan in "
    "the context of the patient's history and examination. If you have new or worsening symptoms, contact "
    "your doctor; in an emergency call your local emergency number."
)
STATUS_TEXT = {
    "pending": "Preliminary result — awaiting review by your doctor",
    "approved": "Reviewed and confirmed by a doctor",
    "rejected": "Reviewed: the preliminary result was not confirmed",
}
_IMAGE_WIDTH = 260  # points in the document's layout; the PDF keeps the full resolution
_BAR_WIDTH = 200


def ensure_gui_application() -> QGuiApplication:
    """A Qt application for painting; off-screen when there is no display (CLI on a server, CI).

    A full QApplication, not a QGuiApplication: the process may show widgets later (the app, a
    test session), and Qt allows only one application object per process.
    """
    app = QGuiApplication.instance()
    if app is None:
        from PySide6.QtWidgets import QApplication

        headless = sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
        if headless:
            os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        app = QApplication([sys.argv[0] if sys.argv else "tumorpredict"])
    return app


def export_report_pdf(services: AppServices, report_id: str, out_path: str | os.PathLike) -> Path:
    """Writes report `report_id` (as the signed-in user may see it) to `out_path`; returns the path."""
    ensure_gui_application()
    report = services.reports.get(report_id)
    if report is None:
        from desktop_app.core.reports import ReportError

        raise ReportError("This report is not on this computer.")
    patient = services.accounts.get(report.get("username") or "")
    reviewer = services.accounts.get(report["reviewed_by"]) if report.get("reviewed_by") else None
    scan = _scan_image(services, report)
    overlay = _overlay_image(services, report_id)
    document = build_document(
        report,
        scan=scan,
        overlay=overlay,
        clinic_name=services.settings.clinic_name,
        patient_name=patient.full_name if patient and patient.full_name else report.get("username", ""),
        reviewer_name=reviewer.display_name if reviewer else report.get("reviewed_by"),
    )
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".part")
    writer = QPdfWriter(str(tmp))
    writer.setTitle(f"TumorPredict report {report_id}")
    writer.setCreator("TumorPredict Desktop")
    writer.setPageLayout(QPageLayout(QPageSize(QPageSize.PageSizeId.A4), QPageLayout.Orientation.Portrait,
                                     QMarginsF(15, 15, 15, 15), QPageLayout.Unit.Millimeter))
    document.print_(writer)
    del writer  # finishes the file
    if not tmp.exists() or tmp.stat().st_size == 0:
        raise OSError(f"the PDF could not be written to {out}")
    os.replace(tmp, out)  # a half-written PDF never takes the name
    log.info("report %s exported to %s", report_id, out)
    return out


def build_document(
    report: dict[str, Any],
    *,
    scan: QImage | None,
    overlay: QImage | None,
    clinic_name: str,
    patient_name: str,
    reviewer_name: str | None,
) -> QTextDocument:
    """The report laid out as rich text with its images attached as resources."""
    document = QTextDocument()
    images = []
    for name, image in (("scan", scan), ("heatmap", overlay)):
        if image is not None and not image.isNull():
            document.addResource(QTextDocument.ResourceType.ImageResource, QUrl(f"report://{name}"), image)
            images.append((name, image))
    document.setHtml(_html(report, images, clinic_name, patient_name, reviewer_name))
    return document


def _html(report: dict[str, Any], images, clinic_name: str, patient_name: str, reviewer_name: str | None) -> str:
    e = html.escape
    status = report.get("status") or "pending"
    banner_colour = STATUS_COLOURS.get(status, "#333")
    rows = [
        ("Patient", patient_name),
        ("Scan date", _date(report.get("timestamp"))),
        ("Image file", report.get("image_name") or ""),
        ("Report id", report.get("server_id") or report.get("id")),
    ]
    if status != "pending":
        rows.append(("Reviewed by", f"{reviewer_name or '—'} on {_date(report.get('reviewed_at'))}"))
        if report.get("confirmed_label"):
            rows.append(("Doctor's finding", finding_text(report["confirmed_label"])))
        if report.get("reject_reason"):
            rows.append(("Reason", report["reject_reason"]))
    details = "".join(f"<tr><td style='color:#555;padding-right:12px'>{e(k)}</td><td>{e(str(v))}</td></tr>" for k, v in rows)
    captions = {"scan": "MRI scan", "heatmap": "Regions that most influenced the software (heatmap)"}
    figure = "".join(
        f"<td align='center' style='padding:4px'><img src='report://{name}' width='{_IMAGE_WIDTH}' "
        f"height='{int(_IMAGE_WIDTH * image.height() / max(1, image.width()))}'><br>"
        f"<span style='color:#555;font-size:8pt'>{e(captions[name])}</span></td>"
        for name, image in images
    )
    if not any(name == "scan" for name, _ in images):
        # Never leave the scan out silently: say why it is not in this PDF.
        figure += ("<td>The scan is still downloading from the server. Export the PDF again after the next sync.</td>"
                   if report.get(SCAN_DOWNLOADING) else "<td>The scan is not available on this computer.</td>")
    probabilities = sorted((report.get("probabilities") or {}).items(), key=lambda kv: -kv[1])
    bars = "".join(
        f"<tr><td style='padding-right:8px'>{e(label)}</td><td width='{_BAR_WIDTH}'>"
        f"<table cellspacing='0' cellpadding='0'><tr><td width='{max(1, round(p * _BAR_WIDTH))}' height='10' "
        f"style='background:#2f6db5'></td></tr></table></td>"
        f"<td align='right' style='padding-left:8px;white-space:nowrap'>{model_percent(p, 1)}</td></tr>"
        for label, p in probabilities
    )
    confidence = report.get("confidence")
    mri = report.get("is_brain_mri")
    mri_text = "" if mri is None else ("The image looks like a brain MRI." if mri else "The image may not be a brain MRI.")
    notes = e(report.get("doctor_notes") or "No notes yet.").replace("\n", "<br>")
    return f"""
<html><body style="font-family:sans-serif;font-size:10pt">
<p style="font-size:9pt;color:#555">{e(clinic_name or "TumorPredict Desktop")}</p>
<h2 style="margin-bottom:2px">Brain MRI report</h2>
<p style="font-size:12pt;font-weight:bold;color:{banner_colour}">{e(STATUS_TEXT.get(status, status))}</p>
<table>{details}</table>
<table width="100%"><tr>{figure}</tr></table>
<h3>Software result</h3>
<p><b>{e(finding_text(report.get("label")))}</b>{"" if confidence is None else f" — confidence {model_percent(confidence)}"}. {e(mri_text)}</p>
<table>{bars}</table>
<h3>Doctor's notes</h3>
<p>{notes}</p>
<p style="font-size:8pt;color:#555">Model version: {e(str(report.get("model_version") or "unknown"))}.
Exported {e(datetime.now().strftime("%d %b %Y %H:%M"))}.</p>
<p style="font-size:8pt;color:#555"><i>{e(DISCLAIMER)}</i></p>
</body></html>"""


def _scan_image(services: AppServices, report: dict[str, Any]) -> QImage | None:
    """The original scan (DICOM included) as a grey image; the model's view when it cannot be read."""
    try:
        from desktop_app.core.imaging.scan import load_gray

        gray = load_gray(services.reports.image(report["id"]), report.get("image_name"))
        return array_to_qimage(np.asarray(gray, dtype=np.uint8))
    except Exception as exc:  # any unreadable image: fall back rather than fail the export
        log.info("scan of report %s not decodable for the PDF (%s)", report.get("id"), exc)
    model_png = services.reports.model_image_png(report["id"])
    return QImage.fromData(model_png) if model_png else None


def _overlay_image(services: AppServices, report_id: str) -> QImage | None:
    """The heatmap blended over the image the model saw, or None when the report kept no heatmap."""
    heat_png = services.reports.heatmap_png(report_id)
    base_png = services.reports.model_image_png(report_id)
    if not heat_png or not base_png:
        return None
    from PIL import Image

    heat = np.asarray(Image.open(io.BytesIO(heat_png)).convert("L"), dtype=np.float32) / 255.0
    base = np.asarray(Image.open(io.BytesIO(base_png)).convert("L").resize(heat.shape[::-1]), dtype=np.float32)
    rgba = heatmap_to_rgba(heat).astype(np.float32)
    alpha = rgba[..., 3:4] / 255.0 * 0.6
    blended = base[..., None] * (1 - alpha) + rgba[..., :3] * alpha
    return array_to_qimage(np.clip(blended, 0, 255).astype(np.uint8))


def _date(ms: Any) -> str:
    return datetime.fromtimestamp(ms / 1000).strftime("%d %b %Y %H:%M") if ms else "—"
