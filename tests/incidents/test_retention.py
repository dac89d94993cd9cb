"""Retention and subject access on SQLite and a real PostgreSQL, with the day passed in."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from bot.incidents.retention import DISPOSED, run_retention, subject_access
from bot.incidents.service import IncidentService
from bot.records import Feedback
from bot.settings import Settings
from tests.support.cli import policybot
from tests.support.incidents import draft


def settings_for(url: str) -> Settings:
    return Settings(DATABASE_URL=url, RETENTION_REPORT_YEARS=25, RETENTION_FEEDBACK_DAYS=365)


def test_a_report_past_its_period_loses_what_people_said_and_the_chain_still_holds(database_url):
    settings = settings_for(database_url)
    service = IncidentService(settings)
    old = service.submit(draft(description="Jamie was sent a threat", people_text="Jamie, Year 6"), "old")
    received = old.created_at.replace(tzinfo=timezone.utc) if old.created_at.tzinfo is None else old.created_at
    with service.db.session() as session:
        session.add(Feedback(at=received, channel="web", channel_user="web:x", helpful=True, clauses=[]))

    dry = run_retention(settings, received + timedelta(days=365 * 25 + 10), dry_run=True)
    assert dry.reports == (old.reference,) and dry.feedback == 1
    assert service.get(old.reference).description == "Jamie was sent a threat"  # a dry run changes nothing

    not_yet = run_retention(settings, received + timedelta(days=365 * 24))
    assert not_yet.reports == () and not_yet.feedback == 1  # the report is kept; a year-old answer is not
    done = run_retention(settings, received + timedelta(days=365 * 25 + 10))
    assert done.reports == (old.reference,) and done.feedback == 0
    kept = service.get(old.reference)
    assert kept.description == DISPOSED and kept.people_text is None and kept.reporter_contact == ""
    assert (kept.reference, kept.category, kept.status) == (old.reference, old.category, "open")
    assert kept.audit[-1].action == "disposed" and kept.notifications == []
    assert service.verify_audit().intact
    assert run_retention(settings, received + timedelta(days=365 * 30)).reports == ()  # once only


def test_subject_access_finds_what_a_person_made_and_where_they_are_named(database_url):
    settings = settings_for(database_url)
    service = IncidentService(settings)
    mine = service.submit(draft(reporter_name="Sam Teacher", channel_user="slack:T1:USAM"), "a")
    also_mine = service.submit(draft(reporter_name="S. Teacher", channel_user="slack:T1:USAM"), "b")
    named = service.submit(draft(reporter_name="Alex Head", people_text="Sam Teacher and a parent",
                                 channel_user="web:zz"), "c")
    service.submit(draft(reporter_name="Alex Head", channel_user="web:zz"), "d")
    found = subject_access(settings, "sam teacher", ("slack:T1:USAM",), "cli:dsl")
    assert [r["reference"] for r in found["reports_made"]] == [mine.reference, also_mine.reference]
    assert [r["reference"] for r in found["reports_that_mention_them"]] == [named.reference]
    assert service.get(named.reference).audit[-1].action == "subject access"
    assert service.verify_audit().intact


def test_the_cli_runs_retention_for_a_given_day_and_exports_as_json(tmp_path):
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    IncidentService(Settings(DATABASE_URL=url)).submit(draft(reporter_name="Sam Teacher"), "a")
    env = {"DATABASE_URL": url}
    later = (datetime.now(timezone.utc) + timedelta(days=365 * 26)).strftime("%Y-%m-%d")
    dry = policybot("retention", "run", "--dry-run", "--as-of", later, env=env)
    assert dry.returncode == 0 and "Would dispose of: 1 reports" in dry.stdout.decode()
    bad = policybot("retention", "run", "--as-of", "2026-02-30", env=env)
    assert bad.returncode != 0 and "--as-of wants a date" in bad.stderr.decode() and b"Traceback" not in bad.stderr
    export = policybot("subject-access", "Sam Teacher", env=env)
    assert export.returncode == 0 and len(json.loads(export.stdout)["reports_made"]) == 1
