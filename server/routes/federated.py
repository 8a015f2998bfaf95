"""Federated learning: weight uploads (legacy JSON and .npz), global meta, aggregation, weights download."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from server import auth
from server.errors import ApiError
from server.routes import state
from server.validation import json_body, name, number, path_id, text

blueprint = Blueprint("federated", __name__)


@blueprint.post("/upload_weights")
def upload_weights():
    federation = state().federation
    if request.mimetype == "multipart/form-data":
        form = {k: v for k, v in request.form.items() if isinstance(v, str) and len(v) <= 20000}
        username = name(form, "username")
        caller = auth.require_doctor()  # token only, even in legacy mode: weights change every clinic's model
        if username and username != caller.username:
            raise ApiError(403, "forbidden")
        upload = request.files.get("weights")
        if upload is None:
            raise ApiError(400, "missing")
        data = upload.read(state().config.fl_max_update_bytes + 1)
        if len(data) > state().config.fl_max_update_bytes:
            raise ApiError(413, "update_too_large")
        row, created = federation.accept_npz(caller.username, data, form)
    else:
        body = json_body()
        username = name(body, "username", required=True, missing="missing")
        if body.get("weights") is None:
            raise ApiError(400, "missing")
        caller = auth.require_doctor()  # token only, even in legacy mode
        if username != caller.username:
            raise ApiError(403, "forbidden")
        row, created = federation.accept_legacy(caller.username, body["weights"])
    return jsonify(status="ok", file=f"{row['blob_hash']}.npz", update_id=row["id"], round=row["round"],
                   created=created)


@blueprint.get("/get_global_meta")
def get_global_meta():
    auth.require_caller(legacy_name=request.args.get("username"))
    return jsonify(state().federation.meta())


@blueprint.get("/fl_versions")
def fl_versions():
    auth.require_caller()
    return jsonify(versions=state().federation.history())


@blueprint.get("/download_global_weights")
def download_global_weights():
    auth.require_caller()
    federation = state().federation
    wanted = request.args.get("version")
    if wanted and path_id(wanted) is None:
        raise ApiError(404, "no_global_weights")
    version = state().storage.get_version(wanted) if wanted else federation.current()
    if version is None:
        raise ApiError(404, "no_global_weights")
    return Response(
        state().blobs.get(version["blob_hash"]), mimetype="application/octet-stream",
        headers={"X-Checksum": version["checksum"], "X-Version": version["version"],
                 "ETag": f'"{version["checksum"]}"',
                 "Content-Disposition": f'attachment; filename="{version["checksum"][:16]}.npz"'},
    )


@blueprint.post("/trigger_aggregation")
def trigger_aggregation():
    body = json_body()
    caller = auth.require_admin()
    strategy = text(body, "strategy", max_len=40)
    params = {k: v for k in ("trim_fraction", "clip_norm", "noise_multiplier")
              if (v := number(body, k, low=0.0, high=1e6)) is not None}
    result = state().federation.aggregate(caller.username, strategy, params)
    return jsonify(status="ok", message="aggregation_started", aggregated=True, **result)
