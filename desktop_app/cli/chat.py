"""The `tumorpredict chat` command."""

from __future__ import annotations


def register(commands) -> None:
    parser = commands.add_parser("chat", help="(being built)")
    parser.set_defaults(func=_run)


def _run(ctx, args) -> int:
    from desktop_app.cli.context import CliError

    raise CliError("this command is not available in this build yet")
