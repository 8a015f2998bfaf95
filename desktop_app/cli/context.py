"""What every CLI command shares: the data dir, the server URL and a lazily opened store."""

from __future__ import annotations

import functools
import getpass
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from desktop_app.paths import SERVER_ENV, resolve_data_dir

PASSWORD_ENV = "TUMORPREDICT_PASSWORD"


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
            from desktop_app.core.errors import ServiceError
            from desktop_app.core.services import AppServices
            from local_store import StoreError

            try:
                self._app = AppServices.open(self.data_dir, server_url=self.server_override)
            except (ServiceError, StoreError) as exc:  # e.g. StoreLockedError: another copy has the folder
                raise CliError(exc.user_message) from exc
        return self._app

    def close(self) -> None:
        if self._app is not None:
            self._app.close()
            self._app = None


def read_password(prompt: str = "Password: ", *, confirm: bool = False, env: str | None = PASSWORD_ENV) -> str:
    """$TUMORPREDICT_PASSWORD (or `env`) when set, else a no-echo prompt (asked twice with `confirm`).

    With `env=None` (a secret with no environment variable, such as the enrollment code) and no
    terminal, the first line of standard input is read instead: a script can pipe it in without
    putting it on the command line, where the shell history would keep it.
    """
    what = prompt.rstrip(": ").lower()
    from_env = os.environ.get(env) if env else None
    if from_env:
        return from_env
    if sys.stdin is None or not sys.stdin.isatty():
        if env is None:
            return _first_line_of_stdin(what)
        raise CliError(f"no {what} given: set {env} or run the command in a terminal")
    try:
        secret = getpass.getpass(prompt)
        if confirm and getpass.getpass("Repeat it: ") != secret:
            raise CliError("the two entries are not the same")
    except EOFError:  # Ctrl+D at the prompt
        raise CliError(f"no {what} given") from None
    return secret


def _first_line_of_stdin(what: str) -> str:
    line = sys.stdin.readline() if sys.stdin is not None else ""
    if not line.strip():
        raise CliError(f"no {what} given: type it at the prompt in a terminal, or pass it on "
                       "standard input (for example: … < code.txt)")
    return line.rstrip("\r\n")


def service_command(func: Callable) -> Callable:
    """Turns a service's refusal (ServiceError) into a one-line CLI failure."""

    @functools.wraps(func)
    def wrapper(ctx: CliContext, args) -> int:
        from desktop_app.core.errors import ServiceError
        from local_store import StoreError

        try:
            return func(ctx, args)
        except (ServiceError, StoreError) as exc:  # both carry plain words in `user_message`
            raise CliError(exc.user_message) from exc

    return wrapper
