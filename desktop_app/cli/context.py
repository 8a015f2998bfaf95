"""What every CLI command shares: the data dir, the server URL and a lazily opened store."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from desktop_app.paths import SERVER_ENV, resolve_data_dir


class CliError(Exception):
    """A failure to report as one line on stderr with a non-zero exit code."""

    def __init__(self, message: str, exit_code: int = 1):
        super().__init__(message)
        self.exit_code = exit_code


@dataclass
class CliContext:
    data_dir_arg: str | None = None
    server_arg: str | None = None
    _app: object | None = field(default=None, repr=False)

    @property
    def data_dir(self) -> Path:
        return resolve_data_dir(self.data_dir_arg)

    @property
    def server_override(self) -> str | None:
        return self.server_arg or os.environ.get(SERVER_ENV) or None

    def services(self):
        """The app's core services over the store in the data dir, opened once per command."""
        if self._app is None:
            from desktop_app.core.services import AppServices

            self._app = AppServices.open(self.data_dir, server_url=self.server_override)
        return self._app

    def close(self) -> None:
        if self._app is not None:
            self._app.close()
            self._app = None
