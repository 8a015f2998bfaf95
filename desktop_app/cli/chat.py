"""The `tumorpredict chat` command: send a message, show a conversation."""

from __future__ import annotations

import json
from datetime import datetime

from desktop_app.cli.context import CliContext, service_command


def register(commands) -> None:
    parser = commands.add_parser("chat", help="send a message or show a conversation")
    actions = parser.add_subparsers(dest="chat_action", metavar="ACTION", required=True)

    send = actions.add_parser("send", help="send a message as the signed-in user (queued until the next sync)")
    send.add_argument("--to", required=True, metavar="USER")
    send.add_argument("text", nargs="+", metavar="TEXT")
    send.set_defaults(func=_send)

    show = actions.add_parser("show", help="show the conversation with USER, oldest first, and mark it read")
    show.add_argument("--with", required=True, dest="peer", metavar="USER")
    show.add_argument("--json", action="store_true", help="print a JSON array")
    show.set_defaults(func=_show)


@service_command
def _send(ctx: CliContext, args) -> int:
    app = ctx.services()
    me = app.accounts.require_user()
    message = app.chat.send(me.username, args.to, " ".join(args.text))
    print(f"Message to {message['receiver']} saved; it is sent at the next sync.")
    return 0


@service_command
def _show(ctx: CliContext, args) -> int:
    app = ctx.services()
    me = app.accounts.require_user()
    messages = app.chat.conversation(me.username, args.peer)
    app.chat.mark_read(me.username, args.peer)
    if args.json:
        print(json.dumps(messages, indent=2))
        return 0
    if not messages:
        print(f"No messages with {args.peer}.")
        return 0
    for m in messages:
        when = datetime.fromtimestamp(m["timestamp"] / 1000).strftime("%Y-%m-%d %H:%M")
        state = "" if m.get("state") == "sent" or m.get("sender") != me.username else f"  ({m.get('state')})"
        print(f"[{when}] {m['sender']}: {m['message']}{state}")
    return 0
