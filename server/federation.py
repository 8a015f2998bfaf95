"""Federated rounds on the server: validating uploads, running an aggregation strategy, versioned globals."""

from __future__ import annotations

import io
import json
import logging
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from desktop_app.core.federated.npz_format import (
    MAX_ABS_WEIGHT,
    META_ENTRY,
    WeightsFileError,
    check_shapes,
    check_values,
    dump_npz,
    load_npz,
)
from server.aggregation import (
    AggregationError,
    ClientUpdate,
    auto_strategy_name,
    bound_update_norms,
    is_publishable,
    make_strategy,
    update_norm_bound,
)
from server.config import ServerConfig
from server.errors import ApiError
from server.storage import BlobStore, DuplicateError, Storage

log = logging.getLogger(__name__)

NO_VERSION = "v0"  # what /get_global_meta names "no global weights yet" (a legacy-shaped version string)


def version_name(round_number: int) -> str:
    return f"global-{round_number}"


class Federation:
    """Rounds: updates collect in round r+1 while version r is current; aggregating makes version r+1."""

    def __init__(self, storage: Storage, blobs: BlobStore, config: ServerConfig):
        self.storage = storage
        self.blobs = blobs
        self.config = config
        self._started = time.time()
        self._serving_cache: tuple[str, dict[str, np.ndarray]] | None = None

    # ---- the current global weights -------------------------------------------------------

    def current(self) -> dict[str, Any] | None:
        latest = self.storage.latest_version()
        if latest is None:
            latest = self._seed_initial()
        return latest

    def current_arrays(self, version: dict[str, Any] | None) -> dict[str, np.ndarray] | None:
        if version is None:
            return None
        return _stored_npz(self.blobs.get(version["blob_hash"]))[0]

    def serving_head(self) -> tuple[str, dict[str, np.ndarray]] | None:
        """The aggregated global weights server predictions should use (None: the shipped head)."""
        current = self.storage.latest_version()
        if current is None or current["round"] == 0:
            return None
        cached = self._serving_cache
        if cached is None or cached[0] != current["version"]:
            cached = (current["version"], self.current_arrays(current))
            self._serving_cache = cached
        if not is_publishable(cached[1], MAX_ABS_WEIGHT):
            # Weights published before the checks existed: predict with the shipped head, not 500.
            log.error("global weights %s are unusable; predicting with the shipped head "
                      "(roll back with `tumorpredict serve rollback`)", current["version"])
            return None
        return cached

    def open_round(self) -> int:
        current = self.current()
        return current["round"] + 1 if current else 1

    def _initial_head(self) -> tuple[dict[str, np.ndarray], str, str | None] | None:
        """(arrays, version, model id) of the starting weights: the configured file, else the shipped head."""
        try:
            if self.config.fl_initial_weights:
                arrays, meta = load_npz(Path(self.config.fl_initial_weights).read_bytes())
                return arrays, str(meta.get("version") or "base"), meta.get("model_id")
            from desktop_app.paths import models_dir

            folder = Path(self.config.model_dir or models_dir())
            description = folder / "model.json"
            if not description.exists():
                return None
            model = json.loads(description.read_text(encoding="utf-8"))
            arrays, _ = load_npz((folder / model["head"]["file"]).read_bytes())
            return {k: arrays[k] for k in ("W", "b")}, str(model["head"]["version"]), model.get("sha256")
        except (OSError, ValueError, KeyError, TypeError, WeightsFileError):
            log.exception("the initial federated weights are unusable; the first round starts from the uploads")
            return None

    def _seed_initial(self) -> dict[str, Any] | None:
        """Round 0: the shipped head (so uploads can be checked against its shapes from the start)."""
        initial = self._initial_head()
        if initial is None:
            return None
        arrays, name, model_id = initial
        self._store_version(arrays, name, 0, contributors=0, total_examples=0, strategy="initial",
                            params={}, by=None, model_id=model_id)
        return self.storage.latest_version()

    def meta(self) -> dict[str, Any]:
        """The legacy `version`/`updated` plus round, contributors, examples, checksum and what waits."""
        current = self.current()
        pending = len(self.storage.updates_for_round(current["round"] + 1 if current else 1))
        if current is None:
            return {"version": NO_VERSION, "updated": self._started, "round": 0, "contributors": 0,
                    "total_examples": 0, "checksum": None, "strategy": None, "pending_updates": pending}
        return {
            "version": current["version"], "updated": current["created_at"] / 1000.0,
            "round": current["round"], "contributors": current["contributors"],
            "total_examples": current["total_examples"], "checksum": current["checksum"],
            "strategy": current["strategy"], "pending_updates": pending,
        }

    def history(self) -> list[dict[str, Any]]:
        return [
            {"version": v["version"], "round": v["round"], "contributors": v["contributors"],
             "total_examples": v["total_examples"], "checksum": v["checksum"], "strategy": v["strategy"],
             "params": json.loads(v["params"]), "created_by": v["created_by"], "updated": v["created_at"] / 1000.0}
            for v in self.storage.versions()
        ]

    # ---- uploads --------------------------------------------------------------------------

    def accept_npz(self, username: str, data: bytes, form: dict[str, str]) -> tuple[dict[str, Any], bool]:
        """Validates and stores an `.npz` update for the open round; 4xx ApiError when it is refused."""
        try:
            arrays, meta = load_npz(data, max_bytes=self.config.fl_max_update_bytes)
        except WeightsFileError as exc:
            raise ApiError(400, "invalid_weights", message=str(exc)) from None
        if not arrays:
            raise ApiError(400, "invalid_weights", message="The weights file holds no arrays.")
        num_examples = _positive_int(form.get("num_examples", meta.get("num_examples")), "num_examples")
        base_version = form.get("base_version") or meta.get("base_version")
        if base_version is not None and (not isinstance(base_version, str) or len(base_version) > 200):
            raise ApiError(400, "invalid_field", field="base_version")
        current = self.current()
        if current is not None:
            try:
                check_shapes(arrays, self.current_arrays(current))
            except WeightsFileError as exc:
                raise ApiError(400, "shape_mismatch", message=str(exc)) from None
        self._check_staleness(base_version, current)
        return self._store_update(
            username=username, client_id=username, data=data, num_examples=num_examples,
            base_version=base_version, meta=meta, legacy=False,
            client_update_id=form.get("client_update_id") or meta.get("update_id"),
        )

    def accept_legacy(self, username: str, weights: Any) -> tuple[dict[str, Any], bool]:
        """The legacy JSON upload: one array named `weights`, kept; aggregated only if it fits the model."""
        try:
            array = np.asarray(weights, dtype=np.float64)  # float32 would turn 1e300 into inf unseen
        except (ValueError, TypeError, OverflowError, RecursionError):
            raise ApiError(400, "invalid_weights", message="The weights are not an array of numbers.") from None
        if array.size == 0 or array.nbytes > self.config.fl_max_update_bytes:
            raise ApiError(400, "invalid_weights", message="The weights array is empty or too large.")
        try:
            check_values("weights", array)
        except WeightsFileError as exc:
            raise ApiError(400, "invalid_weights", message=str(exc)) from None
        array = array.astype(np.float32)
        data = dump_npz({"weights": array}, {"legacy": True})
        return self._store_update(username=username, client_id=f"legacy:{username}", data=data, num_examples=0,
                                  base_version=None, meta={"legacy": True}, legacy=True, client_update_id=None)

    def _check_staleness(self, base_version: str | None, current: dict[str, Any] | None) -> None:
        if not base_version or current is None:
            return
        base = self.storage.get_version(base_version)
        # An unknown base (e.g. the head shipped with an app build) counts as round 0.
        lag = current["round"] - (base["round"] if base else 0)
        if lag > self.config.fl_max_staleness:
            raise ApiError(409, "stale_base_version", current_version=current["version"],
                           message="These weights start from an old shared model; pull the current one and train again.")

    def _store_update(self, *, username: str, client_id: str, data: bytes, num_examples: int,
                      base_version: str | None, meta: dict[str, Any], legacy: bool,
                      client_update_id: str | None) -> tuple[dict[str, Any], bool]:
        if client_update_id is not None and (not isinstance(client_update_id, str) or len(client_update_id) > 100):
            raise ApiError(400, "invalid_field", field="client_update_id")
        record = {
            "id": uuid.uuid4().hex, "round": self.open_round(), "username": username, "client_id": client_id,
            "client_update_id": client_update_id, "num_examples": num_examples, "base_version": base_version,
            "blob_hash": self.blobs.put(data), "meta": json.dumps(meta, default=str)[:20000], "legacy": legacy,
            "created_at": int(time.time() * 1000),
        }
        try:
            return self.storage.add_update(record)
        except DuplicateError:
            raise ApiError(409, "already_submitted", round=record["round"],
                           message="This account already sent an update for this round.") from None

    # ---- aggregation ----------------------------------------------------------------------

    def aggregate(self, by: str, strategy_name: str | None = None, params: dict[str, float] | None = None) -> dict[str, Any]:
        current = self.current()
        round_number = current["round"] + 1 if current else 1
        base_arrays = self.current_arrays(current)
        updates, skipped = self._usable_updates(round_number, base_arrays)
        if len(updates) < max(1, self.config.fl_min_updates):
            raise ApiError(409, "not_enough_updates", updates=len(updates), needed=max(1, self.config.fl_min_updates))
        name = strategy_name or self.config.fl_strategy
        if name == "auto":
            name = auto_strategy_name(len(updates))
        chosen = self._strategy_params(name, params or {})
        try:
            strategy = make_strategy(name, **chosen)
            if base_arrays is not None:
                bound = update_norm_bound(base_arrays, self.config.fl_max_update_norm_ratio)
                updates = bound_update_norms(updates, base_arrays, bound)
            new_weights = strategy.aggregate(updates, base_arrays)
        except (ValueError, TypeError) as exc:
            if not isinstance(exc, AggregationError):
                raise ApiError(400, "invalid_strategy", message=str(exc)) from None
            raise ApiError(409, "cannot_aggregate", message=str(exc)) from None
        if not is_publishable(new_weights, MAX_ABS_WEIGHT):
            log.error("round %d: %s gave weights that are not finite or far too large; nothing published",
                      round_number, name)
            raise ApiError(409, "cannot_aggregate",
                           message="Combining this round's updates gave unusable weights; the current "
                                   "shared model stays in use.")
        model_ids = {u.meta.get("model_id") for u in updates}
        model_id = model_ids.pop() if len(model_ids) == 1 else None
        total = sum(u.num_examples for u in updates)
        version = version_name(round_number)
        self._store_version(new_weights, version, round_number, contributors=len(updates), total_examples=total,
                            strategy=name, params=chosen, by=by, model_id=model_id)
        log.info("aggregated round %d with %s over %d update(s)", round_number, name, len(updates))
        return {**self.meta(), "skipped": skipped}

    def _usable_updates(self, round_number: int, base: dict[str, np.ndarray] | None) -> tuple[list[ClientUpdate], int]:
        updates = []
        for row in self.storage.updates_for_round(round_number):
            try:
                arrays, _ = load_npz(self.blobs.get(row["blob_hash"]))
            except WeightsFileError as exc:  # stored before today's checks: left out, not fatal
                log.warning("update %s from %s is left out of round %d: %s", row["id"], row["client_id"],
                            round_number, exc)
                continue
            updates.append(ClientUpdate(row["client_id"], arrays, int(row["num_examples"]), row["base_version"],
                                        json.loads(row["meta"] or "{}")))
        if base is not None:
            signature = _signature(base)
        else:  # no global yet: the most common layout wins (legacy single arrays do not mix with heads)
            counts = Counter(_signature(u.weights) for u in updates)
            signature = counts.most_common(1)[0][0] if counts else None
        usable = [u for u in updates if _signature(u.weights) == signature]
        return usable, len(self.storage.updates_for_round(round_number)) - len(usable)

    def rollback(self, version: str, by: str | None) -> dict[str, Any]:
        """Publishes the weights of an earlier `version` as the newest one (history stays append-only).

        Clients see a new version and pull it; updates trained on the abandoned weights stay unused.
        """
        target = self.storage.get_version(version)
        if target is None:
            raise ValueError(f"there is no global version named {version!r}")
        arrays, file_meta = _stored_npz(self.blobs.get(target["blob_hash"]))
        if not is_publishable(arrays, MAX_ABS_WEIGHT):
            raise ValueError(f"{version} holds unusable weights too; choose an earlier version")
        current = self.current()
        round_number = current["round"] + 1 if current else 1
        name = f"{version_name(round_number)}-rollback"
        self._store_version(arrays, name, round_number, contributors=0, total_examples=0, strategy="rollback",
                            params={"restored": version}, by=by, model_id=file_meta.get("model_id"))
        log.warning("global weights rolled back to %s as %s", version, name)
        return self.meta()

    def _strategy_params(self, name: str, overrides: dict[str, float]) -> dict[str, Any]:
        defaults = {
            "trimmed_mean": {"trim_fraction": self.config.fl_trim_fraction},
            "clipped_gaussian": {"clip_norm": self.config.fl_clip_norm,
                                 "noise_multiplier": self.config.fl_noise_multiplier},
        }.get(name, {})
        return {k: overrides.get(k, v) for k, v in defaults.items()}

    def _store_version(self, arrays: dict[str, np.ndarray], version: str, round_number: int, *, contributors: int,
                       total_examples: int, strategy: str, params: dict[str, Any], by: str | None,
                       model_id: str | None) -> None:
        meta = {"version": version, "round": round_number, "strategy": strategy}
        if model_id:
            meta["model_id"] = model_id
        data = dump_npz(arrays, meta)
        digest = self.blobs.put(data)
        try:
            self.storage.add_version({
                "version": version, "round": round_number, "blob_hash": digest, "checksum": digest,
                "contributors": contributors, "total_examples": total_examples, "strategy": strategy,
                "params": json.dumps(params), "created_by": by, "created_at": int(time.time() * 1000),
            })
        except DuplicateError:
            if round_number == 0:
                return  # another worker seeded the same initial weights first
            raise ApiError(409, "aggregation_conflict",
                           message="Another aggregation of this round finished first.") from None


def _stored_npz(data: bytes) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """(arrays, metadata) of a stored global version, read without the upload checks (it may predate them)."""
    with np.load(io.BytesIO(data), allow_pickle=False) as npz:
        arrays = {name: npz[name] for name in npz.files if name != META_ENTRY}
        meta = json.loads(str(npz[META_ENTRY])) if META_ENTRY in npz.files else {}
    return arrays, meta if isinstance(meta, dict) else {}


def _signature(arrays: dict[str, np.ndarray]) -> tuple:
    return tuple(sorted((name, tuple(np.shape(a))) for name, a in arrays.items()))


def _positive_int(value: Any, field: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ApiError(400, "invalid_field", field=field) from None
    if not 1 <= number <= 10_000_000:
        raise ApiError(400, "invalid_field", field=field)
    return number
