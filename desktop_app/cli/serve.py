"""The `tumorpredict serve` command: run the server for development, import a legacy server, promote an admin,
roll the federated global weights back."""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import tempfile
from pathlib import Path


def register(commands) -> None:
    parser = commands.add_parser(
        "serve",
        help="run the TumorPredict server (development; use gunicorn in production)",
        description="Runs the clinic's TumorPredict server. Settings come from TUMORPREDICT_* variables "
        "(see docs/server.md); --data-dir overrides TUMORPREDICT_SERVER_DATA_DIR.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=5000, help="port (default 5000)")
    parser.add_argument("--data-dir", dest="server_data_dir", help="server data folder (database, images, weights)")
    parser.set_defaults(func=_run, serve_command=None)
    sub = parser.add_subparsers(dest="serve_command", metavar="ACTION")

    importer = sub.add_parser(
        "import-legacy", help="import a legacy server's folder (users, reports, chat, weights)",
        description="Imports a legacy TumorPredict server's folder. The legacy server kept no roles, so name "
        "the doctors: every other account becomes a patient. Exit status: 0 everything imported, 1 some "
        "records were not imported (listed), 2 nothing done (bad folder or doctor names).")
    importer.add_argument("path", help="the legacy server's folder (holding fl_server/, reports/, uploads/)")
    importer.add_argument("--data-dir", dest="server_data_dir", default=argparse.SUPPRESS,
                          help="server data folder to import into")
    importer.add_argument("--doctors", metavar="NAME[,NAME...]", help="user names to import as doctors")
    importer.add_argument("--doctors-file", metavar="FILE", type=Path,
                          help="a file of doctor user names, one per line (# starts a comment)")
    importer.add_argument("--dry-run", action="store_true", help="show what would be imported; write nothing")

    promote = sub.add_parser("promote", help="give a doctor account the admin flag (may trigger aggregation)")
    promote.add_argument("username")
    promote.add_argument("--revoke", action="store_true", help="take the admin flag away instead")
    promote.add_argument("--data-dir", dest="server_data_dir", default=argparse.SUPPRESS)

    rollback = sub.add_parser(
        "rollback", help="publish an earlier version of the federated global weights as the newest one",
        description="Without VERSION: lists the global versions. With it: publishes that version's weights "
        "again as a new version, so /predict and every clinic use them from now on (nothing is deleted).",
    )
    rollback.add_argument("version", nargs="?", help="the version to restore (see the list)")
    rollback.add_argument("--data-dir", dest="server_data_dir", default=argparse.SUPPRESS)


def _config(ctx, args):
    from server.config import ServerConfig

    data_dir = getattr(args, "server_data_dir", None)
    config = ServerConfig.from_env(data_dir=Path(data_dir) if data_dir else None)
    if not data_dir and not os.environ.get("TUMORPREDICT_SERVER_DATA_DIR"):
        config.data_dir = ctx.data_dir / "server"
    return config


def _require_server() -> None:
    """The desktop installer leaves the server out: say so in one line instead of a traceback."""
    from desktop_app.cli.context import CliError

    try:
        import server.app  # noqa: F401
    except ImportError as exc:
        raise CliError("the server is not part of this installation (the desktop installer holds "
                       "the app only); install it with: pip install 'tumorpredict[server]' "
                       f"(missing: {exc.name})") from exc


def _run(ctx, args) -> int:
    _require_server()
    if args.serve_command == "import-legacy":
        return _import_legacy(ctx, args)
    if args.serve_command == "promote":
        return _promote(ctx, args)
    if args.serve_command == "rollback":
        return _rollback(ctx, args)
    from server.app import create_app
    from server.headers import UnversionedRequestHandler

    logging.getLogger("server").setLevel(logging.INFO)
    config = _config(ctx, args)
    if "TUMORPREDICT_DEVELOPMENT" not in os.environ:
        config.development = True  # this is the development server (gunicorn runs production)
    app = create_app(config)
    print(f"TumorPredict server on http://{args.host}:{args.port}/  (data: {config.data_dir})")
    print("Development server: for a clinic, run it under gunicorn (see docs/server.md).")
    app.run(host=args.host, port=args.port, threaded=True, use_reloader=False,
            request_handler=UnversionedRequestHandler)
    return 0


def _import_legacy(ctx, args) -> int:
    from desktop_app.cli.context import CliError
    from server.legacy_import import UnknownDoctors, import_legacy, read_doctor_names
    from server.storage import BlobStore, Storage

    config = _config(ctx, args)
    source = Path(args.path).expanduser()
    if not source.is_dir():
        raise CliError(f"{source} is not a folder; nothing was imported", exit_code=2)
    try:
        doctors = read_doctor_names(args.doctors, args.doctors_file)
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"cannot read the doctors file {args.doctors_file}: {exc}; nothing was imported",
                       exit_code=2) from exc
    target_dir = config.data_dir
    with contextlib.ExitStack() as cleanup:
        if args.dry_run and not config.data_dir.exists():
            config.data_dir = Path(cleanup.enter_context(tempfile.TemporaryDirectory()))  # leaves no trace
        config.data_dir.mkdir(parents=True, exist_ok=True)
        storage = Storage.open(config.resolved_database_url)
        cleanup.callback(storage.close)
        try:
            result = import_legacy(source, storage, BlobStore(config.data_dir / "blobs"), doctors=doctors,
                                   dry_run=args.dry_run)
        except UnknownDoctors as exc:
            raise CliError(f"{exc}. Check the spelling; nothing was imported.", exit_code=2) from exc
    if args.dry_run:
        print(f"Dry run: nothing was written. Importing {source} into {target_dir} would do this:")
    else:
        print(f"Imported {source} into {target_dir}:")
    for line in result.lines():
        print(f"  {line}")
    if not doctors:
        print("  note: no --doctors given: every new account is a patient")
    return 1 if result.problems else 0


def _promote(ctx, args) -> int:
    from desktop_app.cli.context import CliError
    from server.storage import Storage

    config = _config(ctx, args)
    storage = Storage.open(config.resolved_database_url)
    try:
        user = storage.get_user(args.username)
        if user is None or user["role"] != "doctor":
            raise CliError(f"{args.username} is not a doctor account on this server")
        storage.update_user(args.username, is_admin=not args.revoke)
    finally:
        storage.close()
    print(f"{args.username}: admin {'removed' if args.revoke else 'granted'}")
    return 0


def _rollback(ctx, args) -> int:
    from desktop_app.cli.context import CliError
    from server.federation import Federation
    from server.storage import BlobStore, Storage

    config = _config(ctx, args)
    storage = Storage.open(config.resolved_database_url)
    try:
        federation = Federation(storage, BlobStore(config.data_dir / "blobs"), config)
        if not args.version:
            for v in federation.history():
                print(f"  {v['version']:<28} round {v['round']:<4} {v['strategy']:<14} "
                      f"{v['contributors']} clinic(s)")
            return 0
        try:
            meta = federation.rollback(args.version, by="serve rollback")
        except ValueError as exc:
            raise CliError(str(exc)) from None
    finally:
        storage.close()
    print(f"global weights of {args.version} published again as {meta['version']} (round {meta['round']})")
    return 0
