"""Scans of pulled reports that did not download: kept on a retry list and fetched again, with backoff.

A report made on another device arrives without its scan; the scan comes from
`/report_image/<id>`. When that fetch fails (the line drops, the server restarts), the report is
saved anyway, marked `scan_downloading`, and its scan goes on the list in `settings/sync`. Every
pass retries the entries that are due; each failure doubles the wait (`base_s`, up to `cap_s`).
A scan the server says it does not have leaves the list (the report then says the scan is missing).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from desktop_app.core.api_client import ApiError, RequestRejected, ServerFailed, ServerUnreachable
from desktop_app.core.errors import user_message_of
from desktop_app.core.sync.wire import (
    SCAN_DOWNLOADING as DOWNLOADING,  # the flag on a listed report
)

log = logging.getLogger(__name__)

NOT_ON_SERVER = "scan_not_on_server"  # on a report whose scan the server said it does not have


class MissingScans:
    """The retry list of one engine: local report id -> {server_id, user, attempts, next_at}."""

    def __init__(self, store, state, *, base_s: float = 5.0, cap_s: float = 900.0):
        self.store = store
        self.state = state
        self.base_s = base_s
        self.cap_s = cap_s

    def __len__(self) -> int:
        return len(self.state.missing_scans())

    def fetch(self, call_as: Callable, user: str, server_id: str) -> str | None:
        """The blob hash of a report's scan, or None when it did not come (the caller lists it)."""
        try:
            return self.store.blobs.put(call_as(user, lambda c: c.report_image(server_id)))
        except (ApiError, OSError) as exc:
            log.warning("the scan of report %s could not be fetched: %s", server_id,
                        user_message_of(exc, str(exc)))
            return None

    def add(self, report_id: str, server_id: str, user: str, now_ms: int) -> None:
        self.state.set_missing_scan(report_id, {"server_id": server_id, "user": user, "attempts": 1,
                                                "next_at": now_ms + self._wait_ms(1)})

    def list_earlier_losses(self, now_ms: int) -> int:
        """Lists reports pulled before this list existed that came without their scan; returns how many.

        Such a report was saved without its image and without a mark, and the cursor has moved
        past it; the server says whether it has a scan (a 404 takes the entry off again).
        """
        listed = self.state.missing_scans()
        lost = [doc for doc in self.store.collection("reports").all()
                if doc.get("server_id") and doc.get("id") == doc.get("server_id")
                and not doc.get("image_hash") and not doc.get(NOT_ON_SERVER) and doc["id"] not in listed]
        for doc in lost:
            self.state.set_missing_scan(doc["id"], {"server_id": doc["server_id"], "user": None,
                                                    "attempts": 0, "next_at": now_ms})
        return len(lost)

    def retry_due(self, call_as: Callable, users: set[str], now_ms: int) -> list[str]:
        """Fetches the due scans of `users`; returns the report ids whose scan arrived.

        An entry without a user (listed by `list_earlier_losses`) is fetched by any of `users`.

        An unreachable server or a 5xx ends the round (the rest wait for the next pass) without
        failing the pass: the reports themselves are already here.
        """
        arrived = []
        for report_id, entry in sorted(self.state.missing_scans().items()):
            user = entry.get("user") or min(users, default=None)
            if user not in users or entry.get("next_at", 0) > now_ms:
                continue
            try:
                data = call_as(user, lambda c, sid=entry["server_id"]: c.report_image(sid))
            except RequestRejected as exc:
                log.warning("the server has no scan for report %s (%s)", entry["server_id"], exc.user_message)
                self._settle(report_id, None)
                continue
            except (ServerUnreachable, ServerFailed) as exc:
                self._failed(report_id, entry, now_ms, exc)
                break
            self._settle(report_id, self.store.blobs.put(data))
            arrived.append(report_id)
        return arrived

    def _failed(self, report_id: str, entry: dict[str, Any], now_ms: int, exc: ApiError) -> None:
        attempts = int(entry.get("attempts") or 0) + 1
        self.state.set_missing_scan(report_id, {**entry, "attempts": attempts, "next_at": now_ms + self._wait_ms(attempts)})
        log.info("the scan of report %s is still not here (%s); try %d", entry["server_id"], exc.user_message, attempts)

    def _settle(self, report_id: str, image_hash: str | None) -> None:
        """The scan arrived (`image_hash`) or never will (None): the report stops waiting for it."""
        reports = self.store.collection("reports")
        doc = reports.get(report_id)
        if doc is not None:
            doc = {k: v for k, v in doc.items() if k != DOWNLOADING}
            if image_hash:
                doc.update(image_hash=image_hash, image_name=doc.get("image_name") or "scan")
            else:
                doc[NOT_ON_SERVER] = True  # asked once; never listed again
            reports.put(report_id, doc)
        self.state.set_missing_scan(report_id, None)

    def _wait_ms(self, attempts: int) -> int:
        return int(min(self.cap_s, self.base_s * 2 ** (attempts - 1)) * 1000)
