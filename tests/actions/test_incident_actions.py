"""The incident report actions with the real domain and a real (SQLite) database, no servers."""

from __future__ import annotations

import asyncio

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import incident_report
from actions.incident_report import (
    ActionStartIncidentReport,
    ActionSubmitIncidentReport,
    ValidateIncidentReportForm,
)
from tests.support.rasa import DOMAIN

FILLED = {
    "incident_danger": False, "incident_category": "cyberbullying", "incident_when": "2026-11-23T15:00+00:00",
    "incident_where": "outside", "incident_people": "two Year 6 pupils",
    "incident_description": "Nasty messages in the class group chat every night", "incident_evidence": "yes",
    "reporter_name": "Jo Bloggs", "reporter_role": "parent", "reporter_contact": "07700 900123",
    "incident_confirmed": True, "incident_key": "key-123",
}


def tracker(text: str = "", slots: dict | None = None, intent: str = "report_incident", requested: str | None = None,
            role: str = "parent") -> Tracker:
    all_slots = {name: None for name in DOMAIN["slots"]} | {"requested_slot": requested} | (slots or {})
    message = {"text": text, "intent": {"name": intent, "confidence": 0.9}, "entities": [], "metadata": {"role": role}}
    return Tracker("web:test", all_slots, message, [], False, None,
                   {"name": "incident_report_form"} if requested else {}, "action_listen")


@pytest.fixture(autouse=True)
def own_database(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'incidents.sqlite3'}")
    incident_report.incident_service.cache_clear()
    yield incident_report.incident_service()
    incident_report.incident_service.cache_clear()


def slots_from(events: list[dict]) -> dict:
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}


def test_a_retried_submit_action_creates_one_report(own_database):
    first, second = CollectingDispatcher(), CollectingDispatcher()
    ActionSubmitIncidentReport().run(first, tracker(slots=FILLED), DOMAIN)
    ActionSubmitIncidentReport().run(second, tracker(slots=FILLED), DOMAIN)
    assert len(own_database.list()) == 1
    assert first.messages[0]["custom"]["incident"] == second.messages[0]["custom"]["incident"]


def test_submit_clears_every_report_slot_and_asks_the_gateway_to_forget(own_database):
    dispatcher = CollectingDispatcher()
    events = ActionSubmitIncidentReport().run(dispatcher, tracker(slots=FILLED), DOMAIN)
    assert set(slots_from(events)) >= set(FILLED) and not any(slots_from(events).values())
    assert dispatcher.messages[0]["custom"]["forget_conversation"] is True


def test_an_unconfirmed_report_is_never_saved(own_database):
    dispatcher = CollectingDispatcher()
    ActionSubmitIncidentReport().run(dispatcher, tracker(slots=FILLED | {"incident_confirmed": False}), DOMAIN)
    assert own_database.list() == [] and "Nothing was saved" in dispatcher.messages[0]["text"]


def test_a_database_that_is_down_keeps_the_answers_for_a_retry(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/none")
    incident_report.incident_service.cache_clear()
    dispatcher = CollectingDispatcher()
    events = ActionSubmitIncidentReport().run(dispatcher, tracker(slots=FILLED), DOMAIN)
    assert events == [] and "couldn't save your report" in dispatcher.messages[0]["text"]


def test_start_says_999_first_when_danger_is_mentioned():
    dispatcher = CollectingDispatcher()
    events = ActionStartIncidentReport().run(dispatcher, tracker("I need to report that my daughter is in danger right "
                                                                 "now"), DOMAIN)
    assert "call 999" in dispatcher.messages[0]["text"]
    slots = slots_from(events)
    assert slots["incident_danger"] is True and slots["reporter_role"] == "parent" and slots["report_starting"] is True
    assert dispatcher.messages[-1]["custom"] == {"report": "started"}


@pytest.mark.model
def test_danger_that_does_not_ask_for_a_report_gets_the_advice_and_the_urgent_report_in_one_tap():
    dispatcher = CollectingDispatcher()
    events = ActionStartIncidentReport().run(dispatcher, tracker("my daughter is in danger right now"), DOMAIN)
    assert "call 999" in dispatcher.messages[0]["text"]
    assert dispatcher.messages[0]["buttons"][0]["title"] == "Make an urgent report"
    assert slots_from(events)["report_starting"] is False
    assert not any((m.get("custom") or {}).get("report") for m in dispatcher.messages)


@pytest.mark.model
def test_a_question_about_reporting_is_answered_with_a_report_offered_not_started():
    dispatcher = CollectingDispatcher()
    events = ActionStartIncidentReport().run(dispatcher, tracker("who do I tell if a pupil adds me on Instagram?"),
                                             DOMAIN)
    assert slots_from(events)["report_starting"] is False
    [message] = dispatcher.messages
    assert message["custom"]["covered"] and "Would you like to report this?" in message["text"]
    assert [b["title"] for b in message["buttons"]][0] == "Report this"


def validate(slot: str, value, slots: dict | None = None) -> tuple[list[dict], dict]:
    dispatcher = CollectingDispatcher()
    t = tracker(str(value), slots={**(slots or {}), slot: value}, intent="inform", requested=slot)
    t.events = [{"event": "slot", "name": slot, "value": value}]
    events = asyncio.run(ValidateIncidentReportForm().run(dispatcher, t, DOMAIN))
    return dispatcher.messages, slots_from(events)


def test_the_form_asks_only_what_the_category_needs():
    _, slots = validate("incident_category", "sexting", {"incident_danger": False})
    assert slots["requested_slot"] == "incident_when"
    _, slots = validate("incident_description", "Shared a picture in a group chat", FILLED | {
        "incident_category": "sexting", "incident_evidence": None, "incident_confirmed": None})
    assert slots["requested_slot"] == "reporter_name" or slots["requested_slot"] == "incident_confirmed"
    assert "incident_evidence" not in slots or slots["incident_evidence"] is None


def test_future_and_impossible_dates_are_asked_again():
    for value, words in (("tomorrow", "in the future"), ("31 February", "couldn't read")):
        messages, slots = validate("incident_when", value, {"incident_danger": False, "incident_category": "sexting"})
        assert slots["incident_when"] is None and slots["requested_slot"] == "incident_when"
        assert words in messages[0]["text"]


def test_cancel_at_any_question_asks_first_then_ends_the_form():
    sexting = {"incident_danger": False, "incident_category": "sexting"}
    messages, slots = validate("reporter_name", "cancel", sexting)
    assert "Cancel the whole report?" in messages[0]["text"] and slots["requested_slot"] is not None
    assert [b["payload"] for b in messages[0]["buttons"]] == ["cancel the whole report", "carry on"]
    assert slots.get("incident_confirmed") is not False
    _, slots = validate("reporter_name", "carry on", sexting)
    assert slots["reporter_name"] is None and slots["requested_slot"] is not None
    _, slots = validate("reporter_name", "cancel the whole report", sexting)
    assert slots["incident_confirmed"] is False and slots["requested_slot"] is None


def test_a_link_is_refused_at_every_question():
    for slot, state in (("incident_where", {"incident_category": "cyberbullying"}),
                        ("incident_people", {"incident_category": "cyberbullying"}),
                        ("reporter_name", {"incident_category": "sexting"})):
        messages, slots = validate(slot, "see https://example.com/post/123", {"incident_danger": False, **state})
        assert slots[slot] is None and "Please don't send links" in messages[0]["text"], slot


def test_a_question_asked_mid_report_is_answered_and_the_same_question_asked_again():
    messages, slots = validate("incident_when", "can I friend a parent?",
                               {"incident_danger": False, "incident_category": "cyberbullying"})
    assert "D200 5.3" in messages[0]["text"] and messages[1]["text"] == "Back to your report:"
    assert slots["incident_when"] is None and slots.get("requested_slot", "incident_when") == "incident_when"


def test_change_the_date_asks_it_again_then_confirms():
    friend_request = FILLED | {"incident_category": "friend_request", "incident_where": None, "incident_confirmed": None}
    _, slots = validate("incident_confirmed", "change the date", friend_request)
    assert slots["incident_when"] is None and slots["requested_slot"] == "incident_when"


def test_a_name_given_for_the_induction_is_not_asked_again_for_a_report():
    dispatcher = CollectingDispatcher()
    events = ActionStartIncidentReport().run(
        dispatcher, tracker("I need to report something", slots={"staff_name": "Robin Newstaff"}, role="staff"), DOMAIN)
    assert slots_from(events)["reporter_name"] == "Robin Newstaff"
    events = ActionStartIncidentReport().run(CollectingDispatcher(), tracker("I need to report something"), DOMAIN)
    assert slots_from(events).get("reporter_name") is None
