"""Our own record, pulled as a separate copy before our send's answer arrived, folded into the original.

A pull can meet our report (or message) on the server before the answer to our own send comes
back (the answer was lost; the resend returns the same server id later). Until then the pulled
record lives here as a copy under its server id; it may have gathered a doctor's review, a
notification, a draft or a queued review of its own. When the id arrives all of that moves to
the original (the merge rule is `merge.fold_pulled_copy`), then the copy is removed.
"""

from __future__ import annotations

import logging
from typing import Any

from desktop_app.core.sync.merge import fold_pulled_copy
from desktop_app.core.sync.outbox_kinds import ReviewReport

log = logging.getLogger(__name__)


class CopyFolder:
    """Folds copies into originals for one store; `fold` before the originals are written, `finish` after."""

    def __init__(self, store, notifications):
        self.store = store
        self.notifications = notifications

    def fold(self, name: str, pairs: list[tuple[str, str]], now_ms: int) -> dict[str, dict[str, Any]]:
        """The originals with their copies folded in, by id, for (original id, copy id) `pairs`
        whose both documents are here. Nothing is written yet."""
        docs = self.store.collection(name)
        folded = {}
        for original_id, copy_id in pairs:
            original, copy_doc = docs.get(original_id), docs.get(copy_id)
            if original is None or copy_doc is None:
                continue
            if name == "reports":
                original = fold_pulled_copy(original, copy_doc, self._unsent_review(original_id), now_ms).doc
            folded[original_id] = original
        return folded

    def finish(self, name: str, pairs: list[tuple[str, str]]) -> None:
        """Moves what pointed at each copy to its original, then removes the copies (after the
        originals were written: a crash in between leaves a copy that is folded again next time)."""
        docs = self.store.collection(name)
        gone = []
        for original_id, copy_id in pairs:
            if docs.get(original_id) is None:
                continue  # nothing to fold into: the copy stays the record
            if self.notifications is not None:
                self.notifications.repoint(copy_id, original_id)
            if name == "reports":
                self._move_queued_reviews(copy_id, original_id)
                self._move_draft(copy_id, original_id)
            gone.append(copy_id)
            log.info("pulled copy %s folded into %s", copy_id, original_id)
        if gone:
            docs.delete_many(gone)

    def _unsent_review(self, report_id: str) -> dict[str, Any] | None:
        reviews = [e.payload for e in self.store.outbox.pending()
                   if e.kind == ReviewReport.name and (e.payload or {}).get("report_id") == report_id]
        return reviews[-1] if reviews else None

    def _move_queued_reviews(self, copy_id: str, original_id: str) -> None:
        outbox = self.store.outbox
        for entry in outbox.pending():
            if entry.kind == ReviewReport.name and (entry.payload or {}).get("report_id") == copy_id:
                # A key derived from the old one: after a crash here the append is a no-op.
                # The review keeps its id, so the server applies it once even if the old entry did go.
                payload = {**entry.payload, "report_id": original_id,
                           "review_id": entry.payload.get("review_id") or entry.key}
                ReviewReport.queue(outbox, payload, key=f"{entry.key}>{original_id}")
                outbox.mark_done(entry.key)

    def _move_draft(self, copy_id: str, original_id: str) -> None:
        drafts = self.store.collection("drafts")
        draft = drafts.get(copy_id)
        if draft is None:
            return
        if drafts.get(original_id) is None:
            drafts.put(original_id, {**draft, "report_id": original_id})
        drafts.delete(copy_id)
