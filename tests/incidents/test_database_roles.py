"""On PostgreSQL with an owner role and an app role: the app works, but cannot empty, alter or unguard the
audit trail, the desk's access log or the actions taken, nor delete reports."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text

from bot import database
from bot.incidents.service import IncidentService
from bot.settings import Settings
from tests.support.incidents import draft

ATTACKS = [
    "TRUNCATE audit_entries",
    "ALTER TABLE audit_entries DISABLE TRIGGER ALL",
    "DROP TRIGGER audit_entries_append_only ON audit_entries",
    "UPDATE audit_entries SET actor = 'someone else'",
    "DELETE FROM audit_entries",
    "DELETE FROM incidents",
    "TRUNCATE incidents CASCADE",
    "UPDATE access_log SET username = 'someone else'",  # the desk's record of who saw what
    "DELETE FROM access_log",
    "TRUNCATE access_log",
    "ALTER TABLE access_log DISABLE TRIGGER ALL",
    "UPDATE report_actions SET text = 'rewritten'",
    "DELETE FROM report_actions",
]


@pytest.fixture
def roles(postgres_server):
    import psycopg

    suffix = uuid.uuid4().hex[:8]
    owner, app, name = f"pb_owner_{suffix}", f"pb_app_{suffix}", f"t_roles_{suffix}"
    with psycopg.connect(f"host=127.0.0.1 port={postgres_server.port} user=postgres dbname=postgres",
                         autocommit=True) as conn:
        conn.execute(f'CREATE ROLE "{owner}" LOGIN')
        conn.execute(f'CREATE ROLE "{app}" LOGIN')
        conn.execute(f'CREATE DATABASE "{name}" OWNER "{owner}"')
    base = f"postgresql+psycopg://{{}}@127.0.0.1:{postgres_server.port}/{name}"
    return Settings(DATABASE_URL=base.format(app), DATABASE_OWNER_URL=base.format(owner))


def test_the_app_role_saves_and_reads_reports(roles):
    database.prepare_for(roles.owner_url(), roles.database_url())
    service = IncidentService(roles)
    reference = service.submit(draft(), "k").reference
    service.change_status(reference, "acknowledged", "cli:dsl")
    service.record_reads(service.list(), "cli:dsl", "listed")
    assert service.verify_audit().intact


def test_the_app_role_runs_the_desk(roles):
    from datetime import date

    from bot.desk.accounts import Accounts
    from bot.desk.pupils import import_pupils
    from bot.records import utcnow

    database.prepare_for(roles.owner_url(), roles.database_url())
    db = database.open_database(roles.database_url())
    accounts = Accounts(roles, db)
    user = accounts.add("dee.dsl", "Dee", "dsl", "a long pass phrase", None, utcnow())
    token = accounts.start_session(user, "signed_in", utcnow())
    assert accounts.session_for(token, utcnow()) is not None
    service = IncidentService(roles)
    reference = service.submit(draft(), "k").reference
    accounts.log_access(user, "viewed", reference, utcnow())
    import_pupils(db, b"UPN,Name,Class\nA1,Amy Brown,6B\n")
    service.record_action(reference, date(2026, 11, 24), "Dee", "Met the family", "dee.dsl")
    service.assign(reference, "dee.dsl", "dee.dsl")
    service.link_pupil(reference, 1, "dee.dsl")
    accounts.end_session(token)
    assert [e.target for e in accounts.access_log()] == [reference] and service.verify_audit().intact


@pytest.mark.parametrize("attack", ATTACKS)
def test_the_app_role_cannot_tamper_with_the_trail(roles, attack):
    database.prepare_for(roles.owner_url(), roles.database_url())
    IncidentService(roles).submit(draft(), "k")
    with pytest.raises(database.DatabaseUnavailable):
        with database.session_scope(roles.database_url()) as session:
            session.execute(text(attack))
    assert IncidentService(roles).verify_audit().intact
