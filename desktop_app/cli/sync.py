"""The `tumorpredict sync` command: one full sync pass, headless, printing what moved."""

from __future__ import annotations

from desktop_app.cli.context import CliError

EXIT_INCOMPLETE = 2  # the server could not be reached, or someone must sign in again


def register(commands) -> None:
    parser = commands.add_parser(
        "sync",
        help="send waiting changes to the server and fetch what changed there",
        description="Runs one full sync pass with the configured server and prints what moved.",
    )
    parser.add_argument("--status", action="store_true", help="only show the sync status; contact nobody")
    parser.set_defaults(func=_run)


def _run(ctx, args) -> int:
    app = ctx.services()
    engine = getattr(app, "sync", None)
    if engine is None:
        raise CliError("no server is configured: pass --server URL or set it in the app's settings")
    if args.status:
        print(engine.refresh_pending().summary())
        return 0
    report = engine.run_once()
    print(f"server: {engine.client.base_url}{' (legacy)' if engine.status.legacy_server else ''}")
    for line in report.lines():
        print(line)
    return 0 if report.ok else EXIT_INCOMPLETE
