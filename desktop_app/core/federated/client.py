"""The clinic's federated-learning service: local dataset, local training, upload via the outbox, pull, rollback."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from desktop_app.core.federated import engine_bridge
from desktop_app.core.federated.dataset import (
    EmbeddingCache,
    LocalExample,
    class_counts,
    collect_examples,
    embed_examples,
)
from desktop_app.core.federated.errors import FederatedError
from desktop_app.core.federated.head import HeadWeights
from desktop_app.core.federated.history import STATE_COLLECTION, WeightsHistory
from desktop_app.core.federated.npz_format import (
    WeightsFileError,
    check_shapes,
    checksum,
    dump_npz,
    load_npz,
)
from desktop_app.core.federated.trainer import TrainConfig, TrainResult, train_head
from desktop_app.core.sync.outbox_kinds import FlUpload

log = logging.getLogger(__name__)

CLIENT_DOC = "client"
SERVER_META_DOC = "server_meta"


@dataclass
class TrainOutcome:
    result: TrainResult
    update_id: str
    class_names: list[str]


class FederatedClient:
    """One per app: reads reviewed reports from the store, trains the head, swaps the engine's head."""

    def __init__(self, store, engine_provider: Callable[[], Any], *, clinic: str = ""):
        self._store = store
        self._engine_provider = engine_provider
        self._docs = store.collection(STATE_COLLECTION)
        self.history = WeightsHistory(store)
        self.clinic = clinic
        self._cache = EmbeddingCache()

    @property
    def engine(self):
        return self._engine_provider()

    # ---- identity and versions -------------------------------------------------------------

    @property
    def client_id(self) -> str:
        """A random id for this installation, made once; it names no patient and no person."""
        doc = self._docs.get(CLIENT_DOC)
        if doc is None:
            doc = {"client_id": f"clinic-{uuid.uuid4().hex[:12]}", "created_at": _now_ms()}
            self._docs.put(CLIENT_DOC, doc)
        return doc["client_id"]

    def base_head(self) -> HeadWeights:
        return engine_bridge.base_head(self.engine)

    def active_head(self) -> HeadWeights:
        """The head predictions use now: the latest applied global version, or the shipped one."""
        entry = self.history.active_entry()
        if entry is None:
            return self.base_head()
        return HeadWeights.from_arrays(self.history.weights_of(entry["version"]), entry["version"])

    def active_version(self) -> str:
        return self.history.active_version() or self.base_head().version

    def restore(self) -> None:
        """Puts the active version into the engine (on start-up, after a rollback)."""
        entry = self.history.active_entry()
        engine_bridge.apply_head(self.engine, self.active_head() if entry else None)

    def restore_on_start(self) -> bool:
        """Like `restore`, but versions that no longer fit the installed model are rolled back.

        After an app update ships another model file, an old federated head would be meaningless
        (other embeddings) or unloadable (other shapes): it leaves the stack, and the version
        below it (or the shipped head) predicts. True when a federated version is in use.
        """
        while (entry := self.history.active_entry()) is not None:
            problem = self._unfit_reason(entry)
            if problem is None:
                engine_bridge.apply_head(self.engine, self.active_head())
                return True
            log.warning("federated weights %s rolled back: %s", entry["version"], problem)
            self.history.rollback()
        engine_bridge.apply_head(self.engine, None)
        return False

    def _unfit_reason(self, entry: dict[str, Any]) -> str | None:
        made_for = (entry.get("meta") or {}).get("model_id")
        if made_for and made_for != engine_bridge.model_id(self.engine):
            return "they were made for another model file"
        try:
            check_shapes(self.active_head().arrays(), self.base_head().arrays())
        except FederatedError as exc:
            return exc.user_message
        return None

    # ---- local dataset ---------------------------------------------------------------------

    def label_keys(self) -> list[str]:
        return engine_bridge.label_keys(self.engine)

    def examples(self) -> list[LocalExample]:
        return collect_examples(self._store.collection("reports").all(), self.label_keys())

    def dataset_counts(self) -> dict[str, int]:
        return class_counts(self.examples(), self.label_keys())

    def embeddings(
        self,
        examples: list[LocalExample] | None = None,
        *,
        progress: Callable[[int, int], None] | None = None,
        cancelled: Callable[[], bool] | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        engine = self.engine
        X, y, _ = embed_examples(
            self.examples() if examples is None else examples,
            lambda example: self._store.blobs.get(example.image_hash),
            lambda data, name: engine_bridge.embed(engine, data, name),
            engine_bridge.label_keys(engine),
            cache=self._cache,
            model_id=engine_bridge.model_id(engine),
            progress=progress,
            cancelled=cancelled,
        )
        return X, y

    def local_accuracy(self, head: HeadWeights) -> tuple[float, int]:
        """(accuracy on every confirmed local case, how many) — NaN when there are none."""
        X, y = self.embeddings()
        return (head.accuracy(X, y), len(y)) if len(y) else (float("nan"), 0)

    # ---- training and upload ---------------------------------------------------------------

    def train(
        self,
        config: TrainConfig | None = None,
        *,
        username: str | None = None,
        progress: Callable[[str, int, int], None] | None = None,
        cancelled: Callable[[], bool] | None = None,
    ) -> TrainOutcome:
        """Fine-tunes the active head on the local cases; the result waits as an update to upload.

        `progress(stage, done, total)` with stage "embedding" then "training". Raises NotEnoughData
        or TrainingCancelled; nothing is stored unless training finishes.
        """
        keys = self.label_keys()
        examples = self.examples()
        X, y = self.embeddings(
            examples,
            progress=(lambda d, t: progress("embedding", d, t)) if progress else None,
            cancelled=cancelled,
        )
        start = self.active_head()
        result = train_head(
            X,
            y,
            start,
            global_head=start,
            config=config or TrainConfig(),
            progress=(lambda e, m, _loss, _acc: progress("training", e, m)) if progress else None,
            cancelled=cancelled,
            class_names=keys,
            temperature=float(getattr(self.engine, "temperature", 1.0) or 1.0),
        )
        update_id = uuid.uuid4().hex
        meta = {
            "num_examples": result.num_train,
            "base_version": start.version,
            "model_id": engine_bridge.model_id(self.engine),
            "client_id": self.client_id,
            "update_id": update_id,
            "accuracy_before": _finite_or_none(result.accuracy_before),
            "accuracy_after": _finite_or_none(result.accuracy_after),
            "num_val": result.num_val,
            "class_counts": {keys[i]: n for i, n in result.class_counts.items()},
        }
        npz = dump_npz(result.weights.arrays(), meta)
        # The sync engine reads this document (by update id) when it sends the `fl_upload` entry.
        self._docs.put(
            update_id,
            {
                **meta,
                "id": update_id,
                "kind": "fl_update",
                "npz_hash": self._store.blobs.put(npz),
                "checksum": checksum(npz),
                "username": username,
                "created_at": _now_ms(),
                "queued_at": None,
                "uploaded_at": None,
            },
        )
        return TrainOutcome(result=result, update_id=update_id, class_names=keys)

    def updates(self) -> list[dict[str, Any]]:
        """Trained updates, oldest first, each with its `state`: ready, queued or uploaded."""
        docs = [
            dict(d, state=_update_state(d))
            for d in self._docs.all()
            if d.get("kind") == "fl_update"
        ]
        return sorted(docs, key=lambda d: d["created_at"])

    def update(self, update_id: str) -> dict[str, Any] | None:
        doc = self._docs.get(update_id)
        return (
            dict(doc, state=_update_state(doc)) if doc and doc.get("kind") == "fl_update" else None
        )

    def queue_upload(self, update_id: str | None = None) -> dict[str, Any]:
        """Puts the update (default: the latest trained one) in the outbox; the sync engine sends it."""
        if update_id:
            doc = self.update(update_id)
        else:
            doc = next((d for d in reversed(self.updates()) if d["state"] == "ready"), None)
        if doc is None:
            raise FederatedError("There is no new trained update to upload. Train locally first.")
        if doc["state"] != "ready":
            return doc
        FlUpload.queue(self._store.outbox, doc["id"])
        stored = self._docs.get(doc["id"])
        stored["queued_at"] = _now_ms()
        self._docs.put(doc["id"], stored)
        return dict(stored, state="queued")

    # ---- global weights --------------------------------------------------------------------

    def remember_server_meta(self, meta: dict[str, Any]) -> None:
        self._docs.put(SERVER_META_DOC, {"meta": meta, "fetched_at": _now_ms()})

    def server_meta(self) -> dict[str, Any] | None:
        doc = self._docs.get(SERVER_META_DOC)
        return doc["meta"] if doc else None

    def pull(self, remote, *, force: bool = False) -> dict[str, Any] | None:
        """Fetches the server's global weights and applies them; None when already up to date.

        `remote` has `get_global_meta()` and `download_global_weights()` (the API client).
        """
        meta = remote.get_global_meta()
        self.remember_server_meta(meta)
        version = str(meta.get("version") or "")
        if not meta.get("checksum"):
            raise FederatedError("The server has no shared model weights to download yet.")
        if meta.get("round") == 0 and self.history.active_entry() is None and not force:
            return None  # round 0 is the head this app shipped with: nothing newer to apply
        if version == self.history.active_version() and not force:
            return None
        if self.history.was_rolled_back(version) and not force:
            raise FederatedError(
                f"Version {version} was rolled back on this computer; pull again with force to use it anyway."
            )
        return self.apply_global(remote.download_global_weights(), meta)

    def apply_global(self, npz_bytes: bytes, meta: dict[str, Any]) -> dict[str, Any]:
        """Checks checksum and shapes, stores the file as a new version and switches the engine to it."""
        expected = meta.get("checksum")
        if expected and checksum(npz_bytes) != expected:
            raise WeightsFileError(
                "The downloaded weights do not match the server's checksum (damaged in transit); nothing was changed."
            )
        arrays, file_meta = load_npz(npz_bytes)
        base = self.base_head()
        check_shapes(arrays, base.arrays())
        file_model = file_meta.get("model_id")
        if file_model and file_model != engine_bridge.model_id(self.engine):
            raise WeightsFileError(
                "These weights were made for another model file; nothing was changed."
            )
        version = str(meta.get("version") or file_meta.get("version") or checksum(npz_bytes)[:12])
        head = HeadWeights.from_arrays(arrays, version)
        entry = self.history.activate(
            version,
            npz_bytes,
            source="global",
            meta={
                **{
                    k: meta.get(k)
                    for k in ("round", "contributors", "total_examples", "strategy", "updated")
                },
                "model_id": engine_bridge.model_id(self.engine),
            },
        )
        engine_bridge.apply_head(self.engine, head)
        self._note_accuracy(head)
        log.info("global weights %s applied", version)
        return self.history.entry(version) or entry

    def rollback(self) -> str:
        """Returns to the previous weights; the version now in use."""
        entry = self.history.rollback()
        self.restore()
        version = entry["version"] if entry else self.base_head().version
        log.info("rolled back to %s", version)
        return version

    def _note_accuracy(self, head: HeadWeights) -> None:
        try:
            accuracy, count = self.local_accuracy(head)
        except Exception:  # the figure is a nicety: never fail applying weights because of it
            log.exception("could not measure local accuracy of %s", head.version)
            return
        self.history.note(
            head.version, local_accuracy=_finite_or_none(accuracy), local_examples=count
        )

    # ---- status ----------------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        """Everything `fl status` and the screen show, from the store alone (no network)."""
        active = self.history.active_entry()
        return {
            "client_id": self.client_id,
            "active_version": self.active_version(),
            "base_version": self.base_head().version,
            "using_shipped_head": active is None,
            "server": self.server_meta(),
            "dataset": self.dataset_counts(),
            "history": self.history.entries(),
            "stack": self.history.stack(),
            "updates": self.updates(),
        }


def _update_state(doc: dict[str, Any]) -> str:
    if doc.get("uploaded_at"):
        return "uploaded"
    return "queued" if doc.get("queued_at") else "ready"


def _now_ms() -> int:
    return int(time.time() * 1000)


def _finite_or_none(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


def restore_federated_head(store, engine) -> bool:
    """Called once the app's engine is loaded: predictions resume with the clinic's active weights."""
    try:
        return FederatedClient(store, lambda: engine).restore_on_start()
    except (
        Exception
    ):  # a problem here must never stop the app from predicting with the shipped head
        log.exception("could not restore the federated weights; using the shipped head")
        return False
