"""Where the app finds its data dir, its shipped model and its resources."""

from __future__ import annotations

import os
import sys
from pathlib import Path

DATA_DIR_ENV = "TUMORPREDICT_DATA_DIR"
SERVER_ENV = "TUMORPREDICT_SERVER"


def install_root() -> Path:
    """The folder holding `models/` and `resources/` (the bundle's folder when frozen)."""
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        return Path(frozen_root)
    return Path(__file__).resolve().parent.parent


def models_dir() -> Path:
    return install_root() / "models"


def resources_dir() -> Path:
    return install_root() / "resources"


def resolve_data_dir(cli_value: str | os.PathLike | None = None) -> Path:
    """--data-dir wins, then $TUMORPREDICT_DATA_DIR, then the platform's user data dir."""
    if cli_value:
        return Path(cli_value).expanduser().resolve()
    env_value = os.environ.get(DATA_DIR_ENV)
    if env_value:
        return Path(env_value).expanduser().resolve()
    import platformdirs

    return Path(platformdirs.user_data_dir("TumorPredict", "TumorPredict"))
