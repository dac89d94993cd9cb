"""`policybot users ...` and `policybot pupils import` as the DSL runs them: a real process, a real database."""

from __future__ import annotations

from datetime import timedelta

from bot.database import open_database
from bot.desk.accounts import Accounts
from bot.records import utcnow
from bot.settings import Settings
from tests.support.cli import policybot

PASSWORD = b"a long pass phrase\n"


def test_accounts_are_added_listed_switched_off_and_reset(tmp_path):
    url = f"sqlite:///{tmp_path / 'desk.sqlite3'}"
    env = {"DATABASE_URL": url, "DATA_DIR": str(tmp_path)}
    added = policybot("users", "add", "J.Smith", "--name", "Jo Smith", "--role", "dsl", "--password-stdin", env=env,
                      stdin=PASSWORD)
    assert added.returncode == 0 and b"Added j.smith (Jo Smith), role dsl" in added.stdout
    assert b"authenticator" in added.stdout
    again = policybot("users", "add", "j.smith", "--name", "Jo", "--role", "dsl", "--password-stdin", env=env,
                      stdin=PASSWORD)
    assert again.returncode == 1 and b"already an account called j.smith" in again.stderr
    short = policybot("users", "add", "ali", "--name", "Ali", "--role", "head", "--password-stdin", env=env,
                      stdin=b"short\n")
    assert short.returncode == 1 and b"at least 12 characters" in short.stderr
    assert policybot("users", "add", "x", "--name", "X", "--role", "janitor", env=env).returncode == 2

    settings = Settings(DATABASE_URL=url, DATA_DIR=str(tmp_path))
    accounts = Accounts(settings, open_database(url))
    later = utcnow() + timedelta(seconds=1)
    for _ in range(settings.DESK_LOCK_AFTER_FAILURES):
        accounts.check_password("j.smith", "not the password", later)
    assert b"locked" in policybot("users", "list", env=env).stdout
    assert policybot("users", "unlock", "j.smith", env=env).returncode == 0
    assert accounts.check_password("j.smith", PASSWORD.decode().strip(), later).outcome == "ok"
    assert b"2FA: not set" in policybot("users", "list", env=env).stdout

    assert b"is disabled" in policybot("users", "disable", "j.smith", env=env).stdout
    assert accounts.check_password("j.smith", PASSWORD.decode().strip(), later).outcome == "disabled"
    assert policybot("users", "enable", "j.smith", env=env).returncode == 0
    assert b"new authenticator" in policybot("users", "reset-2fa", "j.smith", env=env).stdout
    missing = policybot("users", "disable", "nobody", env=env)
    assert missing.returncode == 1 and b"no account called nobody" in missing.stderr
    changed = policybot("users", "password", "j.smith", "--password-stdin", env=env, stdin=b"another long phrase\n")
    assert changed.returncode == 0
    assert accounts.check_password("j.smith", "another long phrase", later).outcome == "ok"


def test_pupils_are_imported_from_an_mis_export(tmp_path):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'desk.sqlite3'}", "DATA_DIR": str(tmp_path)}
    (tmp_path / "pupils.csv").write_text("UPN,Forename,Surname,Reg Group\nA1,Amy,Brown,6B\nA2,,,5A\n")
    done = policybot("pupils", "import", str(tmp_path / "pupils.csv"), env=env)
    assert done.returncode == 0 and b"1 pupil added, 0 updated" in done.stdout and b"row 3: no name" in done.stdout
    (tmp_path / "wrong.csv").write_text("email\nx@y\n")
    wrong = policybot("pupils", "import", str(tmp_path / "wrong.csv"), env=env)
    assert wrong.returncode == 1 and b"needs columns for an id" in wrong.stderr
    assert policybot("pupils", "import", str(tmp_path / "absent.csv"), env=env).returncode == 1
