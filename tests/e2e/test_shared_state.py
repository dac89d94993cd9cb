"""Rasa's conversations and locks, and the gateway's signing key, live in Redis: restarts lose nothing, and a
finished report leaves nothing in the store."""

from __future__ import annotations

import pytest

from bot.incidents.service import IncidentService
from tests.e2e.test_incident_reports import FRIEND_REQUEST, converse, saved_reference, texts

pytestmark = pytest.mark.stack


def stored(stack) -> list[tuple[str, bytes]]:
    """Every key in the stack's Redis with its value (strings and lists of strings)."""
    client = stack.redis()
    found = []
    for key in client.scan_iter("*"):
        kind = client.type(key)
        if kind == b"string":
            found.append((key.decode(), client.get(key) or b""))
        elif kind == b"list":
            found.append((key.decode(), b"\n".join(client.lrange(key, 0, -1))))
    return found


def test_rasa_keeps_conversations_in_redis_and_a_saved_report_leaves_nothing_there(running_stack):
    sender = "redis-report"
    converse(running_stack, sender, FRIEND_REQUEST[:5])
    rasa_id = running_stack.rasa_sender(sender)
    during = [(k, v) for k, v in stored(running_stack) if rasa_id in k]
    assert during and any(b"Instagram at 9pm" in v for _, v in during)  # the tracker store is Redis, mid-report
    assert all(0 < running_stack.redis().ttl(k) <= 12 * 3600 for k, _ in during)  # kept for a while, not forever
    converse(running_stack, sender, FRIEND_REQUEST[5:])
    reference = saved_reference(running_stack.chat("yes", sender=sender))
    details = [b"Instagram at 9pm", b"Jamie", b"sam.jones@school.example", b"Sam Jones"]
    after = [(k, v) for k, v in stored(running_stack) if rasa_id in k]  # other tests' reports may be half-told
    assert after and not [k for k, v in after if any(d in v for d in details)], after
    assert IncidentService(running_stack.settings).get(reference).reporter_name == "Sam Jones"


@pytest.mark.parametrize("service", ["rasa", "actions", "gateway", "redis"])
def test_a_restart_mid_report_loses_nothing(running_stack, service):
    sender = f"restart-{service}"
    converse(running_stack, sender, FRIEND_REQUEST[:4])  # asked "What happened?"
    running_stack.stop(service)
    running_stack.restart(service)
    converse(running_stack, sender, FRIEND_REQUEST[4:])  # carries on from the question it was at
    response = running_stack.chat("yes", sender=sender)
    reference = saved_reference(response)
    saved = [i for i in IncidentService(running_stack.settings).list()
             if i.channel_user == running_stack.rasa_sender(sender)]
    assert [i.reference for i in saved] == [reference]  # saved exactly once
    assert "Elena Ponsen (Headteacher)" in texts(response)
