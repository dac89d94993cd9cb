"""Reading a reporter's answers, the kinds of report, and the contacts file (pure functions)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.incidents import form as rf
from bot.incidents.categories import BY_KEY, CATEGORIES, detect, for_clause, from_answer, questions_for
from bot.incidents.contacts import ContactsError, load_contacts
from bot.policy.corpus import load_corpus
from tests.support.paths import CORPUS, ROOT

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2026, 11, 24, 10, 0, tzinfo=LONDON)


@pytest.mark.parametrize("text, expected", [
    ("yesterday at 3pm", "2026-11-23T15:00+00:00"),
    ("this morning", "2026-11-24T08:45+00:00"),  # the school day's start (a setting)
    ("2 hours ago", "2026-11-24T08:00+00:00"),
    ("last Tuesday", "2026-11-17"),
    ("12/11/2026", "2026-11-12"),
    ("not sure", "not sure"),
])
def test_natural_dates_are_read_in_the_school_time_zone(text, expected):
    assert rf.read_when(text, LONDON, NOW) == expected


def test_summer_time_is_respected():
    assert rf.read_when("yesterday at 3pm", LONDON, datetime(2026, 7, 2, 10, tzinfo=LONDON)) == "2026-07-01T15:00+01:00"


@pytest.mark.parametrize("text, words", [
    ("31 February", "couldn't read"), ("31/02/2026", "couldn't read"), ("banana", "couldn't read"),
    ("tomorrow", "in the future"), ("in 2 hours", "in the future"), ("1 January 2001", "five years"),
])
def test_impossible_future_and_ancient_dates_are_refused(text, words):
    with pytest.raises(rf.AnswerProblem, match=words):
        rf.read_when(text, LONDON, NOW)


def test_roles_of_people_involved():
    assert rf.read_people("an ex-pupil called Sam") == ("ex-pupil",)
    assert rf.read_people("two Year 6 pupils and a parent") == ("pupil", "parent")
    assert rf.read_people("my son and his teacher") == ("pupil", "staff")
    with pytest.raises(rf.AnswerProblem, match="roles"):
        rf.read_people("Bob")


def test_images_and_links_to_them_are_refused():
    for text in ("see https://example.com/a.jpg", "data:image/png;base64,AAAA", "IMG_0001.HEIC attached"):
        with pytest.raises(rf.AnswerProblem, match="don't send pictures"):
            rf.read_text(text, "what happened", 1, 1000)


def test_text_answers_have_sensible_lengths():
    with pytest.raises(rf.AnswerProblem, match="a little more"):
        rf.read_text("hm", "what happened", 10, 1000)
    with pytest.raises(rf.AnswerProblem, match="longer than I can keep"):
        rf.read_text("x" * 1001, "what happened", 10, 1000)
    assert rf.read_text("  <b>bold</b>\n\nwords  ", "what happened", 3, 100) == "<b>bold</b> words"


def test_cancel_danger_yes_no_and_corrections():
    assert rf.is_cancel("cancel") and rf.is_cancel("Never mind.") and rf.is_cancel("stop the report")
    assert not rf.is_cancel("he told me to stop telling people")
    assert rf.mentions_danger("she is in danger right now") and rf.mentions_danger("he said he would self-harm")
    assert not rf.mentions_danger("a friend request on Instagram")
    assert rf.read_yes_no("Yes please") is True and rf.read_yes_no("no") is False
    asked = questions_for("friend_request")
    assert rf.correction_target("change the date", asked) == "incident_when"
    assert rf.correction_target("my email is wrong", asked) == "reporter_contact"
    assert rf.correction_target("change where", asked) is None  # not asked for this kind


def test_every_category_cites_real_clauses_and_is_routed():
    clauses = {c.number for p in load_corpus(CORPUS) if p.code == "D200" for c in p.clauses}
    contacts = load_contacts(ROOT / "policy_corpus" / "contacts.yml")
    for category in CATEGORIES:
        assert set(category.clauses) <= clauses, category.key
        assert contacts.recipients(category.key, urgent=False), category.key
        assert contacts.recipients(category.key, urgent=True)[0].key == "dsl"
    assert [p.key for p in contacts.recipients("sexting", urgent=False)] == ["dsl"]


def test_categories_from_messages_and_answers():
    assert detect("my son is being bullied on WhatsApp").key == "cyberbullying"
    assert detect("a pupil sent me a friend request").key == "friend_request"
    assert detect("someone shared nudes").key == "sexting"
    assert detect("I need to report something") is None
    assert from_answer("3").key == CATEGORIES[2].key and from_answer("something else").key == "other"
    assert from_answer(BY_KEY["firewall"].label).key == "firewall"
    assert for_clause("D200", "8.5").key == "cyberbullying" and for_clause("D200", "5.3") is None
    assert "incident_evidence" not in questions_for("sexting")


def test_a_broken_contacts_file_names_the_problem(tmp_path):
    path = tmp_path / "contacts.yml"
    path.write_text("people:\n  head: {name: Head, email: head@school.example}\nroutes:\n  other: [nobody]\n"
                    "urgent: [head]\n")
    with pytest.raises(ContactsError, match="'nobody', who is not under `people`"):
        load_contacts(path)
    path.write_text("people:\n  head: {name: Head, email: head@school.example}\n  dsl: {name: Ann Lee (DSL)}\n"
                    "routes:\n  other: [head]\nurgent: [dsl]\n")
    with pytest.raises(ContactsError, match=r"Ann Lee \(DSL\) \(dsl\) has no email, slack_user or teams_user"):
        load_contacts(path)
    path.write_text("people:\n  head: {name: Head, email: head@school.example}\nroutes:\n  other: [head]\n"
                    "urgent: [head]\nescalate: [deputy]\n")
    with pytest.raises(ContactsError, match="escalate names 'deputy'"):
        load_contacts(path)
    path.write_text("people: [\n")
    with pytest.raises(ContactsError, match="not valid YAML"):
        load_contacts(path)


@pytest.mark.parametrize("text, asks", [
    ("I need to report something", True), ("report it", True), ("I want to report a pupil who added me", True),
    ("I have a safeguarding concern to report", True),
    ("who do I report a friend request to?", False), ("can I report a parent's post?", False),
    ("how do I report this", False), ("a pupil sent me a friend request", False),
    ("my son reported it to the police", False),
])
def test_a_report_starts_only_when_asked_for(text, asks):
    from bot.incidents.form import asks_to_report

    assert asks_to_report(text) is asks
