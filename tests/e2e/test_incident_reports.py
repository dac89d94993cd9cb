"""Incident reports end to end: /api/chat -> Rasa -> action server -> PostgreSQL -> outbox -> SMTP."""

from __future__ import annotations

import json
import socket
from concurrent.futures import ThreadPoolExecutor

import pytest

from bot.incidents.service import IncidentService
from tests.support.identities import TEAMS_HEAD
from tests.support.waiting import eventually

pytestmark = pytest.mark.stack

FRIEND_REQUEST = [
    ("I want to report a pupil who sent me a friend request", "immediate danger"),
    ("no", "When did it happen"),
    ("yesterday at 3pm", "Who was involved"),
    ("a Year 6 pupil", "What happened"),
    ("Jamie in Year 6 sent me a friend request on Instagram at 9pm", "evidence"),
    ("yes", "your name"),
    ("Sam Jones", "contact you"),
    ("sam.jones@school.example", "Here is your report"),
]

URGENT_CYBERBULLYING = [  # a parent's urgent report, after "I need to report something, a pupil is in danger right now"
        ("cyberbullying", "When did it happen"),
        ("just now", "Where did it happen"),
        ("outside school", "8.3 and 8.4"),
        ("an ex-pupil", "What happened"),
        ("An ex-pupil is threatening a pupil in messages and says he will meet him tonight", "evidence"),
        ("yes", "your name"),
        ("Chris Doe", "contact you"),
        ("0161 496 0000", "YES (urgent)"),
]


def texts(response) -> str:
    assert response.status_code == 200, response.text
    return "\n".join(m["text"] for m in response.json()["messages"])


def converse(stack, sender: str, steps, role: str = "staff") -> list[str]:
    """Send each message and check each reply mentions what it should; the replies."""
    replies = []
    for message, expected in steps:
        reply = texts(stack.chat(message, role=role, sender=sender))
        assert expected.lower() in reply.lower(), f"after {message!r} expected {expected!r} in:\n{reply}"
        replies.append(reply)
    return replies


def saved_reference(response) -> str:
    incident = next(m["incident"] for m in response.json()["messages"] if m.get("incident"))
    return incident["reference"]


@pytest.fixture(scope="module")
def incidents(running_stack) -> IncidentService:
    return IncidentService(running_stack.settings)


def test_a_full_report_is_saved_audited_routed_and_emailed_without_its_details(running_stack, incidents, smtp_server):
    converse(running_stack, "rep-happy", FRIEND_REQUEST)
    response = running_stack.chat("yes", sender="rep-happy")
    reference = saved_reference(response)
    assert "Elena Ponsen (Headteacher)" in texts(response)

    incident = incidents.get(reference)
    assert incident.category == "friend_request" and incident.status == "open" and not incident.urgent
    assert incident.reporter_name == "Sam Jones" and incident.reporter_role == "staff"
    assert incident.occurred_text.endswith("at 15:00") and incident.people_roles == ["pupil"]
    assert incident.channel_user == running_stack.rasa_sender("rep-happy")
    assert incident.routed_to == ["headteacher"]
    assert [a.action for a in incident.audit] == ["created"]
    assert sorted((n.channel, n.recipient) for n in incident.notifications) == [
        ("email", "headteacher@norrisbank.example"), ("slack", "UHEAD"), ("teams", TEAMS_HEAD)]

    [email] = smtp_server.wait_for(lambda m: reference in m["Subject"])
    body = email.get_payload(decode=True).decode()
    assert "headteacher@norrisbank.example" in email["To"] and reference in body
    assert "friend or contact staff" in " ".join(email["Subject"].split())
    assert "Jamie" not in body and "Instagram" not in body and "Sam Jones" not in body
    # The worker marks the row a moment after the SMTP server has taken the message.
    def email_statuses():
        statuses = [n.status for n in incidents.get(reference).notifications if n.channel == "email"]
        return statuses if statuses == ["sent"] else None
    assert eventually(email_statuses, timeout=10) == ["sent"]

    # Nothing the reporter typed stays in Rasa's tracker or in any log.
    assert "Jamie" not in json.dumps(running_stack.tracker("rep-happy"))
    for log in (running_stack.run_dir / "logs").glob("*.log"):
        assert "Jamie" not in log.read_text(errors="replace"), log.name

    # A repeated "yes" or "try again" after saving creates nothing new.
    assert "no report in progress" in texts(running_stack.chat("try again", sender="rep-happy"))
    assert len([i for i in incidents.list() if i.reporter_name == "Sam Jones"
                and i.channel_user == running_stack.rasa_sender("rep-happy")]) == 1


def test_cancel_part_way_saves_nothing_and_clears_the_conversation(running_stack, incidents):
    before = len(incidents.list())
    converse(running_stack, "rep-cancel", FRIEND_REQUEST[:4] + [
        ("cancel", "Cancel the whole report?"), ("carry on", "What happened"),  # one word wipes nothing
        ("never mind", "Cancel the whole report?"), ("cancel the whole report", "Nothing was saved")])
    assert len(incidents.list()) == before
    assert "Year 6" not in json.dumps(running_stack.tracker("rep-cancel"))


def test_a_correction_before_saving_is_what_gets_saved(running_stack, incidents):
    converse(running_stack, "rep-fix", FRIEND_REQUEST + [
        ("change the date", "When did it happen"),
        ("yesterday at 8am", "Here is your report"),
    ])
    reference = saved_reference(running_stack.chat("yes", sender="rep-fix"))
    assert incidents.get(reference).occurred_text.endswith("at 08:00")


def test_impossible_and_future_dates_are_refused_kindly(running_stack):
    converse(running_stack, "rep-dates", FRIEND_REQUEST[:2] + [
        ("31 February", "couldn't read that as a date"),
        ("tomorrow at noon", "in the future"),
        ("yesterday", "Who was involved"),
    ])


def test_sexting_refuses_images_and_goes_to_the_dsl(running_stack, incidents):
    replies = converse(running_stack, "rep-sexting", [
        ("I need to report a pupil sharing nudes of another pupil",
         "Do not ask for, open, save, copy or forward any image"),
        ("no", "When did it happen"),
        ("this morning", "Where did it happen"),
        ("on school premises", "Who was involved"),
        ("two Year 5 pupils", "What happened"),
        ("here it is https://example.com/photo.jpg", "don't send pictures"),
        ("A pupil said a picture of another pupil is being passed round", "your name"),
        ("Alex Smith", "contact you"),
        ("alex@school.example", "Here is your report"),
    ])
    assert "evidence" not in "\n".join(replies[1:]).lower()  # never asks anyone to keep copies
    reference = saved_reference(running_stack.chat("yes", sender="rep-sexting"))
    incident = incidents.get(reference)
    assert incident.category == "sexting" and incident.routed_to == ["dsl"]
    assert "photo.jpg" not in incident.description
    assert [n.recipient for n in incident.notifications if n.channel == "email"] == ["dsl@norrisbank.example"]


def test_immediate_danger_says_999_first_and_marks_the_report_urgent(running_stack, incidents, smtp_server):
    response = running_stack.chat("I need to report something, a pupil is in danger right now", sender="rep-danger",
                                  role="parent")
    first = response.json()["messages"][0]["text"]
    assert "call 999" in first and "Designated Safeguarding Lead" in first  # worded for a parent
    converse(running_stack, "rep-danger", URGENT_CYBERBULLYING, role="parent")
    response = running_stack.chat("yes", sender="rep-danger", role="parent")
    assert "call 999" in texts(response)
    incident = incidents.get(saved_reference(response))
    assert incident.urgent and incident.immediate_danger and incident.routed_to == ["dsl", "senior_leadership"]
    assert incident.people_roles == ["ex-pupil"] and incident.location == "outside"
    emails = smtp_server.wait_for(lambda m: incident.reference in m["Subject"], count=2)
    assert len(emails) == 2 and all(m["Subject"].startswith("URGENT") for m in emails)


def test_a_database_that_is_down_gets_an_apology_and_a_retry_saves_once(running_stack, incidents, postgres_server):
    converse(running_stack, "rep-dbdown", FRIEND_REQUEST)
    postgres_server.stop()
    try:
        response = running_stack.chat("yes", sender="rep-dbdown")
        assert "couldn't save your report" in texts(response)
        assert {"title": "Try again", "payload": "/submit_report"} in response.json()["messages"][0]["buttons"]
        question = running_stack.chat("can I friend a parent?", sender="rep-dbdown-question")
        assert question.json()["messages"][0]["citations"][0]["clause"] == "5.3"  # questions need no database
    finally:
        postgres_server.start()
    response = running_stack.chat("/submit_report", sender="rep-dbdown")
    reference = saved_reference(response)
    saved = [i for i in incidents.list() if i.channel_user == running_stack.rasa_sender("rep-dbdown")]
    assert [i.reference for i in saved] == [reference]
    assert len(saved[0].audit) == 1 and len(saved[0].notifications) == 3  # email, Slack and Teams


def test_a_database_that_never_answers_holds_up_nobody_elses_question(running_stack):
    """An action waiting on the database runs in its own thread: while a report's save hangs on a server that
    accepts the connection and never answers, another person's plain question is answered."""
    hole = socket.socket()
    hole.bind(("127.0.0.1", 0))
    hole.listen(8)
    hole.settimeout(60)
    url = f"postgresql+psycopg://policybot@127.0.0.1:{hole.getsockname()[1]}/policybot?connect_timeout=600"
    running_stack.stop("actions")
    running_stack.restart("actions", DATABASE_URL=url)
    pool = ThreadPoolExecutor(1)
    held = None
    try:
        converse(running_stack, "rep-hang", FRIEND_REQUEST)
        saving = pool.submit(running_stack.chat, "yes", "staff", "rep-hang")
        held, _ = hole.accept()  # the save is now waiting for the database to say anything
        question = running_stack.chat("can I friend a parent?", sender="rep-hang-question")
        assert not saving.done()
        assert question.json()["messages"][0]["citations"][0]["clause"] == "5.3"
        held.close()  # the database goes away: the save fails, and says so
        assert "couldn't save your report" in texts(saving.result(60))
    finally:
        if held:
            held.close()
        hole.close()
        pool.shutdown(wait=True)
        running_stack.stop("actions")
        running_stack.restart("actions")


def test_an_answer_about_a_reporting_clause_offers_report_this(running_stack):
    response = running_stack.chat("a Year 6 added me on Instagram, what do I do?", sender="rep-button")
    (message,) = response.json()["messages"]
    assert {"5.4", "6.3"} & {c["clause"] for c in message["citations"]}
    [button] = message["buttons"]
    assert button["title"] == "Report this"
    reply = texts(running_stack.chat(button["payload"], sender="rep-button"))
    assert "D200 5.4 and 6.3" in reply and "immediate danger" in reply and "What kind" not in reply


def test_no_report_text_reaches_any_log(running_stack):
    """Runs last (see conftest): nothing any reporter typed, on the web, in Slack or in Teams, nor what the DSL
    wrote on the desk, is in any process's log, with LOG_LEVEL=DEBUG (the stack's setting in these tests)."""
    typed = ("Jamie", "passed round", "threatening a pupil", "0161 496 0000", "alex@school.example", "TikTok at 9pm",
             "pat@school.example",
             "contacting staff online", "Request declined", "a long pass phrase")  # the desk's action, outcome, password
    for log in (running_stack.run_dir / "logs").glob("*.log"):
        content = log.read_text(errors="replace")
        assert not [t for t in typed if t in content], log.name


def started(response) -> bool:
    return any(m.get("report") == "started" for m in response.json()["messages"])


@pytest.mark.parametrize("message", ["Is it ok to accept a friend request from a parent",
                                     "Is it ok to accept a facebook friend request from a parent of a child in my class?"])
def test_a_question_about_friending_a_parent_is_answered_with_no_form(running_stack, message):
    response = running_stack.chat(message, sender=f"rep-question-{len(message)}")
    assert not started(response)
    [answer] = [m for m in response.json()["messages"] if m.get("covered") is not None]
    assert answer["citations"][0]["clause"] == "5.3"


def test_something_that_happened_is_answered_and_a_report_offered_then_started_on_request(running_stack):
    response = running_stack.chat("a pupil sent me a friend request", sender="rep-offer")
    assert not started(response)
    [answer] = [m for m in response.json()["messages"] if m.get("covered") is not None]
    assert {"5.4", "6.3"} & {c["clause"] for c in answer["citations"]}
    assert "Would you like to report this?" in answer["text"]
    [offer] = [b for b in answer["buttons"] if b["title"] == "Report this"]
    assert "friend_request" in offer["payload"]
    taken = running_stack.chat(offer["payload"], sender="rep-offer")
    assert started(taken) and "immediate danger" in texts(taken).lower()
    assert "nothing was saved" in texts(running_stack.chat("cancel the report", sender="rep-offer")).lower()


def test_a_question_read_as_a_report_is_answered_with_the_offer(running_stack):
    response = running_stack.chat("who do I report a pupil's friend request to?", sender="rep-who")
    assert not started(response)
    assert any(b["title"] == "Report this" for m in response.json()["messages"] for b in m["buttons"])
    again = running_stack.chat("report it", sender="rep-who")
    assert started(again)


def test_the_form_answers_questions_reads_school_day_dates_and_refuses_links_at_every_step(running_stack, incidents):
    replies = converse(running_stack, "rep-kind", [
        ("I need to report something", "immediate danger"),
        ("no", "What kind"),
        ("my son is being bullied on whatsapp by boys in his class", "When did it happen"),  # the kind, from words
        ("can I friend a parent on facebook?", "When did it happen"),  # answered, then the same question again
        ("yesterday after school", "Where did it happen"),
        ("it was on https://example.com/groupchat", "Please don't send links"),
        ("outside school", "Who was involved"),
    ], role="parent")
    assert "D200 5.3" in replies[3] and "Back to your report:" in replies[3]
    assert "Where did it happen" in replies[5]  # the same question, after the refusal
    converse(running_stack, "rep-kind", [
        ("some boys in his class", "What happened"),
        ("They keep sending him nasty messages in a group chat every evening", "evidence"),
        ("yes", "your name"),
        ("Pat Doe", "contact you"),
        ("pat.doe@example.com", "Here is your report"),
    ], role="parent")
    reference = saved_reference(running_stack.chat("yes", sender="rep-kind", role="parent"))
    incident = incidents.get(reference)
    assert incident.category == "cyberbullying" and incident.occurred_text.endswith("15:15")
    assert "https" not in json.dumps([incident.location, incident.description, incident.people_text])
