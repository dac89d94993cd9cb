"""`policybot incidents ...`: the Designated Safeguarding Lead's view of the reports."""

from __future__ import annotations

import argparse
import csv
import grp
import json
import os
import pwd
import sys
from zoneinfo import ZoneInfo

from bot.cli.spreadsheet import as_text_cell
from bot.incidents.categories import BY_KEY
from bot.incidents.form import LOCATION_LABELS
from bot.incidents.service import IncidentNotFound, IncidentService, StatusChangeRefused, local_time
from bot.records import STATUSES, Incident
from bot.settings import Settings

EXPORT_FIELDS = ("Date and time", "Category", "People involved", "What happened", "Action taken", "Reported by",
                 "Reference")



def summary_of(incident: Incident, zone: ZoneInfo) -> dict:
    return {"reference": incident.reference, "received": local_time(incident.created_at, zone),
            "category": incident.category, "urgent": incident.urgent, "status": incident.status,
            "routed_to": incident.routed_to}


def details_of(incident: Incident, zone: ZoneInfo) -> dict:
    return {
        **summary_of(incident, zone),
        "category_label": BY_KEY[incident.category].label,
        "occurred": incident.occurred_text,
        "where": LOCATION_LABELS.get(incident.location or "", ""),
        "people_involved": incident.people_text or ", ".join(incident.people_roles),
        "what_happened": incident.description,
        "evidence_saved": incident.evidence_saved,
        "immediate_danger": incident.immediate_danger,
        "reported_by": f"{incident.reporter_name} ({incident.reporter_role}), {incident.reporter_contact}",
        "channel": incident.channel_user,
        "action_taken": incident.action_taken,
        "audit": [{"at": local_time(a.at, zone), "who": a.actor, "action": a.action, "from": a.from_status,
                   "to": a.to_status, "note": a.note} for a in incident.audit],
        "notifications": [{"to": n.recipient, "channel": n.channel, "status": n.status, "attempts": n.attempts,
                           "sent": local_time(n.sent_at, zone), "last_error": n.last_error} for n in incident.notifications],
    }


def export_row(incident: Incident, zone: ZoneInfo) -> list[str]:
    occurred = local_time(incident.occurred_at, zone) if incident.occurred_at else incident.occurred_text
    if incident.occurred_at and " at " not in incident.occurred_text:
        occurred = occurred.split(" ")[0]  # a day without a time
    action = incident.action_taken or {"open": "Open: not yet acknowledged",
                                       "acknowledged": "Acknowledged, in progress"}.get(incident.status, incident.status)
    return [occurred, BY_KEY[incident.category].label, incident.people_text or ", ".join(incident.people_roles),
            incident.description, action,
            f"{incident.reporter_name} ({incident.reporter_role}, {incident.reporter_contact})", incident.reference]


def os_user() -> str:
    """Who is running this, from the operating system (not from LOGNAME or USER, which anyone can set)."""
    return pwd.getpwuid(os.geteuid()).pw_name


def in_group(group: str) -> bool:
    try:
        entry = grp.getgrnam(group)
    except KeyError:
        return False
    return entry.gr_gid in os.getgroups() or entry.gr_gid == os.getegid() or os_user() in entry.gr_mem


def refused(settings: Settings) -> str | None:
    """Why this account may not read the reports (DSL_GROUP), or None."""
    if settings.DSL_GROUP and not in_group(settings.DSL_GROUP):
        return (f"The reports are for the Designated Safeguarding Lead's group ({settings.DSL_GROUP}); "
                f"{os_user()} is not in it. Ask the school's IT lead to add you.")
    return None


def run(args: argparse.Namespace, settings: Settings) -> int:
    why_not = refused(settings)
    if why_not:
        print(why_not, file=sys.stderr)
        return 2
    service = IncidentService(settings)
    zone = service.zone
    actor = f"cli:{os_user()}"
    try:
        if args.action == "list":
            incidents = service.list(args.status)
            service.record_reads(incidents, actor, "listed")
            if args.json:
                print(json.dumps([summary_of(i, zone) for i in incidents], indent=2))
            elif not incidents:
                print("No reports" + (f" with status {args.status}." if args.status else "."))
            else:
                print(f"{'REFERENCE':<15} {'RECEIVED':<17} {'STATUS':<13} {'URGENT':<7} CATEGORY")
                for i in incidents:
                    print(f"{i.reference:<15} {local_time(i.created_at, zone):<17} {i.status:<13} "
                          f"{'YES' if i.urgent else '':<7} {BY_KEY[i.category].label}")
        elif args.action == "show":
            incident = service.get(args.reference)
            service.record_reads([incident], actor, "viewed")
            details = details_of(incident, zone)
            if args.json:
                print(json.dumps(details, indent=2, ensure_ascii=False))
            else:
                _print_details(details)
        elif args.action in {"ack", "close"}:
            to_status = "acknowledged" if args.action == "ack" else "closed"
            incident = service.change_status(args.reference, to_status, actor, getattr(args, "note", None))
            print(f"{incident.reference} is now {incident.status}.")
        elif args.action == "export":
            writer = csv.writer(sys.stdout)
            writer.writerow(EXPORT_FIELDS)
            incidents = service.list(args.status)
            service.record_reads(incidents, actor, "exported")
            for incident in incidents:
                writer.writerow([as_text_cell(cell) for cell in export_row(incident, zone)])
    except (IncidentNotFound, StatusChangeRefused) as problem:
        print(problem.args[0], file=sys.stderr)
        return 1
    return 0


def _print_details(d: dict) -> None:
    for label, key in (("Reference", "reference"), ("Status", "status"), ("Urgent", "urgent"),
                       ("Kind", "category_label"), ("Received", "received"), ("Happened", "occurred"),
                       ("Where", "where"), ("People involved", "people_involved"), ("What happened", "what_happened"),
                       ("Evidence saved", "evidence_saved"), ("Reported by", "reported_by"), ("Channel", "channel"),
                       ("Routed to", "routed_to"), ("Action taken", "action_taken")):
        value = d[key]
        if value not in (None, "", []):
            print(f"{label + ':':<17}{', '.join(value) if isinstance(value, list) else value}")
    print("Audit trail:")
    for a in d["audit"]:
        print(f"  {a['at']}  {a['action']:<13} by {a['who']}" + (f"  note: {a['note']}" if a["note"] else ""))
    print("Notifications:")
    for n in d["notifications"] or [{"to": "(none)", "channel": "", "status": "", "attempts": 0}]:
        print(f"  {n['channel']:<6} {n['to']:<36} {n['status']:<8} attempts: {n['attempts']}")


def add_parser(commands) -> None:
    top = commands.add_parser("incidents", help="list, read, acknowledge, close and export incident reports")
    actions = top.add_subparsers(dest="action", required=True)
    listing = actions.add_parser("list", help="list reports, oldest first")
    listing.add_argument("--status", choices=STATUSES)
    listing.add_argument("--json", action="store_true")
    show = actions.add_parser("show", help="everything about one report, with its audit trail")
    show.add_argument("reference")
    show.add_argument("--json", action="store_true")
    for name, text in (("ack", "mark a report acknowledged"), ("close", "close a report, saying what was done")):
        change = actions.add_parser(name, help=text)
        change.add_argument("reference")
        if name == "close":
            change.add_argument("--note", required=True, help="the action taken, kept with the report")
    export = actions.add_parser("export", help="CSV in the order of a safeguarding record")
    export.add_argument("--format", choices=["csv"], default="csv")
    export.add_argument("--status", choices=STATUSES)
    top.set_defaults(handler=run)
    audit = commands.add_parser("audit", help="check the audit trail for edits, deletions and changed reports")
    audit.add_argument("check", choices=["verify"])
    audit.set_defaults(handler=verify)


def verify(args: argparse.Namespace, settings: Settings) -> int:
    why_not = refused(settings)
    if why_not:
        print(why_not, file=sys.stderr)
        return 2
    result = IncidentService(settings).verify_audit()
    if result.intact:
        print(f"The audit trail is intact: {result.entries} entries, each chained to the one before; "
              f"every report matches its last recorded change. Head: {result.head}")
        return 0
    print(f"The audit trail has been tampered with ({len(result.problems)} problems):", file=sys.stderr)
    for line in result.problems:
        print(f"  {line}", file=sys.stderr)
    return 1
