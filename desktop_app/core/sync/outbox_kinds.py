"""The kinds of change the outbox carries: one class each, behind one interface, found in one registry.

Producers queue through the classes (`CreateReport.queue(outbox, report_id)`), never with a
kind string of their own; the engine asks the class of an entry who sends it (`owner`), which
entries must keep their order with it (`lane`), how to send it (`send`, DONE or WAIT) and what a
refusal means for it (`on_refused`). Adding a kind is one class here and one line in `KINDS`.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, ClassVar

from desktop_app.core.api_client import RequestRejected
from desktop_app.core.sync.ids import legacy_message_match, legacy_report_match
from desktop_app.core.sync.wire import STATUS_TO_ACTION, prediction_payload

if TYPE_CHECKING:
    from desktop_app.core.sync.session import SyncPass, SyncSession

log = logging.getLogger(__name__)

DONE, WAIT = "done", "wait"  # WAIT: depends on something not yet on the server


def entry_field(entry: Any, name: str) -> Any:
    return entry.get(name) if isinstance(entry, dict) else getattr(entry, name)


def _payload(entry: Any) -> dict[str, Any]:
    return entry_field(entry, "payload") or {}


class OutboxKind:
    """One kind of outbox entry; the defaults suit a kind that belongs to a user and waits."""

    name: ClassVar[str] = ""
    record: ClassVar[str] = ""  # the payload field naming the record the change is about

    @classmethod
    def key(cls, record_id: str) -> str:
        """The fixed key of the record's change: `requeue_unsent` can tell whether it was ever queued."""
        return f"{cls.name}:{record_id}"

    @classmethod
    def queue(cls, outbox, record_id: str, key: str | None = None):
        """Puts the change in the outbox (durable on return; the same key twice queues it once)."""
        return outbox.append(cls.name, {cls.record: record_id}, key=key or cls.key(record_id))

    def owner(self, session: SyncSession, entry: Any) -> str | None:
        """The user whose credentials send this entry."""
        return _payload(entry).get("username")

    def lane(self, session: SyncSession, entry: Any) -> str:
        """Entries in one lane keep their order; different lanes may be sent side by side."""
        return f"{self.name}:{self.owner(session, entry) or ''}"

    def send(self, session: SyncSession, ctx: SyncPass, entry: Any, owner: str) -> str:
        return WAIT

    def note_unsent(self, ctx: SyncPass, entry: Any) -> None:
        """What a pass must know of this entry while it is queued (for merging and adoption)."""

    def on_refused(self, session: SyncSession, ctx: SyncPass, entry: Any) -> None:
        """After a 4xx the entry stays queued and is tried again each pass."""


class CreateReport(OutboxKind):
    """A report made on this device: `/predict` with its scan and the device's own result."""

    name, record = "create_report", "report_id"

    def owner(self, session: SyncSession, entry: Any) -> str | None:
        return (session.store.collection("reports").get(_payload(entry).get("report_id")) or {}).get("username")

    def lane(self, session: SyncSession, entry: Any) -> str:
        return f"report:{_payload(entry).get('report_id')}"  # its reviews follow it

    def note_unsent(self, ctx: SyncPass, entry: Any) -> None:
        ctx.unsent_creates[_payload(entry).get("report_id")] = entry_field(entry, "key")

    def send(self, session: SyncSession, ctx: SyncPass, entry: Any, owner: str) -> str:
        key, payload = entry_field(entry, "key"), _payload(entry)
        report = session.store.collection("reports").get(payload["report_id"])
        if report is None or report.get("server_id"):
            return DONE
        legacy = session.client.capabilities.legacy
        earlier = session.state.attempt(key)
        if legacy and earlier is not None and self._adopt_legacy(session, ctx, owner, report, key, earlier):
            return DONE
        image = session.store.blobs.get(report["image_hash"]) if report.get("image_hash") else b""
        attempt = session.client.server_now_ms()
        if not session.client.capabilities.honours_idempotency_keys:
            session.state.record_attempt(key, attempt)  # a lost answer must be findable later
        result = session.call_as(owner, lambda c: c.predict(
            owner, image, client_report_id=report["id"], prediction=prediction_payload(report),
            timestamp_ms=report.get("timestamp"),
        ))
        session.learn_server_kind()
        if result.report_id:
            session.map_report(report["id"], result.report_id)
        elif not self._adopt_legacy(session, ctx, owner, report, key, attempt):
            log.warning("report %s reached the legacy server but was not found in its list yet", report["id"])
            return WAIT
        session.state.clear_attempt(key)
        return DONE

    @staticmethod
    def _adopt_legacy(session: SyncSession, ctx: SyncPass, owner: str, report: dict, key: str, attempt: int) -> bool:
        page = session.call_as(owner, lambda c: c.list_reports(owner))
        return _adopt_listed(page.items, session.report_ids, legacy_report_match, session.adopt_report,
                             ctx, report, key, attempt)


class ReviewReport(OutboxKind):
    """A doctor's decision or notes: `/doctor_update_report`, once its report is on the server."""

    name, record = "review_report", "report_id"

    @classmethod
    def queue(cls, outbox, payload: dict[str, Any], key: str | None = None):
        """`payload`: report_id, action, notes, label, reason, doctor (and review_id once moved)."""
        return outbox.append(cls.name, payload, key=key)

    def owner(self, session: SyncSession, entry: Any) -> str | None:
        payload = _payload(entry)
        doc = session.store.collection("reports").get(payload.get("report_id")) or {}
        reviews = [a.get("by") for a in doc.get("audit", []) if a.get("action") in ("approve", "reject", "save")]
        return payload.get("doctor") or (reviews[-1] if reviews else None) or doc.get("reviewed_by")

    def lane(self, session: SyncSession, entry: Any) -> str:
        return f"report:{_payload(entry).get('report_id')}"  # after the report's create

    def note_unsent(self, ctx: SyncPass, entry: Any) -> None:
        payload = _payload(entry)
        ctx.unsent_reviews[payload.get("report_id")] = payload

    def send(self, session: SyncSession, ctx: SyncPass, entry: Any, owner: str) -> str:
        key, payload = entry_field(entry, "key"), _payload(entry)
        report = session.store.collection("reports").get(payload["report_id"])
        if report is None:
            return DONE
        if not report.get("server_id"):
            return WAIT  # its create_report has not reached the server yet
        action = STATUS_TO_ACTION.get(payload.get("action"), payload.get("action") or "save")
        # The key makes a resend after a lost answer change nothing: no second audit row, the same
        # review time (a legacy server ignores it; there a resend only sets the same decision again).
        session.call_as(owner, lambda c: c.doctor_update_report(
            report["server_id"], action, payload.get("notes") or "",
            label=payload.get("label"), reason=payload.get("reason") or report.get("reject_reason"),
            client_review_id=payload.get("review_id") or key,
        ))
        return DONE


class SendMessage(OutboxKind):
    """A chat message: one `/send_message`, or part of a `/send_messages` batch (`push.py`)."""

    name, record = "send_message", "message_id"  # a retry after a refusal is queued under its own key

    def owner(self, session: SyncSession, entry: Any) -> str | None:
        return (session.store.collection("messages").get(_payload(entry).get("message_id")) or {}).get("sender")

    def lane(self, session: SyncSession, entry: Any) -> str:
        # A conversation keeps its order: the server stamps messages as they arrive.
        message = session.store.collection("messages").get(_payload(entry).get("message_id")) or {}
        return "chat:" + "|".join(sorted((str(message.get("sender")), str(message.get("receiver")))))

    def note_unsent(self, ctx: SyncPass, entry: Any) -> None:
        ctx.unsent_messages[_payload(entry).get("message_id")] = entry_field(entry, "key")

    def send(self, session: SyncSession, ctx: SyncPass, entry: Any, owner: str) -> str:
        key, payload = entry_field(entry, "key"), _payload(entry)
        messages = session.store.collection("messages")
        message = messages.get(payload["message_id"])
        if message is None or message.get("server_id"):
            return DONE
        earlier = session.state.attempt(key)
        if session.client.capabilities.legacy and earlier is not None:
            page = session.call_as(owner, lambda c: c.get_messages(message["sender"], message["receiver"]))
            if _adopt_listed(page.items, session.message_ids, legacy_message_match, session.adopt_message,
                             ctx, message, key, earlier):
                return DONE
        if not session.client.capabilities.honours_idempotency_keys:
            session.state.record_attempt(key, session.client.server_now_ms())
        server_id = session.call_as(owner, lambda c: c.send_message(
            message["sender"], message["receiver"], message["message"], client_message_id=message["id"],
        ))
        if not server_id:
            return WAIT
        session.map_message(message["id"], server_id)
        session.state.clear_attempt(key)
        return DONE

    def on_refused(self, session: SyncSession, ctx: SyncPass, entry: Any) -> None:
        # The message shows as failed; "Retry" in the chat queues it again (same id, never twice).
        messages = session.store.collection("messages")
        message = messages.get(_payload(entry).get("message_id"))
        if message is not None:
            messages.put(message["id"], {**message, "state": "failed"})
            ctx.report.changed_messages.add(message["id"])
        session.store.outbox.mark_done(entry_field(entry, "key"))


class FlUpload(OutboxKind):
    """A federated-learning update: a multipart `.npz` (a JSON array on a legacy server)."""

    name, record = "fl_upload", "update_id"

    @classmethod
    def key(cls, record_id: str) -> str:
        return f"fl-{record_id}"  # the key earlier versions queued updates under

    def owner(self, session: SyncSession, entry: Any) -> str | None:
        update = session.store.collection("fl_state").get(_payload(entry).get("update_id")) or {}
        return update.get("username") or session.current_user()

    def send(self, session: SyncSession, ctx: SyncPass, entry: Any, owner: str) -> str:
        payload = _payload(entry)
        fl_state = session.store.collection("fl_state")
        update = fl_state.get(payload["update_id"])
        if update is None or update.get("uploaded_at"):
            return DONE
        npz = session.store.blobs.get(update.get("npz_hash") or update.get("blob"))
        try:
            session.call_as(owner, lambda c: c.upload_weights_npz(
                owner, npz, num_examples=int(update.get("num_examples") or 0),
                base_version=update.get("base_version"), update_id=payload["update_id"],
            ))
        except RequestRejected as exc:
            if not session.client.capabilities.legacy and exc.code != "missing":
                raise
            # A legacy server only takes a JSON array of numbers.
            session.call_as(owner, lambda c: c.upload_weights_json(owner, _npz_as_flat_list(npz)))
        fl_state.put(payload["update_id"], {**update, "uploaded_at": session.now_ms()})
        return DONE


def _adopt_listed(items: list[dict], index, match, adopt, ctx: SyncPass, local: dict, key: str, attempt: int) -> bool:
    """Our record in a legacy server's list (an earlier send's answer was lost): adopted, True."""
    found = match(items, index, local, attempt)
    if found is None:
        return False
    adopt(ctx, local["id"], key, str(found["id"]))
    return True


def _npz_as_flat_list(npz: bytes) -> list[float]:
    import numpy as np

    from desktop_app.core.federated.npz_format import load_npz

    arrays, _meta = load_npz(npz)  # the metadata entry is text, not weights
    return [float(x) for name in sorted(arrays) for x in np.ravel(arrays[name])]


class RegisterAccount(OutboxKind):
    """An account made offline; it reaches the server at its next online sign-in, since the
    password is never kept (`RemoteAccounts.ensure_registered_and_login`)."""

    name, record = "register_account", "username"


KINDS: dict[str, OutboxKind] = {kind.name: kind for kind in (
    CreateReport(), ReviewReport(), SendMessage(), FlUpload(), RegisterAccount(),
)}


class _Unknown(OutboxKind):
    """An entry of a kind this version does not know (written by a newer one): it waits."""

    def lane(self, session: SyncSession, entry: Any) -> str:
        return f"{entry_field(entry, 'kind')}:{self.owner(session, entry) or ''}"


_UNKNOWN = _Unknown()


def kind_of(entry: Any) -> OutboxKind:
    return KINDS.get(entry_field(entry, "kind"), _UNKNOWN)
