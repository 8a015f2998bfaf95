"""The Flask application factory: configuration, storage, blueprints; no module-level state."""

from __future__ import annotations

import logging
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from server.config import ServerConfig
from server.errors import register_error_handlers
from server.federation import Federation
from server.headers import add_security_headers, add_server_timing, enable_cors
from server.inference import DecodeGate, EngineHolder
from server.startup_checks import warn_about
from server.storage import BlobStore, Storage

log = logging.getLogger(__name__)

EXTENSION = "tumorpredict"


@dataclass
class ServerState:
    """What every request handler reaches through `current_app.extensions["tumorpredict"]`."""

    config: ServerConfig
    storage: Storage
    blobs: BlobStore
    engine: EngineHolder
    federation: Federation
    decodes: DecodeGate


def create_app(config: ServerConfig | dict[str, Any] | None = None) -> Flask:
    """A ready app: `None` reads TUMORPREDICT_* variables, a dict or ServerConfig is used as given."""
    if config is None:
        config = ServerConfig.from_env()
    elif isinstance(config, dict):
        config = ServerConfig.from_dict(config)
    _private_folder(config.data_dir)
    if not config.secret_key:
        config.secret_key = _persistent_secret(config.data_dir / "secret_key")

    app = Flask("tumorpredict_server")
    app.config["MAX_CONTENT_LENGTH"] = config.max_request_bytes
    app.config["SECRET_KEY"] = config.secret_key
    app.json.sort_keys = False
    if config.trusted_proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=config.trusted_proxies, x_proto=config.trusted_proxies)

    storage = Storage.open(config.resolved_database_url)
    blobs = BlobStore(config.data_dir / "blobs")
    app.extensions[EXTENSION] = ServerState(
        config=config,
        storage=storage,
        blobs=blobs,
        engine=EngineHolder(config.model_dir),
        federation=Federation(storage, blobs, config),
        decodes=DecodeGate(config.max_concurrent_decodes),
    )

    app.before_request(storage.begin_request)
    app.teardown_request(lambda _exc: storage.end_request())
    add_security_headers(app)
    if config.server_timing:
        add_server_timing(app)
    register_error_handlers(app)
    _register_blueprints(app)
    if config.cors_origins:
        enable_cors(app, config.cors_origins)
    _promote_configured_admins(storage, config.admins)
    warn_about(config)
    log.info("TumorPredict server ready (database: %s)", storage.engine.dialect.name)
    return app


def state_of(app: Flask) -> ServerState:
    return app.extensions[EXTENSION]


def _register_blueprints(app: Flask) -> None:
    from server.routes import accounts, chat, federated, reports

    for module in (accounts, reports, chat, federated):
        app.register_blueprint(module.blueprint)


def _promote_configured_admins(storage: Storage, names: tuple[str, ...]) -> None:
    """TUMORPREDICT_ADMINS promotes doctor accounts that exist when the server starts. A name with no
    account yet grants nothing: otherwise whoever registered it first would become admin."""
    for name in names:
        user = storage.get_user(name)
        if user is None or user["role"] != "doctor":
            log.warning("TUMORPREDICT_ADMINS names %r, which is not a doctor account on this server yet: not "
                        "promoted (once the account exists, restart the server or run "
                        "`tumorpredict serve promote %s`)", name, name)
        elif not user["is_admin"]:
            storage.update_user(name, is_admin=True)
            log.info("%s is an administrator (TUMORPREDICT_ADMINS)", name)


def _private_folder(path: Path) -> None:
    """The data folder (database, scans, weights) open to the server's account only, also when an
    older version made it world-readable."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    if path.stat().st_mode & 0o077:
        path.chmod(0o700)


def _persistent_secret(path: Path) -> str:
    """One random key shared by every worker on this data dir (created once, readable by the owner only)."""
    if not path.exists():
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(tmp, path)  # atomic: the first worker's key wins, the others read it
        except FileExistsError:
            pass
        finally:
            tmp.unlink(missing_ok=True)
    return path.read_text().strip()
