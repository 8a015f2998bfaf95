"""The legacy TumorPredict server as clinics run it today: file-based JSON, no auth, legacy shapes only.

A small, faithful re-implementation of the contract in API.md ("Legacy endpoints"),
defects included (no token check, OTP leaked in the answer, a fixed demo label, a
retried write creates a duplicate, every list reads every file). The sync tests run
it on 127.0.0.1 to prove the desktop client degrades gracefully.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import random
import threading
import time
import uuid
from datetime import datetime
from pathlib import Path

import numpy as np
from flask import Flask, jsonify, request
from werkzeug.security import check_password_hash, generate_password_hash

DEMO_ANSWER = {"label": "No Tumor", "confidence": 0.93, "model_version": "v1", "notes": "demo model"}


def create_legacy_app(root: Path) -> Flask:
    """The legacy app storing everything under `root` exactly as the legacy layout does."""
    storage = root / "fl_server" / "storage"
    reports_dir = root / "reports"
    uploads = root / "uploads"
    for folder in (storage, reports_dir, uploads):
        folder.mkdir(parents=True, exist_ok=True)
    users_file = storage / "users.json"
    chat_file = root / "chat_messages.json"
    lock = threading.Lock()  # the legacy server ran one gunicorn worker; this keeps files whole
    otps: dict[str, str] = {}
    app = Flask("legacy_tumorpredict")

    def read_json(path: Path, default):
        if not path.exists():
            return default
        return json.loads(path.read_text())

    def write_json(path: Path, value) -> None:
        path.write_text(json.dumps(value))

    def body() -> dict:
        return request.get_json(silent=True) or {}

    def password_matches(user: dict, password: str) -> bool:
        # werkzeug's hash; older installs kept only the unsalted SHA-256 hex under "password".
        if user.get("password_hash"):
            return check_password_hash(user["password_hash"], password)
        return hashlib.sha256(password.encode()).hexdigest() == user.get("password")

    @app.post("/register")
    def register():
        data = body()
        username, email, password = data.get("username"), data.get("email"), data.get("password")
        if not (username and email and password):
            return jsonify(error="username, email, password required"), 400
        with lock:
            users = read_json(users_file, {})
            if username in users:
                return jsonify(error="username_taken"), 400
            users[username] = {"username": username, "email": email, "password_hash": generate_password_hash(password),
                               "created_at": datetime.now().isoformat(timespec="seconds"), "token": None}
            write_json(users_file, users)
        return jsonify(status="ok", username=username)

    @app.post("/login")
    def login():
        data = body()
        users = read_json(users_file, {})
        user = users.get(data.get("username") or "")
        if not user or not password_matches(user, data.get("password") or ""):
            return jsonify(error="invalid_credentials"), 401
        return jsonify(status="ok", token=str(uuid.uuid4()), user={"username": data["username"], "email": user["email"]})

    @app.post("/request_otp")
    def request_otp():
        username = body().get("username")
        if username not in read_json(users_file, {}):
            return jsonify(error="unknown_user"), 400
        otps[username] = f"{random.randint(0, 999999):06d}"
        return jsonify(status="ok", debug_otp=otps[username])

    @app.post("/verify_otp")
    def verify_otp():
        data = body()
        username = data.get("username")
        if not username or otps.get(username) != data.get("otp") or not data.get("new_password"):
            return jsonify(error="invalid_otp"), 400
        with lock:
            users = read_json(users_file, {})
            users[username]["password_hash"] = generate_password_hash(data["new_password"])
            write_json(users_file, users)
        return jsonify(status="ok")

    @app.post("/predict")
    def predict():
        data = body()
        report_id = str(uuid.uuid4())
        try:
            image = base64.b64decode(data.get("image_b64") or "")
        except (binascii.Error, ValueError):
            image = b""
        (uploads / f"{report_id}.jpg").write_bytes(image)
        record = {
            "id": report_id,
            "username": data.get("username"),
            "timestamp": int(time.time() * 1000),
            "status": "pending",
            "doctor_notes": "",
            "report": dict(DEMO_ANSWER),
        }
        write_json(reports_dir / f"{report_id}.json", record)
        return jsonify(DEMO_ANSWER)

    @app.post("/list_reports")
    def list_reports():
        who = body().get("username")
        records = [read_json(path, {}) for path in reports_dir.glob("*.json")]  # every file, every call
        if who == "pending":
            records = [r for r in records if r.get("status") == "pending"]
        elif who != "all":
            records = [r for r in records if r.get("username") == who]
        return jsonify(reports=records)

    @app.post("/doctor_update_report")
    def doctor_update_report():
        data = body()
        report_id = data.get("report_id")
        if not report_id:
            return jsonify(error="report_id required"), 400
        path = reports_dir / f"{report_id}.json"
        if "/" in str(report_id) or not path.exists():
            return jsonify(error="not_found"), 404
        with lock:
            record = read_json(path, {})
            record["doctor_notes"] = data.get("doctor_notes", record.get("doctor_notes", ""))
            action = data.get("action")
            if action == "approve":
                record["status"] = "approved"
            elif action == "reject":
                record["status"] = "rejected"
            write_json(path, record)
        return jsonify(status="ok", message="report_updated")

    @app.post("/send_message")
    def send_message():
        data = body()
        if not (data.get("sender") and data.get("receiver") and data.get("message")):
            return jsonify(error="missing_fields"), 400
        message = {
            "id": str(uuid.uuid4()),
            "sender": data["sender"],
            "receiver": data["receiver"],
            "message": data["message"],
            "timestamp": int(time.time()),
        }
        with lock:
            messages = read_json(chat_file, [])
            messages.append(message)
            write_json(chat_file, messages)
        return jsonify(success=True, message_id=message["id"])

    @app.post("/get_messages")
    def get_messages():
        data = body()
        pair = {data.get("user1"), data.get("user2")}
        messages = [m for m in read_json(chat_file, []) if {m["sender"], m["receiver"]} == pair]
        return jsonify(messages=sorted(messages, key=lambda m: m["timestamp"]))

    @app.post("/upload_weights")
    def upload_weights():
        data = body()
        if not data.get("username") or data.get("weights") is None:
            return jsonify(error="missing"), 400
        name = f"{data['username']}_{int(time.time())}.npz"
        try:
            np.savez(storage / name, weights=np.asarray(data["weights"], dtype=np.float32))
        except (ValueError, TypeError, OSError):
            return jsonify(error="save_failed"), 500
        return jsonify(status="ok", file=name)

    @app.get("/get_global_meta")
    def get_global_meta():
        return jsonify(version="v1", updated=time.time())

    @app.post("/trigger_aggregation")
    def trigger_aggregation():
        return jsonify(status="ok", message="aggregation_started")

    return app
