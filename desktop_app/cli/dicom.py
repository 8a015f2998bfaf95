"""The `tumorpredict dicom` command: listen for series from the scanner/PACS, find and get from a PACS."""

from __future__ import annotations

import json
import signal
import threading

from desktop_app.cli.context import CliContext, CliError, service_command


def register(commands) -> None:
    parser = commands.add_parser("dicom", help="receive MRI series over DICOM, or find and get them from a PACS",
                                 description="See docs/dicom.md for ports, AE titles and firewall rules.")
    actions = parser.add_subparsers(dest="dicom_action", metavar="ACTION", required=True)

    listen = actions.add_parser("listen", help="receive MR series (C-STORE) and triage each one into a pending report")
    listen.add_argument("--ae-title", help="this computer's AE title (default: config dicom-ae-title or TUMORPREDICT)")
    listen.add_argument("--port", help="TCP port to listen on, 0 for any free one (default: config dicom-port or 11112)")
    listen.add_argument("--allow", help="only these callers, AE or AE@host, comma-separated (default: config dicom-allow)")
    listen.add_argument("--bind", default="", help="listen on this address only (default: every interface)")
    listen.add_argument("--settle-seconds", type=float, default=3.0,
                        help="a series is complete after this many seconds without a new image (default 3)")
    listen.set_defaults(func=_listen)

    find = actions.add_parser("find", help="search the PACS for a patient's MR series")
    find.add_argument("--name", default="", help="patient name, * as wildcard (e.g. 'Doe*')")
    find.add_argument("--id", default="", dest="patient_id", help="patient ID")
    find.add_argument("--from", default="", dest="date_from", help="studies on or after this date (YYYYMMDD)")
    find.add_argument("--to", default="", dest="date_to", help="studies on or before this date (YYYYMMDD)")
    find.add_argument("--json", action="store_true", help="one JSON object per series")
    find.set_defaults(func=_find)

    get = actions.add_parser("get", help="retrieve one series from the PACS and triage it into a pending report")
    get.add_argument("study_uid")
    get.add_argument("series_uid")
    get.add_argument("--method", choices=("get", "move", "dicomweb"),
                     help="C-GET (default for a DIMSE PACS), C-MOVE to the running listener, or DICOMweb")
    get.set_defaults(func=_get)


def _listener_config(ctx: CliContext, args):
    from dataclasses import replace

    from desktop_app.core.dicom.node import (
        DicomConfigError,
        check_ae_title,
        check_port,
        listener_from_settings,
        parse_allow_list,
    )

    config = listener_from_settings(ctx.services().settings)
    try:
        changes = {"bind_address": args.bind, "settle_seconds": max(0.1, args.settle_seconds)}
        if args.ae_title:
            changes["ae_title"] = check_ae_title(args.ae_title)
        if args.port:
            changes["port"] = 0 if args.port.strip() == "0" else check_port(args.port)  # 0: any free port
        if args.allow is not None:
            changes["allow"] = tuple(parse_allow_list(args.allow))
    except DicomConfigError as exc:
        raise CliError(str(exc)) from exc
    return replace(config, **changes)


def _report_line(doc: dict) -> str:
    series = doc.get("series", {})
    patient = doc.get("username") or f"{series.get('patient_name') or '?'} (ID {series.get('patient_id') or '?'}, no account here)"
    return (f"pending report {doc['id']}: {series.get('series_description') or 'series'} of {patient}, "
            f"{series.get('instance_count')} images, key slice {doc.get('label')} "
            f"({(doc.get('confidence') or 0) * 100:.1f}%). {series.get('summary', '')}")


@service_command
def _listen(ctx: CliContext, args) -> int:
    from desktop_app.core.dicom.receiver import DicomReceiver

    config = _listener_config(ctx, args)
    receiver = DicomReceiver(ctx.services(), config, on_report=lambda doc: print(_report_line(doc), flush=True))
    try:
        receiver.start()
    except OSError as exc:
        raise CliError(exc.strerror or str(exc)) from exc
    allowed = ", ".join(map(str, config.allow)) or "every caller"
    print(f"Listening as {config.ae_title} on port {receiver.port} (accepting {allowed}). Ctrl+C stops.", flush=True)
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        print("Stopping: triaging what already arrived…", flush=True)
        receiver.stop()
    return 0


def _pacs(ctx: CliContext):
    from desktop_app.core.dicom.pacs import Pacs
    from desktop_app.core.dicom.query import PacsError

    try:
        return Pacs(ctx.services())
    except PacsError as exc:
        raise CliError(str(exc)) from exc


@service_command
def _find(ctx: CliContext, args) -> int:
    from desktop_app.core.dicom.query import PacsError, PatientQuery

    search = PatientQuery(args.name, args.patient_id, args.date_from, args.date_to)
    try:
        matches = _pacs(ctx).find(search)
    except PacsError as exc:
        raise CliError(str(exc)) from exc
    for match in matches:
        print(json.dumps(match.__dict__) if args.json else match.line())
    if not matches and not args.json:
        print("No MR series found.")
    return 0


@service_command
def _get(ctx: CliContext, args) -> int:
    from desktop_app.core.dicom.query import PacsError

    try:
        doc = _pacs(ctx).retrieve(args.study_uid, args.series_uid, args.method)
    except PacsError as exc:
        raise CliError(str(exc)) from exc
    if args.method == "move":
        print("The PACS sent the series to this computer's listener; its report appears there.")
    elif doc is None:
        print("The series arrived, but no slice could be assessed, so no report was saved.")
    else:
        print(_report_line(doc))
    return 0
