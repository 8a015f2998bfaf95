"""The `tumorpredict fl` command: federated-learning status, local training, upload, pull, rollback, aggregation."""

from __future__ import annotations

import argparse
import json
import sys


def register(commands) -> None:
    parser = commands.add_parser(
        "fl", help="federated learning: status, train, upload, pull, rollback"
    )
    actions = parser.add_subparsers(dest="fl_action", metavar="ACTION")
    parser.set_defaults(
        func=lambda ctx, args: _status(ctx, argparse.Namespace(json=False, offline=False))
    )

    status = actions.add_parser(
        "status", help="the weights in use, their history, the server's version"
    )
    status.add_argument("--json", action="store_true", help="machine-readable output")
    status.add_argument("--offline", action="store_true", help="do not ask the server")
    status.set_defaults(func=_status)

    train = actions.add_parser(
        "train", help="fine-tune the classifier head on this clinic's confirmed cases"
    )
    train.add_argument(
        "--epochs", type=int, default=200, help="most passes over the cases (default 200)"
    )
    train.add_argument(
        "--l2", type=float, default=0.01, help="pull toward the global head (default 0.01)"
    )
    train.add_argument("--json", action="store_true", help="machine-readable output")
    train.set_defaults(func=_train)

    upload = actions.add_parser("upload", help="queue the latest trained update for the server")
    upload.add_argument("--update", help="a specific update id (default: the latest one)")
    upload.add_argument(
        "--now", action="store_true", help="sync at once instead of at the next sync"
    )
    upload.set_defaults(func=_upload)

    pull = actions.add_parser("pull", help="download and apply the server's global weights")
    pull.add_argument(
        "--force", action="store_true", help="apply even a version rolled back before"
    )
    pull.set_defaults(func=_pull)

    rollback = actions.add_parser("rollback", help="return to the previous weights")
    rollback.set_defaults(func=_rollback)

    aggregate = actions.add_parser(
        "aggregate", help="ask the server to aggregate this round (admin doctors)"
    )
    aggregate.set_defaults(func=_aggregate)

    simulate = actions.add_parser(
        "simulate", help="federated simulation over a training folder (needs the train extra)"
    )
    simulate.add_argument(
        "sim_args", nargs=argparse.REMAINDER, help="arguments of training/fl_simulate.py"
    )
    simulate.set_defaults(func=_simulate)


def _client(ctx):

    return ctx.services().federated_client()


def _user(ctx) -> str | None:
    """The signed-in user, else the one this computer's settings name (the CLI acts for them)."""
    app = ctx.services()
    user = app.accounts.current_user
    return user.username if user is not None else app.settings.current_user


def _remote(ctx):
    from desktop_app.cli.context import CliError
    from desktop_app.core.federated.remote import SyncRemote

    sync = ctx.services().sync
    if sync is None:
        raise CliError("no server is configured: pass --server URL or set one in the app")
    return SyncRemote(sync, _user(ctx))


def _guarded(call):
    """Runs `call`, turning the app's plain-words errors into one CLI error line."""
    from desktop_app.cli.context import CliError
    from desktop_app.core.api_client import ApiError
    from desktop_app.core.federated import FederatedError

    try:
        return call()
    except FederatedError as exc:
        raise CliError(exc.user_message) from exc
    except ApiError as exc:
        raise CliError(exc.user_message) from exc


def _status(ctx, args) -> int:
    from desktop_app.core.api_client import ApiError

    client = _client(ctx)
    problem = None
    if not args.offline and getattr(ctx.services(), "sync", None) is not None:
        try:
            client.remember_server_meta(_remote(ctx).get_global_meta())
        except ApiError as exc:
            problem = exc.user_message
    status = client.status()
    status["server_problem"] = problem
    if args.json:
        print(json.dumps(status, indent=2, sort_keys=True))
        return 0
    server = status["server"] or {}
    print(
        f"weights in use:   {status['active_version']}"
        + ("  (shipped)" if status["using_shipped_head"] else "")
    )
    print(
        f"server version:   {server.get('version', 'unknown')}"
        + (f"  round {server['round']}" if server.get("round") is not None else "")
    )
    if server.get("contributors") is not None:
        print(
            f"  contributors {server.get('contributors')}, examples {server.get('total_examples')}"
        )
    if server.get("pending_updates") is not None:
        print(f"  updates waiting for the next round: {server['pending_updates']}")
    if problem:
        print(f"  (server not reached: {problem})")
    counts = status["dataset"]
    print(
        f"confirmed cases:  {sum(counts.values())}  "
        + ", ".join(f"{k} {v}" for k, v in counts.items())
    )
    for entry in status["history"]:
        accuracy = entry.get("local_accuracy")
        flag = "  (rolled back)" if entry.get("rolled_back_at") else ""
        figure = f"local accuracy {accuracy:.1%}" if accuracy is not None else "local accuracy n/a"
        print(f"  version {entry['version']}: {figure}{flag}")
    for update in status["updates"][-3:]:
        print(f"  update {update['id'][:8]}: {update['num_examples']} cases, {update['state']}")
    return 0


def _train(ctx, args) -> int:
    from desktop_app.core.federated import TrainConfig

    client = _client(ctx)

    def progress(stage: str, done: int, total: int) -> None:
        if not args.json:
            print(f"\r{stage}: {done}/{total}", end="", file=sys.stderr, flush=True)

    outcome = _guarded(
        lambda: client.train(
            TrainConfig(max_epochs=args.epochs, l2_to_global=args.l2),
            username=_user(ctx),
            progress=progress,
        )
    )
    result = outcome.result
    if not args.json:
        print(file=sys.stderr)
    summary = {
        "update_id": outcome.update_id,
        "examples_train": result.num_train,
        "examples_validation": result.num_val,
        "accuracy_before": result.accuracy_before,
        "accuracy_after": result.accuracy_after,
        "epochs": result.epochs_run,
        "stopped": result.stop_reason,
        "base_version": result.weights.version,
    }
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print(f"trained on {result.num_train} cases, validated on {result.num_val}")
        print(f"held-back accuracy: {result.accuracy_before:.1%} -> {result.accuracy_after:.1%}")
        print(f"update {outcome.update_id[:8]} is ready: run `tumorpredict fl upload` to share it")
    return 0


def _upload(ctx, args) -> int:
    client = _client(ctx)
    doc = _guarded(lambda: client.queue_upload(args.update))
    print(f"update {doc['id'][:8]} ({doc['num_examples']} cases) is {doc['state']}")
    if args.now:
        _remote(ctx)  # a clear error when no server is configured
        _guarded(lambda: ctx.services().sync.run_once())
        print(f"update {doc['id'][:8]} is {client.update(doc['id'])['state']}")
    return 0


def _pull(ctx, args) -> int:
    client = _client(ctx)
    entry = _guarded(lambda: client.pull(_remote(ctx), force=args.force))
    if entry is None:
        print(f"already up to date: {client.active_version()}")
    else:
        accuracy = entry.get("local_accuracy")
        extra = (
            f" (accuracy on local confirmed cases {accuracy:.1%})" if accuracy is not None else ""
        )
        print(f"now using global weights {entry['version']}{extra}")
    return 0


def _rollback(ctx, args) -> int:
    client = _client(ctx)
    version = _guarded(client.rollback)
    print(f"rolled back: now using {version}")
    return 0


def _aggregate(ctx, args) -> int:
    answer = _guarded(lambda: _remote(ctx).trigger_aggregation())
    print(json.dumps(answer, indent=2, sort_keys=True))
    return 0


def _simulate(ctx, args) -> int:
    from desktop_app.cli.context import CliError

    try:
        from training import fl_simulate
    except ImportError as exc:
        raise CliError(f"the simulation needs the training extra ({exc})") from exc
    return int(fl_simulate.main(args.sim_args) or 0)
