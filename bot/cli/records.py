"""`policybot retention run` and `policybot subject-access`: the records' life cycle, for the DSL's group."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, timezone

from bot.cli.incidents import os_user, refused
from bot.incidents.retention import run_retention, subject_access
from bot.settings import Settings


def _as_of(text: str | None) -> datetime:
    if not text:
        return datetime.now(timezone.utc)
    try:
        return datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=timezone.utc)
    except ValueError:
        raise SystemExit(f"error: --as-of wants a date like 2026-11-26, not {text!r}") from None


def retention(args: argparse.Namespace, settings: Settings) -> int:
    why_not = refused(settings)
    if why_not:
        print(why_not, file=sys.stderr)
        return 2
    done = run_retention(settings, _as_of(args.as_of), dry_run=args.dry_run)
    verb = "Would dispose of" if args.dry_run else "Disposed of"
    print(f"{verb}: {len(done.reports)} reports' content ({', '.join(done.reports) or 'none'}), "
          f"{done.feedback} feedback answers, {done.register_rows} register rows, {done.progress_rows} induction "
          f"progress rows, {done.teams_chats} Teams chat references, {done.unanswered_questions} unanswered questions.")
    return 0


def subject_access_export(args: argparse.Namespace, settings: Settings) -> int:
    why_not = refused(settings)
    if why_not:
        print(why_not, file=sys.stderr)
        return 2
    found = subject_access(settings, args.name, tuple(args.identity or ()), f"cli:{os_user()}")
    print(json.dumps(found, indent=2, ensure_ascii=False))
    return 0


def add_parsers(commands) -> None:
    keep = commands.add_parser("retention", help="dispose of records past their retention period")
    keep.add_argument("run", choices=["run"])
    keep.add_argument("--dry-run", action="store_true", help="say what would go, change nothing")
    keep.add_argument("--as-of", help="the day to judge by (YYYY-MM-DD; default today)")
    keep.set_defaults(handler=retention)
    sar = commands.add_parser("subject-access", help="everything stored about one person, as JSON")
    sar.add_argument("name", help="their full name")
    sar.add_argument("--identity", action="append",
                     help="a channel identity (slack:TEAM:USER, teams:TENANT:USER, web:...); repeatable")
    sar.set_defaults(handler=subject_access_export)
