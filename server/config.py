"""Server settings: one dataclass, filled from TUMORPREDICT_* environment variables or a dict."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ENV_PREFIX = "TUMORPREDICT_"

# Field name -> environment variable (without the prefix) where they differ from NAME.upper().
_ENV_NAMES = {
    "data_dir": "SERVER_DATA_DIR",
    "database_url": "DATABASE_URL",
    "token_ttl": "TOKEN_TTL",
}


@dataclass
class ServerConfig:
    """Everything the server can be told; every field has a safe default."""

    data_dir: Path = field(default_factory=lambda: Path("tumorpredict-server-data"))
    database_url: str = ""  # empty: SQLite file in data_dir (WAL mode)
    secret_key: str = ""  # empty: a random key kept in data_dir/secret_key (shared by all workers)
    enrollment_code: str = ""  # empty: nobody can register as a doctor
    # Doctor accounts promoted to admin at start (only if they exist then; also `serve promote`).
    admins: tuple[str, ...] = ()
    token_ttl: int = 12 * 3600  # seconds a sign-in stays valid
    scrypt_n: int = 2**15  # password hashing cost (memory 128 * 8 * n bytes per check)
    allow_legacy_unauthenticated: bool = False
    # Failed sign-ins, counted per window: one address may miss one account's password this many
    # times, then waits login_delay_base_s, doubling with every further miss (up to the window).
    login_max_failures_account: int = 5
    login_delay_base_s: float = 2.0
    login_max_failures_account_total: int = 100  # one account from every address together
    login_max_failures_address: int = 20  # one address against every account together
    login_failure_window: int = 15 * 60
    # Wrong doctor enrollment codes per window: from one address, and from everyone together.
    enrollment_max_failures_address: int = 10
    enrollment_max_failures_role: int = 50
    otp_ttl: int = 10 * 60
    otp_max_attempts: int = 5
    # A program that delivers reset codes instead of mail: run as PROGRAM USERNAME EMAIL, the code on stdin.
    otp_hook: str = ""
    # Development: reset codes without mail or hook go to the server log. Off, the reset flow is
    # refused until one is configured. `tumorpredict serve` (the development server) turns it on.
    development: bool = False
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_from: str = "tumorpredict@localhost"
    smtp_starttls: bool = True
    max_request_bytes: int = 32 * 1024 * 1024
    max_image_bytes: int = 20 * 1024 * 1024
    # Largest picture /predict decodes (pixels, read from the header before decoding); an MRI slice is < 1 MP.
    max_image_pixels: int = 16_000_000
    max_concurrent_decodes: int = 2  # per worker process; others wait (then 503)
    max_message_chars: int = 5000
    max_notes_chars: int = 20000
    cors_origins: tuple[str, ...] = ()  # empty: no CORS headers at all
    server_timing: bool = False  # Server-Timing header on every answer (for profiling; reveals code paths)
    trusted_proxies: int = 0  # X-Forwarded-For hops to trust (behind nginx: 1)
    model_dir: str = ""  # empty: the models/ folder of the install
    page_size: int = 1000  # most records one `since` call returns
    # "auto": FedAvg below 3 contributors, the trimmed mean from 3 on (one poisoned clinic is outvoted).
    fl_strategy: str = "auto"
    fl_trim_fraction: float = 0.2
    fl_clip_norm: float = 1.0
    fl_noise_multiplier: float = 0.0
    fl_min_updates: int = 1
    # One update may move the global head by at most this many times the head's own L2 norm.
    fl_max_update_norm_ratio: float = 10.0
    fl_max_staleness: int = 2  # rounds an update's base version may lag behind the current one
    fl_max_update_bytes: int = 32 * 1024 * 1024
    fl_initial_weights: str = ""  # empty: models/head_weights.npz when it exists

    def __post_init__(self) -> None:
        self.data_dir = Path(self.data_dir).expanduser()

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'tumorpredict.sqlite3').resolve()}"

    @property
    def smtp_enabled(self) -> bool:
        return bool(self.smtp_host)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: Any) -> ServerConfig:
        """Reads TUMORPREDICT_<FIELD> for every field (see docs/server.md); `overrides` win."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            key = ENV_PREFIX + _ENV_NAMES.get(f.name, f.name.upper())
            if key in environ and environ[key] != "":
                values[f.name] = _coerce(f, environ[key])
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls.from_dict(values)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> ServerConfig:
        known = {f.name: f for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise ValueError(f"unknown server settings: {', '.join(unknown)}")
        return cls(**{k: _coerce(known[k], v) if isinstance(v, str) else v for k, v in values.items()})


def _coerce(f: dataclasses.Field, raw: str) -> Any:
    kind = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", str(f.type))
    if kind == "bool":
        return raw.strip().lower() in ("1", "true", "yes", "on")
    if kind == "int":
        return int(raw)
    if kind == "float":
        return float(raw)
    if kind.startswith("tuple"):
        return tuple(part.strip() for part in raw.split(",") if part.strip())
    if kind == "Path":
        return Path(raw)
    return raw
