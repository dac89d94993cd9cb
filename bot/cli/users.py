"""`policybot users ...` and `policybot pupils import`: the desk's accounts, and the pupil list from the MIS."""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

from bot.cli.incidents import refused
from bot.desk.access import ROLES
from bot.settings import Settings

# the account service (Argon2, the database) is imported when a `users` command runs, not by every policybot command


def _password(args: argparse.Namespace) -> str:
    from bot.desk.accounts import AccountProblem

    """From standard input with --password-stdin (one line), else asked twice without echo."""
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password (at least 12 characters): ")
    if getpass.getpass("The same again: ") != first:
        raise AccountProblem("The two passwords are not the same; nothing was changed.")
    return first


SWITCHES = {
    "disable": ("disable", "is disabled and signed out everywhere."),
    "enable": ("enable", "can sign in again."),
    "reset-2fa": ("reset_second_factor", "sets up a new authenticator at their next sign-in (signed out now)."),
    "unlock": ("unlock", "is unlocked."),
}


def run(args: argparse.Namespace, settings: Settings) -> int:
    from bot.database import open_database
    from bot.desk.accounts import AccountProblem, Accounts
    from bot.records import utcnow

    why_not = refused(settings)
    if why_not:
        print(why_not, file=sys.stderr)
        return 2
    db = open_database(settings.database_url())
    db.prepare()
    accounts = Accounts(settings, db)
    try:
        if args.action == "add":
            user = accounts.add(args.username, args.name, args.role, _password(args), args.contact, utcnow())
            second = (" At their first sign-in at /desk/ they set up an authenticator app (a QR code is shown)."
                      if ROLES[user.role].needs_second_factor else "")
            print(f"Added {user.username} ({user.display_name}), role {user.role}.{second}")
        elif args.action == "list":
            users = accounts.all()
            if not users:
                print("No desk accounts yet: `policybot users add NAME --name \"Full Name\" --role dsl`.")
            for u in users:
                state = "disabled" if u.disabled else ("locked" if _locked(u) else "active")
                print(f"{u.username:<20} {u.role:<16} {state:<9} 2FA: {'set' if u.totp_secret else 'not set'}  "
                      f"{u.display_name}")
        elif args.action in SWITCHES:
            change, said = SWITCHES[args.action]
            getattr(accounts, change)(args.username)
            print(f"{args.username} {said}")
        elif args.action == "password":
            accounts.set_password(args.username, _password(args))
            print(f"{args.username}'s password is changed (and they are signed out everywhere).")
    except AccountProblem as problem:
        print(f"error: {problem}", file=sys.stderr)
        return 1
    return 0


def _locked(user) -> bool:
    from bot.incidents.service import as_utc
    from bot.records import utcnow

    return bool(user.locked_until and as_utc(user.locked_until) > utcnow())


def run_pupils(args: argparse.Namespace, settings: Settings) -> int:
    from bot.database import open_database
    from bot.desk.pupils import PupilImportProblem, import_pupils

    why_not = refused(settings)
    if why_not:
        print(why_not, file=sys.stderr)
        return 2
    try:
        data = Path(args.file).read_bytes()
    except OSError as exc:
        print(f"error: cannot read {args.file}: {exc.strerror}", file=sys.stderr)
        return 1
    try:
        done = import_pupils(open_database(settings.database_url()), data)
    except PupilImportProblem as problem:
        print(f"error: {args.file}: {problem}", file=sys.stderr)
        return 1
    print(f"{done.added} pupil{'' if done.added == 1 else 's'} added, {done.updated} updated.")
    for line in done.skipped:
        print(f"  skipped {line}")
    return 0


def add_parsers(commands) -> None:
    top = commands.add_parser("users", help="accounts for the DSL's desk (/desk/)")
    actions = top.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add", help="add an account (asks for its password)")
    add.add_argument("username", help="what they type to sign in, e.g. j.smith")
    add.add_argument("--name", required=True, help="their full name, as shown on the desk and in the audit trail")
    add.add_argument("--role", required=True, choices=list(ROLES), help="what they may see (see the README)")
    add.add_argument("--contact", help="their key in the contacts file, when their reports are routed by it")
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    actions.add_parser("list", help="every account, its role and state")
    for name, text in (("disable", "switch an account off (signed out at once)"), ("enable", "switch it on again"),
                       ("reset-2fa", "a new authenticator at the next sign-in (a lost phone)"),
                       ("unlock", "end a lock-out after repeated wrong passwords")):
        actions.add_parser(name, help=text).add_argument("username")
    password = actions.add_parser("password", help="set a new password")
    password.add_argument("username")
    password.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    top.set_defaults(handler=run)
    pupils = commands.add_parser("pupils", help="pupil records for the desk's chronologies").add_subparsers(
        dest="action", required=True)
    importing = pupils.add_parser("import", help="add or update pupils from the MIS's CSV export")
    importing.add_argument("file")
    importing.set_defaults(handler=run_pupils)
