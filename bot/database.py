"""The incident database: one engine per process, schema kept current by Alembic.

SQLite by default (a file in DATA_DIR, write-ahead log, a busy timeout so concurrent writers
wait instead of failing); PostgreSQL when DATABASE_URL names one. Nothing connects at import.
"""

from __future__ import annotations

import logging
import os
import threading
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Iterator

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 10_000
_migrated: set[str] = set()
_migrate_lock = threading.Lock()


class DatabaseUnavailable(RuntimeError):
    """The database could not be reached or refused the work (details are logged, not shown)."""


class Duplicate(RuntimeError):
    """The row is already there (a unique key such as an idempotency key); the caller decides what that means."""


class StorageExposed(RuntimeError):
    """The database file (or its folder) can be read by other accounts on this machine."""


def private_sqlite_file(database: str) -> None:
    """Create an SQLite database file 0600 in a 0700 folder (its WAL and shared-memory files take the file's
    mode), and refuse one that other local accounts can read."""
    path = Path(database)
    if not path.parent.exists():
        path.parent.mkdir(mode=0o700, parents=True)
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    exposed = [p for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")) if p.exists() and p.stat().st_mode & 0o077]
    if exposed:
        names = ", ".join(str(p) for p in exposed)
        raise StorageExposed(f"{names} can be read by other accounts on this machine: run `chmod 600 {names}` "
                             f"and `chmod 700 {path.parent}`, then start again.")


def new_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            private_sqlite_file(parsed.database)
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    # five seconds to connect unless the URL says otherwise (?connect_timeout=N)
    timeout = {} if "connect_timeout" in parsed.query else {"connect_timeout": 5}
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5, connect_args=timeout)


def _sqlite_begin(conn) -> None:
    """Writers take SQLite's write lock up front (so two writers queue instead of deadlocking);
    readers do not, so answering a question never waits for a report being saved."""
    read_only = conn.get_execution_options().get("policybot_read_only")
    conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # Let SQLAlchemy, not the driver, open transactions, so BEGIN IMMEDIATE takes the write
    # lock up front and two writers queue behind the busy timeout instead of deadlocking.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


@lru_cache(maxsize=8)
def engine_for(url: str) -> Engine:
    """One engine (and connection pool) per database per process."""
    return new_engine(url)


def migrate(url: str) -> None:
    """Bring the schema up to the newest Alembic revision (safe to call again)."""
    from alembic import command
    from alembic.config import Config

    with _migrate_lock:
        if url in _migrated:
            return
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.attributes["engine"] = engine_for(url)
        try:
            command.upgrade(config, "head")
        except SQLAlchemyError as exc:
            log.error("database migration failed: %s", type(exc).__name__)
            raise DatabaseUnavailable(
                f"the database at {describe_url(url)} could not be reached or prepared ({type(exc).__name__})") from None
        _migrated.add(url)


def grant_to_app_role(owner_url: str, app_role: str) -> None:
    """On PostgreSQL with separate roles: the app role may read and write rows, but only add to the audit trail,
    never delete reports, and (not owning the tables) cannot alter, truncate, or disable or drop triggers."""
    if make_url(owner_url).get_backend_name() != "postgresql":
        return
    from sqlalchemy import text

    role = '"' + app_role.replace('"', '""') + '"'
    with engine_for(owner_url).begin() as connection:
        for statement in (
            f"GRANT USAGE ON SCHEMA public TO {role}",
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}",
            f"REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON audit_entries FROM {role}",
            f"REVOKE DELETE, TRUNCATE, TRIGGER ON incidents FROM {role}",
            f"REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON access_log, report_actions FROM {role}",
            f"REVOKE TRUNCATE, TRIGGER ON ALL TABLES IN SCHEMA public FROM {role}",
            f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}",
        ):
            connection.execute(text(statement))


def prepare_for(settings_owner_url: str, app_url: str) -> None:
    """Migrate as the owner (DATABASE_OWNER_URL) and grant the app role (DATABASE_URL's user) its rights; with
    one URL for both, just migrate."""
    migrate(settings_owner_url)
    if settings_owner_url != app_url:
        user = make_url(app_url).username
        if user:
            grant_to_app_role(settings_owner_url, user)


@contextmanager
def session_scope(url: str, read_only: bool = False) -> Iterator[Session]:
    """A unit of work: committed when the block ends, rolled back whole if anything fails."""
    engine = engine_for(url)
    factory = sessionmaker(engine.execution_options(policybot_read_only=True) if read_only else engine,
                           expire_on_commit=False)
    session = factory()
    try:
        yield session
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        if _is_unique_violation(exc):  # a duplicate the caller expects and handles (idempotency keys)
            log.info("database refused a duplicate row")
            raise Duplicate("the row is already there") from exc
        log.error("database refused a change: %s", type(exc).__name__)
        raise DatabaseUnavailable("the database refused the change") from exc
    except SQLAlchemyError as exc:
        session.rollback()
        log.error("database error: %s", type(exc).__name__)
        raise DatabaseUnavailable("the database is not available") from exc
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def _is_unique_violation(exc: IntegrityError) -> bool:
    """A unique key already taken (PostgreSQL's SQLSTATE 23505, SQLite's UNIQUE constraint), not another refusal."""
    original = exc.orig
    return getattr(original, "sqlstate", None) == "23505" or "UNIQUE constraint failed" in str(original)


class Database:
    """One database as a process sees it: the engine opened once, the schema brought up to date once,
    and units of work. Services receive one of these instead of a URL."""

    def __init__(self, url: str):
        self.url = url

    def prepare(self) -> None:
        """Open the engine and apply migrations (once per process; later calls return at once)."""
        migrate(self.url)

    @contextmanager
    def session(self, read_only: bool = False) -> Iterator[Session]:
        self.prepare()
        with session_scope(self.url, read_only) as session:
            yield session

    def engine(self) -> Engine:
        self.prepare()
        return engine_for(self.url)


@lru_cache(maxsize=8)
def open_database(url: str) -> Database:
    """The process's Database for this URL."""
    return Database(url)


def describe_url(url: str) -> str:
    """The URL without its password, for messages."""
    return make_url(url).render_as_string(hide_password=True)
