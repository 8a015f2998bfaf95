"""Whole-series triage: read the middle slices of a received series and save one pending report."""

from __future__ import annotations

import logging
import uuid
from pathlib import Path
from typing import Any

from desktop_app.core.dicom.inbox import Inbox
from desktop_app.core.dicom.slices import (
    SeriesHeader,
    Slice,
    is_near_empty,
    middle_candidates,
    ordered_slices,
)
from desktop_app.core.dicom.verdict import key_slice_index, slice_result, summarise
from desktop_app.core.imaging import ImageError

log = logging.getLogger(__name__)

RECEIVER = "dicom-receiver"  # who the audit trail says created a received series' report
_SERIES_NAMESPACE = uuid.UUID("6f1d4c52-8e1b-4b0e-9f0a-5d0c1e7a2b11")


def report_id_for(series_uid: str) -> str:
    """One report per series: a series sent again updates its pending report instead of adding one."""
    return uuid.uuid5(_SERIES_NAMESPACE, series_uid).hex


class SeriesTriage:
    def __init__(self, inbox: Inbox, reports, accounts, engine_of):
        self.inbox = inbox
        self.reports = reports
        self.accounts = accounts
        self._engine_of = engine_of  # loads the model on first use

    def __call__(self, key: tuple[str, str]) -> dict[str, Any] | None:
        return self.triage(*key)

    def triage(self, study_uid: str, series_uid: str) -> dict[str, Any] | None:
        """The new pending report, or None (nothing readable, or the series was already reviewed)."""
        header, slices = ordered_slices(self.inbox.instances(study_uid, series_uid))
        if header is None:
            log.warning("series %s has no readable instance; no report", series_uid)
            return None
        existing = self.reports.raw(report_id_for(series_uid))
        if existing is not None and (existing.get("status") != "pending" or existing.get("server_id")):
            log.info("series %s was already reviewed or sent to the server; the instances sent again are kept, "
                     "the report is not changed", series_uid)
            return None
        read = self._read(slices)
        if not read:
            log.warning("series %s (%s): no slice could be read; no report", series_uid, header.series_description)
            return None
        return self._save(header, slices, read)

    def _read(self, slices: list[Slice]) -> list[tuple[Slice, bytes, Any]]:
        engine = self._engine_of()
        read = []
        for item in middle_candidates(slices):
            try:
                data = item.path.read_bytes()
                prediction = engine.predict_bytes(data, name=item.path.name)
            except (ImageError, OSError) as exc:
                blank = getattr(exc, "reason", None) == "blank"  # empty slices are normal at a series' ends
                log.log(logging.DEBUG if blank else logging.WARNING, "slice %s skipped: %s", item.sop_uid, exc)
                continue
            picture = getattr(prediction, "image", None)  # the decoded slice: no second decode
            if picture is None or not is_near_empty(picture):
                read.append((item, data, prediction))
        return read

    def _save(self, header: SeriesHeader, slices: list[Slice], read: list[tuple[Slice, bytes, Any]]) -> dict[str, Any]:
        results = [slice_result(prediction) for _, _, prediction in read]
        key = key_slice_index(results)
        summary = summarise(results)
        if key is None:
            log.warning("series %s (%s): %s No report was saved.", header.series_uid, header.series_description,
                        summary["summary"])
            return None
        strip = []
        for (item, _, prediction), result in zip(read, results, strict=True):
            strip.append({**result, "sop_uid": item.sop_uid, "instance_number": item.instance_number,
                          "index": slices.index(item),
                          "model_image_hash": self.reports.keep_png(getattr(prediction, "image", None), heatmap=False, fast=True),
                          "heatmap_hash": self.reports.keep_png(getattr(prediction, "heatmap", None), heatmap=True, fast=True)})
        key_item, key_bytes, key_prediction = read[key]
        # The key slice's pictures are the ones just kept for the strip: one encoding, the same blobs.
        key_fields = {**results[key], "image": None, "heatmap": None,
                      "model_version": getattr(key_prediction, "model_version", None),
                      "timings_ms": getattr(key_prediction, "timings_ms", None) or {}}
        extra = {"source": "dicom", "model_image_hash": strip[key]["model_image_hash"],
                 "heatmap_hash": strip[key]["heatmap_hash"],
                 "series": {**header.as_dict(), "instance_count": len(slices), "key_slice": key,
                            "slices": strip, **summary}}
        doc = self.reports.create_received(report_id_for(header.series_uid), self._patient_of(header), key_bytes,
                                           Path(key_item.path).name, key_fields, extra, created_by=RECEIVER)
        log.info("series %s (%s, %d instances) triaged: %s", header.series_uid, header.series_description,
                 len(slices), summary["summary"])
        return doc

    def _patient_of(self, header: SeriesHeader) -> str | None:
        """The local patient account whose username is the DICOM Patient ID, if there is one."""
        user = self.accounts.get(header.patient_id) if header.patient_id else None
        return user.username if user is not None and user.is_patient else None
