"""The incident service against real databases: SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import datetime

import pytest
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from bot import database
from bot.incidents.service import IncidentNotFound, IncidentService, StatusChangeRefused
from bot.settings import Settings
from tests.support.incidents import draft


@pytest.fixture
def service(database_url):
    return IncidentService(Settings(DATABASE_URL=database_url))


def test_a_report_gets_a_reference_an_audit_entry_and_its_notifications(service):
    incident = service.submit(draft(), "key-1")
    year = datetime.now().year
    assert incident.reference == f"INC-{year}-0001"
    stored = service.get(incident.reference)
    assert stored.status == "open" and stored.routed_to == ["headteacher"]
    assert [(a.action, a.to_status) for a in stored.audit] == [("created", "open")]
    assert "Sam Teacher" in stored.audit[0].actor
    [note] = stored.notifications
    assert note.recipient == "headteacher@norrisbank.example" and note.status == "pending"
    assert incident.reference in note.subject and "friend" in note.subject
    assert draft().description not in note.body and "Year 6" not in note.body and "Sam Teacher" not in note.body
    assert service.submit(draft(), "key-2").reference == f"INC-{year}-0002"


def test_the_same_key_saves_once(service):
    first = service.submit(draft(), "retry-key")
    again = service.submit(draft(description="changed on retry"), "retry-key")
    assert again.reference == first.reference
    assert len(service.list()) == 1 and len(service.get(first.reference).notifications) == 1


def test_urgent_reports_also_go_to_the_dsl_first(service):
    incident = service.submit(draft(category="cyberbullying", immediate_danger=True), "k")
    assert incident.urgent and incident.routed_to == ["dsl", "senior_leadership"]
    notes = service.get(incident.reference).notifications
    assert [n.recipient for n in notes] == ["dsl@norrisbank.example", "slt@norrisbank.example"]
    assert all(n.subject.startswith("URGENT") for n in notes)


def test_sexting_routes_to_the_dsl(service):
    assert service.submit(draft(category="sexting"), "k").routed_to == ["dsl"]


def test_status_changes_are_audited_and_closed_stays_closed(service):
    ref = service.submit(draft(), "k").reference
    service.change_status(ref, "acknowledged", "dsl")
    closed = service.change_status(ref, "closed", "dsl", note="Spoke to the pupil and parents.")
    assert closed.status == "closed" and closed.action_taken == "Spoke to the pupil and parents."
    assert [(a.action, a.from_status, a.to_status) for a in closed.audit] == [
        ("created", None, "open"), ("acknowledged", "open", "acknowledged"), ("closed", "acknowledged", "closed")]
    with pytest.raises(StatusChangeRefused, match="already closed"):
        service.change_status(ref, "acknowledged", "dsl")
    with pytest.raises(StatusChangeRefused):
        service.change_status(ref, "open", "dsl")
    with pytest.raises(IncidentNotFound):
        service.change_status("INC-1999-0001", "closed", "dsl")
    assert [i.reference for i in service.list("closed")] == [ref] and service.list("open") == []


def test_the_audit_trail_is_append_only_in_the_database(service):
    service.submit(draft(), "k")
    for statement in ("UPDATE audit_entries SET actor = 'someone else'", "DELETE FROM audit_entries"):
        with pytest.raises(database.DatabaseUnavailable):
            with database.session_scope(service.url) as session:
                session.execute(text(statement))
    assert len(service.get(service.list()[0].reference).audit) == 1


def test_concurrent_submissions_get_distinct_references(service):
    service.prepare()
    references, errors = [], []

    def submit(n: int) -> None:
        try:
            references.append(service.submit(draft(channel_user=f"web:c{n}"), f"concurrent-{n}").reference)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=submit, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(set(references)) == 8 and len(service.list()) == 8


def test_a_database_that_is_down_is_a_clear_error_and_leaves_nothing(tmp_path):
    down = IncidentService(Settings(DATABASE_URL="postgresql+psycopg://nobody@127.0.0.1:1/none"))
    with pytest.raises(database.DatabaseUnavailable):
        down.submit(draft(), "k")


def test_a_failure_mid_write_leaves_nothing_half_written(service, monkeypatch):
    from bot.notify import messages as notifications

    def broken(*args, **kwargs):
        raise SQLAlchemyError("disk full")

    monkeypatch.setattr(notifications, "messages_for", broken)
    with pytest.raises(database.DatabaseUnavailable):
        service.submit(draft(), "k")
    monkeypatch.undo()
    with database.session_scope(service.url) as session:
        counts = [session.execute(text(f"SELECT count(*) FROM {t}")).scalar() for t in ("incidents", "audit_entries", "outbox")]
    assert counts == [0, 0, 0]
    assert service.submit(draft(), "k").reference.endswith("-0001")


def test_sqlite_by_default_in_a_git_ignored_folder_with_wal_and_a_busy_timeout(tmp_path):
    from bot.settings import ROOT

    default = Settings().database_url()
    assert default == f"sqlite:///{ROOT / 'var' / 'policybot.sqlite3'}"
    assert "var/" in (ROOT / ".gitignore").read_text().split()
    service = IncidentService(Settings(DATA_DIR=str(tmp_path / "data")))
    service.submit(draft(), "k")
    assert (tmp_path / "data" / "policybot.sqlite3").exists()
    with database.engine_for(service.url).connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == database.SQLITE_BUSY_TIMEOUT_MS


def test_on_sqlite_reading_does_not_wait_for_a_writer(tmp_path):
    service = IncidentService(Settings(DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}"))
    reference = service.submit(draft(), "k").reference
    with database.session_scope(service.url) as writer:  # holds SQLite's write lock until the block ends
        writer.execute(text("UPDATE incidents SET updated_at = updated_at"))
        done = []
        reader = threading.Thread(target=lambda: done.append(service.get(reference).reference))
        reader.start()
        reader.join(3)  # far less than the 10 s busy timeout a second writer would wait
        assert done == [reference]


def test_the_sqlite_database_and_its_wal_are_private_to_the_account(tmp_path):
    import stat

    service = IncidentService(Settings(DATA_DIR=str(tmp_path / "data")))
    service.submit(draft(description="Words only the DSL may read"), "k")
    folder, db = tmp_path / "data", tmp_path / "data" / "policybot.sqlite3"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    for path in (db, tmp_path / "data" / "policybot.sqlite3-wal"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def test_a_database_other_accounts_can_read_is_refused_with_what_to_do(tmp_path):
    db = tmp_path / "shared.sqlite3"
    IncidentService(Settings(DATABASE_URL=f"sqlite:///{db}")).submit(draft(), "k")
    db.chmod(0o644)
    database.engine_for.cache_clear()
    with pytest.raises(database.StorageExposed, match="chmod 600"):
        database.new_engine(f"sqlite:///{db}")
