"""What the desk does to the records: a report taken from open to closed, linked to a pupil and found in their
chronology; the access log and the actions that the database will not let anyone change; the gaps page."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from sqlalchemy import text

from bot.database import DatabaseUnavailable
from bot.desk.gaps import record_unanswered
from bot.desk.pupils import import_pupils, read_pupils_csv
from bot.gateway.feedback import record_feedback
from tests.desk.conftest import csrf_of

PUPILS = b"UPN,Legal Surname,Forename,Reg Group,DOB\nA100,Brown,Amy,6B,02/03/2015\nA101,Clark,Ben,5A,\n"


def test_a_report_is_acknowledged_actioned_linked_closed_and_found_in_the_chronology(desk_on_each_database):
    desk = desk_on_each_database
    desk.add("dee.dsl", "dsl")
    desk.add("hal.head", "head")
    import_pupils(desk.accounts.db, PUPILS)
    reference = desk.report(category="sexting", description="Amy was asked for a photo by an older boy")
    client = desk.client()
    desk.sign_in(client, "dee.dsl")
    token = csrf_of(client.get(f"/desk/reports/{reference}"))

    def post(step: str, **data) -> str:
        response = client.post(f"/desk/reports/{reference}/{step}", data={"csrf": token, **data})
        assert response.status_code == 303, response.text
        return client.get(response.headers["location"]).text

    assert "Acknowledged." in post("acknowledge")
    assert "Action recorded." in post("action", taken_on="2026-11-24", taken_by="Dee Dsl", text="Spoke to Amy's mum")
    assert "Assignment changed." in post("assign", username="hal.head")
    page = post("link", pupil="1")
    assert "now in their chronology" in page and 'href="/desk/pupils/1">Amy Brown' in page
    page = post("close", text="Parents informed; police not needed")
    assert "Closed with its outcome." in page and "Parents informed" in page
    incident = desk.incidents.get(reference)
    assert (incident.status, incident.assigned_to) == ("closed", "hal.head")
    assert [e.action for e in incident.audit] == ["created", "acknowledged", "action recorded", "assigned",
                                                  "linked to pupil", "closed"]
    assert desk.incidents.verify_audit().intact
    chronology = client.get("/desk/pupils/1").text
    for words in ("What happened", "Report received", "Acknowledged", "Action: Spoke to", "Linked to this pupil",
                  "Closed: Parents informed"):
        assert words in chronology, words
    days = [datetime.strptime(d, "%d/%m/%Y") for d in re.findall(r"<tr><td>(\d\d/\d\d/\d{4})</td>", chronology)]
    assert len(days) == 7 and days == sorted(days) and days[0] == datetime(2026, 11, 23)  # in date order
    assert "Amy was asked for a photo" in chronology and "Printed" in chronology
    assert "No reports are linked" in client.get("/desk/pupils/2").text


@pytest.mark.parametrize("table", ["access_log", "report_actions"])
def test_the_database_refuses_to_change_or_delete_the_access_log_and_actions(desk_on_each_database, table):
    desk = desk_on_each_database
    desk.add("dee.dsl", "dsl")
    reference = desk.report(category="cyberbullying")
    client = desk.client()
    desk.sign_in(client, "dee.dsl")
    token = csrf_of(client.get(f"/desk/reports/{reference}"))
    client.post(f"/desk/reports/{reference}/action", data={"csrf": token, "taken_on": "24/11/2026", "text": "Met"})
    engine = desk.accounts.db.engine()
    with engine.connect() as connection:
        assert connection.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar() >= 1
    for statement in (f"UPDATE {table} SET id = id + 1000", f"DELETE FROM {table}"):
        with pytest.raises(Exception, match="append-only"):
            with engine.begin() as connection:
                connection.execute(text(statement))
    with engine.connect() as connection:
        assert connection.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar() >= 1


def test_pupils_come_from_an_mis_export_and_are_updated_not_duplicated(desk):
    done = import_pupils(desk.accounts.db, PUPILS)
    assert (done.added, done.updated) == (2, 0)
    done = import_pupils(desk.accounts.db, PUPILS.replace(b"5A", b"6A") + b",,,,\nA102,,,,\n")
    assert (done.added, done.updated, done.skipped) == (0, 1, ("row 5: no name",))
    rows, skipped = read_pupils_csv(b"Adno,Name,Class,Date of birth\n7,Cy Dee,R,not a date\n")
    assert rows[0]["name"] == "Cy Dee" and rows[0]["date_of_birth"] is None and "not a date" in skipped[0]


def test_the_gaps_page_groups_unanswered_and_unhelpful_questions_without_who_asked(desk):
    desk.add("eve.esafety", "e_safety")
    db = desk.accounts.db
    record_unanswered(db, "can I use my own phone to take photos on a trip?", "staff", "D200 5. Staff")
    record_unanswered(db, "what about the school's minibus?", "parent", None)
    record_feedback(db, "web", "web:someone-secret", False, ["D200 6.1"], "e1", "can my son use snapchat at school?")
    record_feedback(db, "web", "web:someone-else", True, ["D200 6.1"], "e2", "a question marked helpful")
    client = desk.client()
    desk.sign_in(client, "eve.esafety")
    page = client.get("/desk/gaps").text
    for words in ("can I use my own phone", "minibus", "can my son use snapchat", "Nowhere near any clause",
                  "not helpful", "asked as staff"):
        assert words in page, words
    assert "someone-secret" not in page and "a question marked helpful" not in page


def test_an_unanswered_question_is_lost_alone_when_the_database_is_down(tmp_path, caplog):
    from bot.database import Database

    broken = Database("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1")
    try:
        record_unanswered(broken, "a question about the minibus", "staff", None)
    except DatabaseUnavailable:
        pytest.fail("the answer must not fail because the gaps could not be kept")
    assert "minibus" not in caplog.text


def test_with_the_desks_address_set_a_notice_links_to_the_report_there(tmp_path):
    from bot.incidents.service import IncidentService
    from bot.settings import Settings
    from tests.support.incidents import draft

    url = f"sqlite:///{tmp_path / 'links.sqlite3'}"
    linked = IncidentService(Settings(DATABASE_URL=url, DESK_URL="https://assistant.norrisbank.example/desk/"))
    incident = linked.get(linked.submit(draft(category="sexting", description="the words of the report"),
                                        "link-1").reference)
    page = f"https://assistant.norrisbank.example/desk/reports/{incident.reference}"
    assert incident.notifications and all(page in n.body for n in incident.notifications)
    assert all("the words of the report" not in n.body for n in incident.notifications)
    plain = linked.get(IncidentService(Settings(DATABASE_URL=url)).submit(draft(category="sexting"), "link-2").reference)
    assert all("/desk/" not in n.body and "policybot incidents show" in n.body for n in plain.notifications)


def test_the_register_page_lists_who_on_an_uploaded_staff_list_has_not_acknowledged(desk):
    from bot.induction.service import InductionService
    from tests.support.induction import acknowledged

    acknowledged(InductionService(desk.settings), "slack:T1:U1", "Jo Smith")
    desk.add("eve.esafety", "e_safety")
    client = desk.client()
    desk.sign_in(client, "eve.esafety")
    page = client.get("/desk/register")
    assert "Jo Smith" in page.text
    staff = b"name,email\nJo Smith,jo@school.example\nAli Khan,ali@school.example\n"
    response = client.post("/desk/register/missing", data={"csrf": csrf_of(page)},
                           files={"file": ("staff.csv", staff, "text/csv")})
    assert response.status_code == 200 and "Ali Khan: no acknowledgement" in response.text
    assert "Jo Smith:" not in response.text
    response = client.post("/desk/register/missing", data={"csrf": csrf_of(page)},
                           files={"file": ("staff.csv", b"email\nx@y\n", "text/csv")})
    assert response.status_code == 422 and "needs a &#39;name&#39; column" in response.text
