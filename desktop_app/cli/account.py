"""The `tumorpredict account` command: register, sign in and out, who is signed in, doctor enrollment code."""

from __future__ import annotations

import sys

from desktop_app.cli.context import CliContext, CliError, read_password, service_command

ASK = object()  # `--enrollment-code` given with no value: ask for it (or read standard input)


def register(commands) -> None:
    parser = commands.add_parser("account", help="register, sign in or out, show who is signed in")
    actions = parser.add_subparsers(dest="account_action", metavar="ACTION", required=True)

    reg = actions.add_parser("register", help="create an account on this computer (and the server, if set) and sign in")
    reg.add_argument("--username", required=True)
    reg.add_argument("--email", required=True)
    reg.add_argument("--role", required=True, choices=("patient", "doctor"))
    reg.add_argument("--doctor", help="a patient's doctor (their username)")
    reg.add_argument("--full-name", default="")
    reg.add_argument("--enrollment-code", nargs="?", const=ASK,
                     help="the clinic's code that a doctor account needs; give the option alone to "
                          "be asked for it (or to read it from standard input), so it stays out "
                          "of the shell history")
    reg.set_defaults(func=_register)

    login = actions.add_parser("login", help="sign in (password from $TUMORPREDICT_PASSWORD or a prompt)")
    login.add_argument("--username", required=True)
    login.set_defaults(func=_login)

    actions.add_parser("logout", help="sign out").set_defaults(func=_logout)
    actions.add_parser("whoami", help="show who is signed in").set_defaults(func=_whoami)

    code = actions.add_parser("enrollment-code", help="set the code new doctors need here (administrator "
                              "only; asked at a prompt, or read from standard input)")
    code.add_argument("--clear", action="store_true", help="remove the code")
    code.set_defaults(func=_enrollment_code)


@service_command
def _register(ctx: CliContext, args) -> int:
    app = ctx.services()
    password = read_password("Choose a password: ", confirm=True)
    code = args.enrollment_code
    if code == ASK:
        code = read_password("Doctor enrollment code: ", env=None)
    elif code:
        print("Note: a code typed on the command line stays in the shell history; next time give "
              "--enrollment-code alone to be asked for it.", file=sys.stderr)
    user = app.accounts.register(
        args.username, args.email, password, args.role,
        full_name=args.full_name, doctor=args.doctor, enrollment_code=code,
    )
    extra = (" You are this computer's administrator: other doctors need an enrollment code, which "
             "you set with: tumorpredict account enrollment-code") if user.is_admin else ""
    print(f"Registered and signed in as {user.username} ({user.role}).{extra}")
    _keyring_note(app)
    return 0


@service_command
def _login(ctx: CliContext, args) -> int:
    app = ctx.services()
    user = app.accounts.login(args.username, read_password())
    print(f"Signed in as {user.username} ({user.role}).")
    _keyring_note(app)
    return 0


@service_command
def _logout(ctx: CliContext, args) -> int:
    app = ctx.services()
    user = app.accounts.current_user
    if user is None:
        print("Nobody was signed in.")
        return 0
    app.accounts.logout()
    print(f"Signed out {user.username}.")
    return 0


@service_command
def _whoami(ctx: CliContext, args) -> int:
    app = ctx.services()
    user = app.accounts.current_user
    if user is None:
        raise CliError("nobody is signed in (sign in with: tumorpredict account login --username NAME)")
    name = f" — {user.full_name}" if user.full_name else ""
    doctor = f", doctor: {user.doctor}" if user.doctor else ""
    server = app.settings.server_url or "none (working offline)"
    print(f"{user.username} ({user.role}){name}{doctor}; server: {server}")
    return 0


@service_command
def _enrollment_code(ctx: CliContext, args) -> int:
    app = ctx.services()
    if args.clear:
        app.accounts.set_enrollment_code(None)
        print("The doctor enrollment code was removed.")
        return 0
    app.accounts.set_enrollment_code(read_password("New doctor enrollment code: ", confirm=True, env=None))
    print("The doctor enrollment code was set. New doctor accounts on this computer need it.")
    return 0


def _keyring_note(app) -> None:
    if app.settings.server_url and app.credentials.user_message:
        print(f"Note: {app.credentials.user_message}", file=sys.stderr)
