"""The `tumorpredict reports` command: list, review and export reports as the signed-in user."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from desktop_app.cli.context import CliContext, CliError, service_command

LIST_FIELDS = (
    "id", "server_id", "username", "doctor", "status", "label", "label_key", "confidence", "probabilities",
    "is_brain_mri", "model_version", "doctor_notes", "timestamp", "reviewed_by", "reviewed_at",
    "confirmed_label", "reject_reason", "image_name", "updated_at",
)


def register(commands) -> None:
    parser = commands.add_parser("reports", help="list, review or export reports")
    actions = parser.add_subparsers(dest="reports_action", metavar="ACTION", required=True)

    listing = actions.add_parser("list", help="a doctor sees every report here, a patient their own")
    listing.add_argument("--status", choices=("pending", "approved", "rejected"))
    listing.add_argument("--json", action="store_true", help="print a JSON array")
    listing.set_defaults(func=_list)

    review = actions.add_parser("review", help="approve, reject or save notes on a report (doctors)")
    review.add_argument("report_id", metavar="REPORT_ID", help="the report's id (a unique prefix is enough)")
    decision = review.add_mutually_exclusive_group(required=True)
    decision.add_argument("--approve", action="store_const", const="approve", dest="action")
    decision.add_argument("--reject", action="store_const", const="reject", dest="action")
    decision.add_argument("--save", action="store_const", const="save", dest="action", help="save notes only")
    review.add_argument("--notes", default="")
    review.add_argument("--label", help="with --reject: the correct finding (glioma, meningioma, pituitary, notumor, not_assessable)")
    review.add_argument("--reason", default="", help="with --reject: why (required)")
    review.set_defaults(func=_review)

    export = actions.add_parser("export", help="write a report as a PDF")
    export.add_argument("report_id", metavar="REPORT_ID")
    export.add_argument("--pdf", required=True, metavar="OUT.pdf")
    export.set_defaults(func=_export)


def _visible_reports(app) -> list[dict]:
    user = app.accounts.require_user()
    return app.reports.queue() if user.is_doctor else app.reports.for_patient(user.username)


def resolve_report_id(app, text: str) -> str:
    """The local id for an id, a server id or a unique prefix of either, among the reports the user may see."""
    text = text.strip()
    if text and app.reports.get(text) is not None:
        return text
    matches = [r for r in _visible_reports(app) if text and any(str(r.get(k) or "").startswith(text) for k in ("id", "server_id"))]
    if not matches:
        raise CliError(f"no report {text!r} on this computer")
    if len(matches) > 1:
        raise CliError(f"{text!r} matches {len(matches)} reports; give more of the id")
    return matches[0]["id"]


@service_command
def _list(ctx: CliContext, args) -> int:
    from desktop_app.core.wording import finding_text, model_percent

    app = ctx.services()
    rows = [r for r in _visible_reports(app) if args.status is None or r.get("status") == args.status]
    if args.json:
        print(json.dumps([{k: r.get(k) for k in LIST_FIELDS} for r in rows], indent=2))
        return 0
    if not rows:
        print("No reports.")
        return 0
    print(f"{'ID':<32}  {'DATE':<16}  {'PATIENT':<16}  {'RESULT':<16}  {'CONF':>5}  STATUS")
    for r in rows:
        confidence = "" if r.get("confidence") is None else model_percent(r["confidence"])
        print(f"{r['id']:<32}  {_date(r.get('timestamp')):<16}  {r.get('username') or '':<16}  "
              f"{finding_text(r.get('label'), ''):<16}  {confidence:>5}  {r.get('status')}")
    return 0


@service_command
def _review(ctx: CliContext, args) -> int:
    app = ctx.services()
    doctor = app.accounts.require_user("doctor")
    report_id = resolve_report_id(app, args.report_id)
    report = app.reports.review(report_id, doctor.username, args.action, notes=args.notes,
                                label=args.label, reason=args.reason)
    done = {"approve": "approved", "reject": "rejected", "save": "notes saved"}[args.action]
    print(f"Report {report_id}: {done}. The change waits in the outbox until the next sync.")
    if report.get("confirmed_label"):
        print(f"Confirmed finding: {report['confirmed_label']}")
    return 0


@service_command
def _export(ctx: CliContext, args) -> int:
    app = ctx.services()
    report_id = resolve_report_id(app, args.report_id)
    from desktop_app.ui.report_pdf import export_report_pdf

    out = Path(args.pdf).expanduser()
    try:
        export_report_pdf(app, report_id, out)
    except OSError as exc:
        raise CliError(f"could not write {out}: {exc.strerror or exc}") from exc
    print(f"Saved {out}")
    return 0


def _date(ms) -> str:
    return datetime.fromtimestamp(ms / 1000).strftime("%Y-%m-%d %H:%M") if ms else ""
