"""The `tumorpredict kiosk set-pin` command: IT sets the operator PIN before a kiosk's first start.

Without it, the first `tumorpredict --kiosk` asks whoever stands at the screen to choose the PIN.
The PIN is read from stdin (piped, or typed twice without echo at a terminal), never from the
command line where other users and the shell history would see it, and stored as a verifier
exactly as the app's own PIN dialog stores it.
"""

from __future__ import annotations

import getpass
import sys

from desktop_app.cli.context import CliContext, CliError, service_command

MAX_PIN_LENGTH = 32  # the kiosk's unlock field takes no more (ui/kiosk.py, _pin_field)


def register(commands) -> None:
    parser = commands.add_parser("kiosk", help="set up kiosk mode (operator PIN)")
    actions = parser.add_subparsers(dest="kiosk_action", metavar="ACTION", required=True)
    pin = actions.add_parser(
        "set-pin", help="set the operator PIN that leaves kiosk mode (read from stdin)",
        description="Reads the PIN from stdin: `echo 2468 | tumorpredict kiosk set-pin`, or type "
        "it twice at the prompt. Replaces any PIN set before.",
    )
    pin.set_defaults(func=_set_pin)


def _read_pin() -> str:
    if sys.stdin.isatty():
        pin = getpass.getpass("New operator PIN: ")
        if getpass.getpass("Repeat it: ") != pin:
            raise CliError("the two PINs are not the same")
        return pin
    return sys.stdin.readline().rstrip("\r\n")


@service_command
def _set_pin(ctx: CliContext, args) -> int:
    from desktop_app.ui.kiosk import MIN_PIN_LENGTH

    pin = _read_pin()
    if not MIN_PIN_LENGTH <= len(pin) <= MAX_PIN_LENGTH:
        raise CliError(f"the PIN needs {MIN_PIN_LENGTH} to {MAX_PIN_LENGTH} characters")
    ctx.services().settings.set_kiosk_pin(pin)
    print("The kiosk operator PIN was set. It is needed to leave kiosk mode on this computer.")
    return 0
