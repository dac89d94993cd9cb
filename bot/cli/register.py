"""`policybot register ...`: the acknowledgement register for the school business manager."""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.cli.spreadsheet import as_text_cell
from bot.incidents.service import local_time
from bot.induction.content import InductionError
from bot.induction.service import InductionService, StaffMember
from bot.settings import Settings

FIELDS = ("name", "channel identity", "policy", "version", "attempt", "started", "finished", "score", "passed",
          "confirmed read and understood")



def rows(service: InductionService, zone: ZoneInfo) -> list[dict]:
    return [dict(zip(FIELDS, (r.person_name, r.channel_user, r.policy_code, r.policy_version, r.attempt,
                              local_time(r.started_at, zone), local_time(r.finished_at, zone), r.score,
                              "yes" if r.passed else "no", local_time(r.confirmed_at, zone)), strict=True))
            for r in service.register()]


class StaffListProblem(ValueError):
    """The staff list cannot be read; the message says why."""


def staff_from_text(text: str) -> list[StaffMember]:
    """People from a CSV with a `name` column and, optionally, `slack_user` (U…) and `teams_user` (Entra object
    id) columns; any other columns are ignored."""
    reader = csv.DictReader(io.StringIO(text))
    columns = {c.strip().lower(): c for c in reader.fieldnames or [] if c}
    column = columns.get("name") or columns.get("full name")
    if column is None:
        raise StaffListProblem("the staff list needs a 'name' column")
    slack, teams = columns.get("slack_user"), columns.get("teams_user")
    return [StaffMember(row[column].strip(), (row.get(slack) or "").strip() if slack else "",
                        (row.get(teams) or "").strip() if teams else "")
            for row in reader if (row.get(column) or "").strip()]


def read_staff(path: Path) -> list[StaffMember]:
    try:
        return staff_from_text(path.read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise SystemExit(f"error: cannot read {path}: {exc.strerror}") from None
    except StaffListProblem as problem:
        raise SystemExit(f"error: {path}: {problem}") from None


def run(args: argparse.Namespace, settings: Settings) -> int:
    service = InductionService(settings)
    zone = ZoneInfo(settings.SCHOOL_TIMEZONE)
    try:
        if args.action == "list":
            found = rows(service, zone)
            if args.json:
                print(json.dumps(found, indent=2, ensure_ascii=False))
            elif not found:
                print("The register is empty.")
            for r in [] if args.json else found:
                print(f"{r['name']:<24} {r['version']:<18} attempt {r['attempt']}  {r['score']:>3}%  "
                      f"passed: {r['passed']:<3}  confirmed: {r['confirmed read and understood'] or '-'}")
        elif args.action == "export":
            writer = csv.DictWriter(sys.stdout, fieldnames=FIELDS)
            writer.writeheader()
            writer.writerows({k: as_text_cell(v) for k, v in row.items()} for row in rows(service, zone))
        elif args.action == "missing":
            missing = service.missing(read_staff(Path(args.staff)))
            print(f"Current version: {service.content.version}")
            if not missing:
                print("Everyone on the list has acknowledged the current version.")
            for name, reason in missing:
                print(f"{name}: {reason}")
            return 0 if not missing else 3
    except InductionError as problem:
        print(f"error: {problem}", file=sys.stderr)
        return 1
    return 0


def add_parser(commands) -> None:
    top = commands.add_parser("register", help="the safeguarding induction acknowledgement register")
    actions = top.add_subparsers(dest="action", required=True)
    listing = actions.add_parser("list", help="every completed induction quiz, with scores and confirmations")
    listing.add_argument("--json", action="store_true")
    export = actions.add_parser("export", help="the register as CSV")
    export.add_argument("--format", choices=["csv"], default="csv")
    missing = actions.add_parser("missing", help="staff with no confirmed acknowledgement of the current version")
    missing.add_argument("--staff", required=True, help="CSV of staff with a 'name' column")
    top.set_defaults(handler=run)
