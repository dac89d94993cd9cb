"""The audit trail as a hash chain on SQLite and a real PostgreSQL: `verify` finds an edited entry, a deleted
one, an emptied table and a report edited outside the assistant (as someone with the database's own rights
would do it: triggers off first)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from bot import audit_chain, database
from bot.incidents.service import IncidentService
from bot.settings import Settings
from tests.support.incidents import draft


@pytest.fixture
def service(database_url):
    svc = IncidentService(Settings(DATABASE_URL=database_url))
    first = svc.submit(draft(), "a")
    svc.submit(draft(category="cyberbullying", description="Group chat messages"), "b")
    svc.change_status(first.reference, "acknowledged", "cli:dsl")
    svc.record_reads(svc.list(), "cli:dsl", "listed")
    svc.change_status(first.reference, "closed", "cli:dsl", "Spoke to the family.")
    return svc


def tamper(service: IncidentService, *statements: str) -> None:
    """Run SQL with the append-only triggers switched off, as the database's owner could."""
    postgres = service.url.startswith("postgresql")
    with database.session_scope(service.url) as session:
        if postgres:
            session.execute(text("ALTER TABLE audit_entries DISABLE TRIGGER ALL"))
        else:
            session.execute(text("DROP TRIGGER IF EXISTS audit_entries_no_update"))
            session.execute(text("DROP TRIGGER IF EXISTS audit_entries_no_delete"))
        for statement in statements:
            session.execute(text(statement))


def test_an_untouched_trail_verifies(service):
    result = service.verify_audit()
    assert result.intact and result.entries == 6 and len(result.head) == 64  # 2 created, ack, 2 listed, close


def test_an_edited_entry_is_found(service):
    tamper(service, "UPDATE audit_entries SET actor = 'someone else' WHERE action = 'acknowledged'")
    assert any("contents were changed" in p for p in service.verify_audit().problems)


def test_a_deleted_entry_is_found(service):
    tamper(service, "DELETE FROM audit_entries WHERE action = 'acknowledged'")
    assert any("entry before it is missing" in p for p in service.verify_audit().problems)


def test_a_deleted_last_entry_is_found(service):
    tamper(service, "DELETE FROM audit_entries WHERE id = (SELECT max(id) FROM audit_entries)")
    problems = service.verify_audit().problems
    assert any("entries were deleted" in p for p in problems)


def test_an_emptied_trail_is_found(service):
    truncate = "TRUNCATE audit_entries" if service.url.startswith("postgresql") else "DELETE FROM audit_entries"
    tamper(service, truncate)
    problems = service.verify_audit().problems
    assert any("entries were deleted or the table was emptied" in p for p in problems)
    assert sum("no audit entry records its content" in p for p in problems) == 2


def test_a_report_edited_outside_the_assistant_is_found(service):
    reference = service.list()[1].reference
    tamper(service, f"UPDATE incidents SET description = 'Nothing happened' WHERE reference = '{reference}'")
    assert service.verify_audit().problems == (f"{reference}: changed outside the assistant (no audit entry for "
                                               "the change)",)


def test_every_entry_covers_the_one_before(service):
    with database.session_scope(service.url, read_only=True) as session:
        rows = session.execute(text("SELECT prev_hash, hash FROM audit_entries ORDER BY id")).all()
    assert rows[0][0] == audit_chain.GENESIS
    assert all(later[0] == earlier[1] for earlier, later in zip(rows, rows[1:], strict=False))


def test_policybot_audit_verify_says_intact_or_lists_what_was_tampered_with(service):
    from tests.support.cli import policybot

    env = {"DATABASE_URL": service.url}
    good = policybot("audit", "verify", env=env)
    assert good.returncode == 0 and "intact: 6 entries" in good.stdout.decode()
    tamper(service, "UPDATE audit_entries SET note = 'nothing' WHERE action = 'closed'")
    bad = policybot("audit", "verify", env=env)
    assert bad.returncode == 1 and "tampered with" in bad.stderr.decode() and "contents were changed" in bad.stderr.decode()


def test_entries_written_before_the_chain_are_chained_by_the_migration(tmp_path):
    from alembic import command
    from alembic.config import Config

    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    config = Config()
    config.set_main_option("script_location", str(database.MIGRATIONS))
    config.attributes["engine"] = database.new_engine(url)
    command.upgrade(config, "0004")
    with config.attributes["engine"].begin() as connection:
        connection.execute(text(
            "INSERT INTO incidents (id, reference, idempotency_key, category, urgent, status, occurred_text, people_roles,"
            " description, immediate_danger, reporter_name, reporter_role, reporter_contact, channel, channel_user,"
            " routed_to, created_at, updated_at) VALUES (1, 'INC-2025-0001', 'k', 'cyberbullying', 0, 'acknowledged',"
            " 'Monday', '[]', 'Old words', 0, 'Sam', 'staff', 's@x', 'web', 'web:a', '[]', '2025-01-01 10:00:00.000000',"
            " '2025-01-01 10:00:00.000000')"))
        for n, action in enumerate(("created", "acknowledged"), 1):
            connection.execute(text(f"INSERT INTO audit_entries (id, incident_id, at, actor, action) VALUES ({n}, 1,"
                                    f" '2025-01-0{n} 10:00:00.000000', 'Sam', '{action}')"))
    command.upgrade(config, "head")
    result = IncidentService(Settings(DATABASE_URL=url)).verify_audit()
    assert result.intact and result.entries == 2
