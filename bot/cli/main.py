"""`policybot`: ask the policy from the command line, rebuild the index, run the stack."""

from __future__ import annotations

import argparse
import json
import logging
import sys

from bot.lean import skip_httpx_cli

skip_httpx_cli()  # before the commands import httpx (bot/lean.py)

from bot.cli import incidents as incident_cli  # noqa: E402
from bot.cli import records as records_cli  # noqa: E402
from bot.cli import register as register_cli  # noqa: E402
from bot.cli import users as users_cli  # noqa: E402
from bot.database import DatabaseUnavailable  # noqa: E402
from bot.incidents.contacts import ContactsError  # noqa: E402
from bot.messages import MessageProblem, clean_message  # noqa: E402
from bot.policy.corpus import CorpusError  # noqa: E402
from bot.roles import ROLES  # noqa: E402
from bot.settings import Settings, describe, shown_value  # noqa: E402


def _ask(args: argparse.Namespace, settings: Settings) -> int:
    from bot.policy.assistant import PolicyAssistant

    try:
        question = clean_message(args.question, settings.MAX_MESSAGE_CHARS)
    except MessageProblem as problem:
        print(problem, file=sys.stderr)
        return 2
    answer = PolicyAssistant(settings).ask(question, args.role)
    if args.json:
        print(json.dumps({"text": answer.text, **answer.payload}, ensure_ascii=False, indent=2))
    else:
        print(answer.text)
    return 0


def _index(args: argparse.Namespace, settings: Settings) -> int:
    from bot.policy.assistant import PolicyAssistant

    assistant = PolicyAssistant(settings)
    index = assistant.index
    for policy in assistant.policies.values():
        print(f"{policy.code} {policy.title}: {len(policy.clauses)} clauses from {policy.source.name}")
    print(f"retrieval encoder fine-tuned on the phrasings (cached in {settings.path(settings.RETRIEVAL_MODEL_DIR)}; "
          "retrained only when they change)")
    print(f"{len(index.owners)} passages indexed; vectors cached in {settings.path(settings.INDEX_CACHE_DIR)}")
    from bot.safeguarding.triage import load_prototypes, running_triage

    running_triage(settings.path(settings.TRIAGE_MODEL_DIR))
    print(f"safeguarding triage fine-tuned on {len(load_prototypes())} prototypes (the soup of two fine-tunings, one "
          "leaving out the worries and questions file; cached, retrained only when they change)")
    return 0


def _run(args: argparse.Namespace, settings: Settings) -> int:
    from bot.cli import stack

    return stack.run(settings)


def _worker(args: argparse.Namespace, settings: Settings) -> int:
    from bot.notify.outbox import run_worker

    logging.getLogger().setLevel(settings.LOG_LEVEL.upper())
    return run_worker(settings)


def _database(args: argparse.Namespace, settings: Settings) -> int:
    from bot.database import describe_url, prepare_for

    prepare_for(settings.owner_url(), settings.database_url())
    print(f"The database at {describe_url(settings.database_url())} is up to date.")
    return 0


def _teams_app(args: argparse.Namespace, settings: Settings) -> int:
    from pathlib import Path

    from bot.cli.teams_package import PackageError, build

    try:
        target = build(settings, Path(args.output))
    except PackageError as problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    print(f"Wrote {target}: upload it in Teams (Apps > Manage your apps > Upload an app) or the Teams admin centre.")
    return 0


def _status(args: argparse.Namespace, settings: Settings) -> int:
    from bot.cli.service import status_lines

    running, lines = status_lines(settings, settings.path(settings.RUN_DIR))
    print("\n".join(lines))
    return 0 if running else 3  # 3: not running, as `systemctl status` says it


def _stop(args: argparse.Namespace, settings: Settings) -> int:
    from bot.cli.service import stop_running

    print(stop_running(settings.path(settings.RUN_DIR)))
    return 0


def _service_install(args: argparse.Namespace, settings: Settings) -> int:
    from pathlib import Path

    from bot.cli.service import install
    from bot.settings import ROOT

    print("\n".join(install(ROOT, settings, args.user, Path(args.target), Path(args.env_file))))
    return 0


def _import_policy(args: argparse.Namespace, settings: Settings) -> int:
    from pathlib import Path

    from bot.policy.importer import ImportProblem, import_policy

    out = Path(args.out) if args.out else settings.path(settings.POLICY_CORPUS_DIR)
    try:
        result = import_policy(Path(args.file), out, args.code)
    except ImportProblem as problem:
        print(f"error: {problem}", file=sys.stderr)
        return 1
    except OSError as problem:
        print(f"error: {args.file} could not be read ({problem.strerror or type(problem).__name__}).", file=sys.stderr)
        return 1
    policy = result.policy
    print(f"Wrote {result.written}: {policy.code} {policy.title}, {len(policy.clauses)} clauses, policy date "
          f"{policy.date_of_policy:%B %Y}, review {policy.review_date:%B %Y}. Check it against the original; "
          "`policybot index` then makes it searchable (Rasa needs no retraining).")
    for line in result.report:
        print(f"  to check: {line}")
    if result.replaced is not None:
        print(f"It replaces the version of {result.replaced.date_of_policy:%B %Y}, kept in {result.kept_as}. "
              + (f"{len(result.changes)} change(s):" if result.changes else "No clause changed."))
        for line in result.changes:
            print(f"  {line}")
        print("Induction acknowledgements of the old version are now out of date: `policybot register missing "
              "--staff staff.csv` lists who must acknowledge this one.")
    return 0


def _settings(args: argparse.Namespace, settings: Settings) -> int:
    for name, default, help_text in describe():
        print(f"{name}={shown_value(name, getattr(settings, name))}  # {help_text} (default {default})")
    return 0


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="policybot", description="Heatons Cluster policy assistant.")
    commands = top.add_subparsers(dest="command", required=True)
    ask = commands.add_parser("ask", help="answer a question from the policy (no Rasa needed)")
    ask.add_argument("question")
    ask.add_argument("--role", choices=ROLES, default="staff", help="who is asking (default: staff)")
    ask.add_argument("--json", action="store_true", help="print the structured payload as JSON")
    ask.set_defaults(handler=_ask)
    commands.add_parser("index", help="load policy_corpus/ and rebuild the search index").set_defaults(handler=_index)
    commands.add_parser("run", help="start Rasa, the action server and the gateway").set_defaults(handler=_run)
    commands.add_parser("settings", help="print every setting and its current value").set_defaults(handler=_settings)
    commands.add_parser("status", help="is it running: each process, the version, the health and the outbox").set_defaults(
        handler=_status)
    commands.add_parser("stop", help="stop the running assistant (as Ctrl-C would)").set_defaults(handler=_stop)
    policies = commands.add_parser("policies", help="the school's policies").add_subparsers(dest="action", required=True)
    importing = policies.add_parser("import", help="read a policy from Word, PDF or Markdown into a corpus file")
    importing.add_argument("file", help="the policy: .docx, .pdf or .md")
    importing.add_argument("--code", help="its code (e.g. E100) when the document does not show it")
    importing.add_argument("--out", help="write here to check it first (default: POLICY_CORPUS_DIR)")
    importing.set_defaults(handler=_import_policy)
    service = commands.add_parser("service", help="run it as a systemd service").add_subparsers(dest="action", required=True)
    unit = service.add_parser("install", help="write the systemd unit (then follow the steps it prints, as root)")
    unit.add_argument("--user", default="policybot", help="the unprivileged account it runs as (default: policybot)")
    unit.add_argument("--target", default="/etc/systemd/system", help="folder for policybot.service")
    unit.add_argument("--env-file", default="/etc/policybot/policybot.env", help="the settings file the unit reads")
    unit.set_defaults(handler=_service_install)
    commands.add_parser("worker", help="deliver notifications from the outbox (make run starts it)").set_defaults(
        handler=_worker)
    teams_app = commands.add_parser("teams-app", help="build the Teams app package (manifest and icons, zipped)")
    teams_app.add_argument("--output", default="dist/teams-app.zip", help="where to write it")
    teams_app.set_defaults(handler=_teams_app)
    commands.add_parser("migrate", help="create or upgrade the incident database").set_defaults(handler=_database)
    incident_cli.add_parser(commands)
    register_cli.add_parser(commands)
    records_cli.add_parsers(commands)
    users_cli.add_parsers(commands)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("bot.database").setLevel(logging.CRITICAL)  # its problems are printed below, once
    settings = Settings.from_env()
    try:
        return args.handler(args, settings)
    except CorpusError as problem:
        print(f"error: policy corpus: {problem}", file=sys.stderr)
        return 1
    except (ContactsError, DatabaseUnavailable) as problem:
        print(f"error: {problem}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
