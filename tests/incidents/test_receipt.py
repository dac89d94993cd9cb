"""The reporter's receipt: who will be told and how, never "sent"; what happens next for each kind of asker."""

from __future__ import annotations

from bot.incidents.contacts import load_contacts
from bot.incidents.receipt import receipt
from tests.support.paths import ROOT

CONTACTS = load_contacts(ROOT / "policy_corpus" / "contacts.yml")


def told(category: str, role: str, urgent: bool = False, channels_on=("email",)) -> str:
    people = CONTACTS.recipients(category, urgent)
    return receipt("INC-2026-0007", category, role, urgent, people, CONTACTS, channels_on)


def test_the_receipt_names_who_will_be_told_and_never_says_sent():
    text = told("friend_request", "staff")
    assert text.startswith("Thank you. Your report is saved as INC-2026-0007.")
    assert "Elena Ponsen (Headteacher) (by email) will be told as soon as the notice is delivered." in text
    assert "sent" not in text
    assert "If Designated Safeguarding Lead is away, Elena Ponsen (Headteacher) will pick it up." in text


def test_with_nothing_set_up_it_says_nobody_was_told_and_who_to_tell():
    text = told("sexting", "staff", channels_on=())
    assert ("no way set up yet to tell Designated Safeguarding Lead, so nobody has been told automatically: please "
            "tell Designated Safeguarding Lead yourself") in text
    assert "will be told" not in text


def test_urgent_reports_start_with_999_and_the_dsl():
    assert told("child_at_risk", "staff", urgent=True).startswith(
        "If you haven't yet: call 999 and tell Designated Safeguarding Lead in person now.")


def test_parents_get_ceop_and_report_remove_where_the_kind_calls_for_them():
    assert "CEOP (www.ceop.police.uk)" in told("cyberbullying", "parent") and "D200 8.3" in told("cyberbullying", "parent")
    sexting = told("sexting", "parent")
    assert "Report Remove" in sexting and "CEOP" in sexting
    assert "CEOP" not in told("friend_request", "parent")


def test_pupils_get_short_words_a_trusted_grown_up_and_childline():
    text = told("cyberbullying", "pupil")
    assert "a grown-up at school will read your report" in text and "Childline on 0800 1111" in text
    assert "Report Remove" in told("sexting", "pupil")


def test_a_status_says_whether_the_report_was_picked_up_never_what_it_says(tmp_path):
    from zoneinfo import ZoneInfo

    from bot.incidents.receipt import status_line
    from bot.incidents.service import IncidentService
    from bot.settings import Settings
    from tests.support.incidents import draft

    service = IncidentService(Settings(DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}"))
    zone = ZoneInfo("Europe/London")
    urgent = service.submit(draft(category="child_at_risk", immediate_danger=True, description="Jamie was hurt"), "u")
    waiting = status_line(service.get(urgent.reference), zone, 15)
    assert "not acknowledged yet" in waiting and "within 15 minutes" in waiting and "Jamie" not in waiting
    service.change_status(urgent.reference, "acknowledged", "dsl")
    assert "has seen it" in status_line(service.get(urgent.reference), zone, 15)
    service.change_status(urgent.reference, "closed", "dsl", "Spoke to the family.")
    closed = status_line(service.get(urgent.reference), zone, 15)
    assert "closed" in closed and "Spoke" not in closed
    assert [i.reference for i in service.made_by("web:abc")] == [urgent.reference]
    assert service.made_by("web:someone-else", urgent.reference) == []
