"""What reporters are told and what happens when nobody picks a report up, through /api/chat on the real stack:
the receipt never claims a notice was sent, names who will be told and how (or says nobody could be), names the
DSL and what happens next; an URGENT report nobody acknowledges is escalated after URGENT_ESCALATE_MINUTES."""

from __future__ import annotations

import pytest

from bot.incidents.service import IncidentService
from tests.e2e.test_incident_reports import FRIEND_REQUEST, URGENT_CYBERBULLYING, converse, saved_reference, texts
from tests.support.waiting import eventually

pytestmark = pytest.mark.stack

def test_the_receipt_says_who_will_be_told_and_how_never_that_it_was_sent(running_stack):
    converse(running_stack, "receipt-on", FRIEND_REQUEST)
    text = texts(running_stack.chat("yes", sender="receipt-on"))
    assert "saved as INC-" in text and "has been sent" not in text
    assert "Elena Ponsen (Headteacher) (by email, Slack and Teams) will be told as soon as the notice is delivered" in text
    assert "What happens next: Designated Safeguarding Lead and the people above decide" in text


def test_with_no_way_of_telling_anyone_the_receipt_says_so(running_stack):
    running_stack.stop("actions")
    running_stack.restart("actions", SMTP_HOST="", SLACK_BOT_TOKEN="", TEAMS_APP_ID="")
    try:
        converse(running_stack, "receipt-off", FRIEND_REQUEST)
        response = running_stack.chat("yes", sender="receipt-off")
        text = texts(response)
        assert saved_reference(response).startswith("INC-")
        assert "has been sent" not in text and "will be told as soon" not in text
        assert ("This assistant has no way set up yet to tell Elena Ponsen (Headteacher), so nobody has been told "
                "automatically: please tell Elena Ponsen (Headteacher) yourself") in text
    finally:
        running_stack.stop("actions")
        running_stack.restart("actions")


def test_an_urgent_report_nobody_acknowledges_is_escalated(running_stack, smtp_server):
    first = texts(running_stack.chat("I need to report something, a pupil is in danger right now",
                                     sender="escalate-me", role="parent"))
    assert "call 999" in first
    converse(running_stack, "escalate-me", URGENT_CYBERBULLYING, role="parent")
    response = running_stack.chat("yes", sender="escalate-me", role="parent")
    text = texts(response)
    reference = saved_reference(response)
    assert "call 999 and tell Designated Safeguarding Lead in person now" in text
    assert "CEOP (www.ceop.police.uk)" in text  # a parent's cyberbullying receipt names CEOP (D200 8.3)
    incidents = IncidentService(running_stack.settings)
    assert incidents.get(reference).escalated_at is None  # 15 minutes have not passed

    running_stack.stop("worker")
    running_stack.restart("worker", URGENT_ESCALATE_MINUTES=0)
    try:
        [email] = smtp_server.wait_for(lambda m: reference in m["Subject"] and m["Subject"].startswith("ESCALATED"))
        assert "deputy.dsl@norrisbank.example" in email["To"]
        assert "threatening" not in email.get_payload(decode=True).decode()
        incident = eventually(lambda: (lambda i: i if i.escalated_at else None)(incidents.get(reference)))
        assert [a.action for a in incident.audit][-1] == "escalated"
        health = running_stack.http.get("/healthz").json()
        assert health["status"] == "degraded" and health["reports"]["urgent_unacknowledged"] >= 1
    finally:
        running_stack.stop("worker")
        running_stack.restart("worker")


def test_a_reporter_can_ask_whether_their_report_has_been_seen_and_nobody_else_can(running_stack):
    converse(running_stack, "status-mine", FRIEND_REQUEST)
    reference = saved_reference(running_stack.chat("yes", sender="status-mine"))
    first = texts(running_stack.chat("has my report been seen?", sender="status-mine"))
    assert f"{reference}, made on" in first and "not acknowledged yet" in first
    IncidentService(running_stack.settings).change_status(reference, "acknowledged", "dsl")
    later = texts(running_stack.chat(f"any news on my report {reference}?", sender="status-mine"))
    assert "the school has seen it and is dealing with it" in later
    other = texts(running_stack.chat(f"has {reference} been acknowledged?", sender="status-someone-else"))
    assert "can't find a report" in other and "made on" not in other
