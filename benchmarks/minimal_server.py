"""The smallest server that does the same work for legacy-shaped polls: the benchmark's floor.

Flask + one indexed SQLite file. Each request: check the bearer token (one primary-key lookup),
run one indexed query, and join the rows, stored as their finished JSON text, into the answer.
No validation beyond that, no roles, no cursors, no writes: whatever the project's server spends
above this is the price of its checks and its generality. Run under gunicorn like the real one:
    TUMORPREDICT_MINIMAL_DB=/path/minimal.sqlite3 gunicorn 'benchmarks.minimal_server:create_app()'
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading

from flask import Flask, Response, request

SCHEMA = """
CREATE TABLE IF NOT EXISTS tokens (token_hash TEXT PRIMARY KEY, username TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS reports (seq INTEGER PRIMARY KEY, username TEXT NOT NULL, wire TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS messages (seq INTEGER PRIMARY KEY, pair TEXT NOT NULL, wire TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS ix_reports_user ON reports (username, seq);
CREATE INDEX IF NOT EXISTS ix_messages_pair ON messages (pair, seq);
"""


def build_database(path: str, tokens: dict[str, str], reports: list[tuple[str, str]],
                   messages: list[tuple[str, str]]) -> None:
    """tokens: user -> bearer token; reports: (owner, wire JSON); messages: (pair key, wire JSON), in order."""
    with sqlite3.connect(path) as db:
        db.executescript(SCHEMA)
        db.executemany("INSERT INTO tokens VALUES (?, ?)",
                       [(hashlib.sha256(tok.encode()).hexdigest(), user) for user, tok in tokens.items()])
        db.executemany("INSERT INTO reports (username, wire) VALUES (?, ?)", reports)
        db.executemany("INSERT INTO messages (pair, wire) VALUES (?, ?)", messages)
        db.execute("ANALYZE")


def pair_key(user1: str, user2: str) -> str:
    return json.dumps(sorted([user1, user2]), ensure_ascii=False)


def create_app(path: str | None = None) -> Flask:
    path = path or os.environ["TUMORPREDICT_MINIMAL_DB"]
    local = threading.local()  # one connection per thread (sqlite3 connections are not shared)
    app = Flask("minimal_server")

    def db() -> sqlite3.Connection:
        if not hasattr(local, "db"):
            local.db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        return local.db

    def caller() -> str | None:
        token = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        row = db().execute("SELECT username FROM tokens WHERE token_hash = ?",
                           (hashlib.sha256(token.encode()).hexdigest(),)).fetchone()
        return row[0] if row else None

    def answer(key: str, rows: list[tuple[str]]) -> Response:
        body = f'{{"{key}":[{",".join(r[0] for r in rows)}]}}'
        return Response(body, mimetype="application/json")

    @app.post("/list_reports")
    def list_reports():
        user, who = caller(), (request.get_json(silent=True) or {}).get("username")
        if user is None or who != user:
            return Response('{"error":"forbidden"}', status=403, mimetype="application/json")
        return answer("reports", db().execute(
            "SELECT wire FROM reports WHERE username = ? ORDER BY seq", (who,)).fetchall())

    @app.post("/get_messages")
    def get_messages():
        user, body = caller(), request.get_json(silent=True) or {}
        if user is None or user not in (body.get("user1"), body.get("user2")):
            return Response('{"error":"forbidden"}', status=403, mimetype="application/json")
        return answer("messages", db().execute(
            "SELECT wire FROM messages WHERE pair = ? ORDER BY seq",
            (pair_key(body["user1"], body["user2"]),)).fetchall())

    @app.get("/health")
    def health():
        return {"status": "ok"}

    return app
