"""The `tumorpredict config` command: what IT sets up once per computer (server, clinic, idle times).

Each value lives in the data folder's settings, exactly where the app reads it; nothing here is
a secret (the kiosk operator PIN has its own command, `tumorpredict kiosk set-pin`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from desktop_app.cli.context import CliContext, CliError, service_command
from desktop_app.core.dicom import node

MAX_MINUTES = 24 * 60


def _server_url(value: str) -> str:
    from desktop_app.core.services import normalize_server_url

    return normalize_server_url(value)  # AccountError in plain words for a malformed address


def _minutes(value: str) -> int:
    try:
        minutes = int(value)
    except ValueError:
        minutes = 0
    if not 1 <= minutes <= MAX_MINUTES:
        raise CliError(f"“{value}” is not a number of minutes from 1 to {MAX_MINUTES}")
    return minutes


def _dicom(parse: Callable[[str], Any]) -> Callable[[str], Any]:
    """A DICOM value checker whose refusal becomes a one-line CLI error."""

    def checked(value: str) -> Any:
        try:
            return parse(value)
        except node.DicomConfigError as exc:
            raise CliError(str(exc)) from exc

    return checked


def _allow_list(value: str) -> str:
    return ",".join(map(str, node.parse_allow_list(value)))


def _on_off(value: str) -> bool:
    words = {"on": True, "yes": True, "true": True, "off": False, "no": False, "false": False}
    if value.strip().lower() not in words:
        raise CliError(f"“{value}” is not on or off")
    return words[value.strip().lower()]


def _on_off_text(value: Any) -> str:
    return "on" if value else "off"


def _folder(value: str) -> str:
    return str(Path(value).expanduser().resolve())


@dataclass(frozen=True)
class ConfigKey:
    """One `config set` name: where it is stored in settings/app and how its text is checked."""

    name: str
    setting: str  # top-level key in settings/app
    nested: str | None  # key inside that setting's dict (the kiosk block), or None
    parse: Callable[[str], Any]
    help: str
    display: Callable[[Any], Any] = lambda value: value  # the stored value as `config set` takes it

    def read(self, settings) -> Any:
        value = settings.get(self.setting)
        return (value or {}).get(self.nested) if self.nested else value

    def write(self, settings, value: Any) -> None:
        if self.nested is None:
            settings.set(self.setting, value)
            return
        block = dict(settings.get(self.setting, {}) or {})
        block[self.nested] = value
        settings.set(self.setting, block)


KEYS = {key.name: key for key in (
    ConfigKey("server-url", "server_url", None, _server_url,
              "the clinic's TumorPredict server (unset: work offline only)"),
    ConfigKey("clinic-name", "clinic_name", None, str.strip,
              "shown on the kiosk bar and on PDF reports"),
    ConfigKey("idle-logout-minutes", "idle_logout_minutes", None, _minutes,
              "sign a workstation user out after this many idle minutes (default 15)"),
    ConfigKey("kiosk-idle-minutes", "kiosk", "idle_minutes", _minutes,
              "sign a kiosk patient out after this many idle minutes (default 2)"),
    ConfigKey("dicom-ae-title", "dicom", "ae_title", _dicom(node.check_ae_title),
              "this computer's DICOM AE title (default TUMORPREDICT)"),
    ConfigKey("dicom-port", "dicom", "port", _dicom(node.check_port),
              "the port the DICOM receiver listens on (default 11112)"),
    ConfigKey("dicom-allow", "dicom", "allow", _dicom(_allow_list),
              "callers the receiver accepts, AE or AE@host, comma-separated (unset: every caller)"),
    ConfigKey("pacs", "dicom", "pacs", _dicom(node.parse_pacs),
              "the PACS to search: AE_TITLE@host:port, or a DICOMweb URL", node.pacs_text),
    ConfigKey("sign-in-file", "sign_in_file", None, _on_off,
              "on: where no OS keyring exists, keep the server sign-in in a file only this "
              "computer account can read, so scheduled syncs work (default off)", _on_off_text),
    ConfigKey("kiosk-import-dir", "kiosk", "import_dir", _folder,
              "a folder a kiosk may open scans from, besides removable media"),
    ConfigKey("kiosk-export-dir", "kiosk", "export_dir", _folder,
              "the only folder a kiosk saves PDF reports to (unset: no PDF export in a kiosk)"),
)}


def register(commands) -> None:
    names = ", ".join(KEYS)
    parser = commands.add_parser(
        "config", help="show or change this computer's settings (server, clinic, idle times)",
        description="Settings kept in the data folder. Names: "
        + "; ".join(f"{key.name}: {key.help}" for key in KEYS.values()),
    )
    actions = parser.add_subparsers(dest="config_action", metavar="ACTION", required=True)

    show = actions.add_parser("show", help="print every setting")
    show.add_argument("--json", action="store_true", help="machine-readable output")
    show.set_defaults(func=_show)

    set_ = actions.add_parser("set", help=f"change one setting ({names})")
    set_.add_argument("name", choices=list(KEYS), metavar="NAME")
    set_.add_argument("value")
    set_.set_defaults(func=_set)

    unset = actions.add_parser("unset", help="back to the default (server-url: work offline only)")
    unset.add_argument("name", choices=list(KEYS), metavar="NAME")
    unset.set_defaults(func=_unset)


def _current(settings) -> dict[str, Any]:
    values = {name: key.display(key.read(settings)) for name, key in KEYS.items()}
    values["idle-logout-minutes"] = settings.idle_logout_minutes  # the value in force (clamped)
    values["kiosk-idle-minutes"] = settings.kiosk_idle_minutes
    values["kiosk-operator-pin"] = "set" if settings.get("kiosk", {}).get("pin_verifier") else "not set"
    return values


@service_command
def _show(ctx: CliContext, args) -> int:
    values = _current(ctx.services().settings)
    if args.json:
        print(json.dumps({"data_dir": str(ctx.data_dir), **values}, sort_keys=True))
        return 0
    print(f"data-dir: {ctx.data_dir}")
    for name, value in values.items():
        print(f"{name}: {'(not set)' if value in (None, '') else value}")
    return 0


@service_command
def _set(ctx: CliContext, args) -> int:
    key = KEYS[args.name]
    value = key.parse(args.value)
    key.write(ctx.services().settings, value)
    print(f"{key.name}: {key.display(value)}")
    if key.name == "sign-in-file":
        _sign_in_file_changed(ctx, value)
    if key.name in ("kiosk-import-dir", "kiosk-export-dir") and not Path(value).is_dir():
        print(f"Note: {value} does not exist yet; the kiosk offers it once it does.")
    return 0


@service_command
def _unset(ctx: CliContext, args) -> int:
    key = KEYS[args.name]
    key.write(ctx.services().settings, None)
    print(f"{key.name}: back to the default")
    if key.name == "sign-in-file":
        _sign_in_file_changed(ctx, False)
    return 0


def _sign_in_file_changed(ctx: CliContext, on: bool) -> None:
    from desktop_app.core.token_file import FILE_NAME

    path = ctx.data_dir / FILE_NAME
    if on:
        print("Where this computer has no OS keyring, the server sign-in is now kept in "
              f"{path} (readable by this computer account only). Sign in again to start using it.")
    elif path.exists():
        path.unlink()  # off means no token stays on disk
        print(f"The sign-in file {path} was deleted.")
