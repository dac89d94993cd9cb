"""Safeguarding triage end to end: every kind, as staff, parent and pupil, through /api/chat, from a
fresh conversation, from the middle of a report and from the middle of the induction."""

from __future__ import annotations

import json

import pytest

from tests.support.slack_chat import chat_in_dm

pytestmark = pytest.mark.stack
NOT_COVERED = "I can't find that in the school's policies"
MESSAGES = {  # kind -> role -> a message nobody rehearsed
    "danger": {"staff": "a child just told me someone is coming to hurt them tonight",
               "parent": "my daughter is meeting a man she met online tonight, he's 30",
               "pupil": "my friend said she wants to hurt herself"},
    "disclosure": {"staff": "One of my pupils says her stepdad hits her and she's scared to go home",
                   "parent": "my son told me his uncle touches him and said to keep it a secret",
                   "pupil": "my dad hits me when he is angry"},
    "sexual_images": {"staff": "a Year 6 boy has nude pictures of a girl in his class on his phone",
                      "parent": "my daughter was sent a naked photo by a boy from school",
                      "pupil": "someone asked me to send a picture of me with no clothes on"},
    "bullying": {"staff": "a parent keeps posting nasty stuff about me on facebook",
                 "parent": "my boy keeps getting picked on in a whatsapp group by children from his class, what should we do?",
                 "pupil": "people in my class keep sending me mean messages and leaving me out"},
}
FIRST_WORDS = {  # what the first message must carry
    ("danger", "staff"): ["999", "Designated Safeguarding Lead", "in person"],
    ("danger", "parent"): ["999", "Designated Safeguarding Lead", "CEOP"],
    ("danger", "pupil"): ["grown-up you trust", "0800 1111"],
    ("disclosure", "staff"): ["Designated Safeguarding Lead", "999", "don't promise to keep it a secret"],
    ("disclosure", "parent"): ["999", "Designated Safeguarding Lead"],
    ("disclosure", "pupil"): ["grown-up you trust", "0800 1111"],
    ("sexual_images", "staff"): ["Do not view, copy, forward", "D200 9.1", "Designated Safeguarding Lead"],
    ("sexual_images", "parent"): ["don't forward", "Designated Safeguarding Lead", "D200 9.1"],
    ("sexual_images", "pupil"): ["You are not in trouble", "grown-up you trust"],
    ("bullying", "staff"): ["D200 8.5"],
    ("bullying", "parent"): ["D200 8."],
    ("bullying", "pupil"): ["grown-up you trust", "D200 8."],
}
CASES = [(kind, role) for kind in MESSAGES for role in ("staff", "parent", "pupil")]


def messages_of(response) -> list[dict]:
    assert response.status_code == 200, response.text
    return response.json()["messages"]


def check_reply(messages: list[dict], kind: str, role: str) -> None:
    first = messages[0]
    for words in FIRST_WORDS[(kind, role)]:
        assert words in first["text"], f"{kind}/{role}: {words!r} not first, got {first['text']!r}"
    everything = json.dumps(messages).lower()
    assert NOT_COVERED.lower() not in everything
    for asking in ("send me the", "upload", "attach", "describe the picture", "describe the image"):
        assert asking not in everything.replace("don't send me the", "")
    assert first["buttons"] and "report_incident" in first["buttons"][0]["payload"]


@pytest.mark.parametrize("kind, role", CASES)
def test_a_fresh_conversation_gets_the_advice_first(running_stack, kind, role):
    sender = f"sg-fresh-{kind}-{role}"
    check_reply(messages_of(running_stack.chat(MESSAGES[kind][role], role=role, sender=sender)), kind, role)


@pytest.mark.parametrize("kind, role", CASES)
def test_in_the_middle_of_a_report_the_advice_comes_before_the_next_question(running_stack, kind, role):
    sender = f"sg-report-{kind}-{role}"
    started = messages_of(running_stack.chat("I want to report something", role=role, sender=sender))
    assert "immediate danger" in json.dumps(started).lower()
    replies = messages_of(running_stack.chat(MESSAGES[kind][role], role=role, sender=sender))
    check_reply(replies, kind, role)
    assert len(replies) > 1  # and the report carries on
    if kind in ("danger", "disclosure"):
        assert "URGENT" in json.dumps(replies)


@pytest.mark.parametrize("kind", list(MESSAGES))
def test_in_the_middle_of_the_induction_the_advice_comes_first(running_stack, fake_slack, kind):
    """The induction is taken in Slack or Teams (never the web chat), so this one is in a Slack DM."""
    user = f"UIND{kind.replace('_', '').upper()}"

    def say(text: str) -> list[dict]:
        return chat_in_dm(running_stack, fake_slack, user, text)

    assert "full name" in json.dumps(say("/start_induction"))
    assert "Section 1 of 11" in json.dumps(say("Robin Newstaff"))
    replies = say(MESSAGES[kind]["staff"])
    check_reply(replies, kind, "staff")
    if "What I keep" in json.dumps(replies):  # it read as a report: stop it, and the induction carries on
        assert "Nothing was saved" in json.dumps(say("cancel the report"))
    assert "Section 2 of 11" in json.dumps(say("/continue_induction"))


def test_a_greeting_that_carries_a_concern_is_not_just_a_hello(running_stack):
    replies = messages_of(running_stack.chat("hi, my friend said she wants to kill herself", role="pupil",
                                             sender="sg-hello"))
    check_reply(replies, "danger", "pupil")


def test_the_urgent_report_is_one_tap_and_cancelling_keeps_the_advice(running_stack):
    sender = "sg-urgent"
    advice = messages_of(running_stack.chat(MESSAGES["danger"]["staff"], sender=sender))
    tap = messages_of(running_stack.chat(advice[0]["buttons"][0]["payload"], sender=sender))
    assert "URGENT" in json.dumps(tap)
    cancelled = messages_of(running_stack.chat("cancel the report", sender=sender))
    assert "Nothing was saved" in json.dumps(cancelled)
    assert "999" in advice[0]["text"]  # what was said first stays said: the chat keeps it on screen


def test_ordinary_questions_are_still_answered(running_stack):
    replies = messages_of(running_stack.chat("can I friend a parent?", sender="sg-ordinary"))
    assert replies[0]["citations"][0]["clause"] == "5.3" and "999" not in replies[0]["text"]
