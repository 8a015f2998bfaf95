"""The `tumorpredict` command: starts the app, or runs one headless command for IT staff and scripts."""

from __future__ import annotations

import argparse
import logging
import sys

from desktop_app import __version__, display_check
from desktop_app.cli import (
    account,
    chat,
    config,
    dicom,
    fl,
    kiosk,
    predict,
    reports,
    selftest,
    serve,
    sync,
)
from desktop_app.cli.context import CliContext, CliError

# `tumorpredict` with no command could not open its window (no desktop session, missing libraries).
NO_WINDOW_EXIT = 3

COMMAND_MODULES = (predict, account, sync, reports, chat, fl, config, kiosk, serve, selftest, dicom)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tumorpredict",
        description="TumorPredict Desktop: offline-first brain-MRI triage.",
    )
    parser.add_argument("--version", action="version", version=f"tumorpredict {__version__}")
    parser.add_argument("--data-dir", help="store folder (default: $TUMORPREDICT_DATA_DIR or the user data dir)")
    parser.add_argument("--server", help="TumorPredict server URL (default: $TUMORPREDICT_SERVER or the one remembered)")
    parser.add_argument("--kiosk", action="store_true", help="start the app as a locked-down patient kiosk")
    parser.add_argument("-v", "--verbose", action="store_true", help="log more detail to stderr")
    # Start-up measurement (benchmarks/bench_startup.py): quit once the first window has painted.
    parser.add_argument("--exit-after-first-paint", action="store_true", help=argparse.SUPPRESS)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.register(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    ctx = CliContext(data_dir_arg=args.data_dir, server_arg=args.server)
    try:
        if args.command is None:
            cannot_open = display_check.problem()
            if cannot_open:  # before Qt starts: its own failure names neither cause nor fix
                print(f"tumorpredict: {cannot_open}", file=sys.stderr)
                return NO_WINDOW_EXIT
            if args.exit_after_first_paint:
                from desktop_app.ui.startup_probe import exit_after_first_paint

                exit_after_first_paint()
            from desktop_app.ui.app import run_app

            return run_app(ctx, kiosk=args.kiosk)
        return int(args.func(ctx, args) or 0)
    except CliError as exc:
        print(f"tumorpredict: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("tumorpredict: interrupted", file=sys.stderr)
        return 130
    finally:
        ctx.close()
