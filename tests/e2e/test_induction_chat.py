"""The safeguarding induction end to end in a Slack DM (where the school knows who is taking it), with every
process real; and the web chat, where anyone can say they are staff, refusing it."""

from __future__ import annotations

import json

import pytest

from bot.induction.content import load_induction
from bot.induction.service import InductionService, StaffMember
from tests.support.fake_slack import TEAM
from tests.support.paths import CORPUS
from tests.support.slack_chat import chat_in_dm

pytestmark = pytest.mark.stack


def say(stack, user: str, message: str) -> list[dict]:
    return chat_in_dm(stack, stack.fake_slack, user, message)


def text_of(messages: list[dict]) -> str:
    return "\n".join(m["text"] for m in messages)


def take_quiz(stack, sender: str, first_reply: list[dict], right: int) -> list[dict]:
    """Answer every question from the buttons, getting the first `right` right."""
    induction = load_induction(CORPUS)
    by_text = {q.question: q for q in induction.quiz}
    messages, answered = first_reply, 0
    while True:
        asking = [m for m in messages if m["text"].startswith("Question ")]
        if not asking:
            return messages
        question = by_text[asking[-1]["text"].split(": ", 1)[1]]
        choice = question.correct if answered < right else (question.correct + 1) % len(question.options)
        button = asking[-1]["buttons"][choice]
        assert button["title"] in (question.options[choice], f"{choice + 1}. {question.options[choice]}") or \
            button["title"].startswith(f"{choice + 1}. ")  # Slack numbers long options and lists them in full
        messages = say(stack, sender, button["payload"])
        answered += 1


def test_walkthrough_question_stop_resume_quiz_and_register(running_stack, fake_slack):
    running_stack.fake_slack = fake_slack
    sender = "UINDUCTE2E"
    assert "what is your full name" in text_of(say(running_stack, sender, "/start_induction")).lower()
    assert "Section 1 of 11" in text_of(say(running_stack, sender, "Robin Newstaff"))
    for expected in ("Section 2 of 11", "Section 3 of 11", "Section 4 of 11"):
        assert expected in text_of(say(running_stack, sender, "next"))

    answer = say(running_stack, sender, "can I friend a parent?")  # a question in the middle
    assert "D200 5.3" in json.dumps(answer[0]["blocks"])
    assert {"title": "Back to the induction", "payload": "/continue_induction"} in answer[0]["buttons"]

    assert "section 4 of 11" in text_of(say(running_stack, sender, "stop induction"))
    resumed = text_of(say(running_stack, sender, "start induction"))
    assert "Welcome back, Robin Newstaff" in resumed and "Section 4 of 11" in resumed

    for _ in range(7):
        messages = say(running_stack, sender, "/continue_induction")
    messages = say(running_stack, sender, "/continue_induction")
    assert "scenario quiz (attempt 1)" in text_of(messages)

    failed = take_quiz(running_stack, sender, messages, right=7)
    assert "You scored 50%" in text_of(failed)
    retake = say(running_stack, sender, failed[-1]["buttons"][0]["payload"])
    assert "attempt 2" in text_of(retake)
    passed = take_quiz(running_stack, sender, retake, right=14)
    assert "You scored 100%" in text_of(passed)
    confirm = passed[-1]["buttons"][0]
    assert confirm["title"] == "I have read and understood the policy"
    assert "recorded in the school's register" in text_of(say(running_stack, sender, confirm["payload"]))

    service = InductionService(running_stack.settings)
    channel_user = f"slack:{TEAM}:{sender}"
    rows = [r for r in service.register() if r.channel_user == channel_user]
    assert [(r.attempt, r.score, r.passed, r.confirmed_at is not None) for r in rows] == [
        (1, 50, False, False), (2, 100, True, True)]
    assert {r.person_name for r in rows} == {"Robin Newstaff"}
    assert {r.policy_version for r in rows} == {load_induction(CORPUS).version}
    assert json.dumps(service.missing([StaffMember("Robin Newstaff")])) == "[]"


@pytest.mark.parametrize("role", ["pupil", "parent", "staff"])
def test_the_web_chat_never_starts_the_induction(running_stack, role):
    """On the web anyone can say they are staff, so nobody gets an induction (or a register row) there."""
    sender = f"induct-web-{role}"
    for message in ("/start_induction", "start induction", "/continue_induction", "/confirm_induction"):
        response = running_stack.chat(message, role=role, sender=sender)
        assert response.status_code == 200
        text = json.dumps(response.json()["messages"])
        assert "full name" not in text and "Section 1 of 11" not in text
    assert "taken in Slack or Microsoft Teams" in json.dumps(
        running_stack.chat("/start_induction", role=role, sender=sender).json()["messages"])
    service = InductionService(running_stack.settings)
    web = running_stack.rasa_sender(sender)
    assert not [r for r in service.register() if r.channel_user == web] and not service.in_progress(web)


def test_in_a_channel_the_induction_is_not_started_and_no_name_is_asked(running_stack, fake_slack):
    import time

    from tests.support.fake_slack import BOT_USER
    from tests.support.slack_chat import event

    ts = f"{time.time():.6f}"
    event(running_stack, {"type": "app_mention", "channel": "CINDUCT", "user": "UINCH", "ts": ts, "event_ts": ts,
                          "text": f"<@{BOT_USER}> start induction", "team": TEAM})
    [reply] = fake_slack.wait_for(lambda m, b: m == "chat.postMessage" and b.get("channel") == "CINDUCT")
    assert reply[1]["thread_ts"] == ts and "private chat" in reply[1]["text"]
    assert "full name" not in json.dumps(reply[1])
