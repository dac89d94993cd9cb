"""The Rasa contract: sender ids, button payloads and citation lines, one definition each."""

from __future__ import annotations

import pytest

from bot import contract
from bot.contract import SenderId


@pytest.mark.parametrize("text, channel, space, person, thread", [
    ("web:abc123", "web", "", "abc123", ""),
    ("slack:T1:U2", "slack", "T1", "U2", ""),
    ("slack:T1:U2:thread:1700000000.000100", "slack", "T1", "U2", "1700000000.000100"),
    ("teams:tenant-1:aad-9", "teams", "tenant-1", "aad-9", ""),
    ("teams:tenant-1:aad-9:thread:0123456789abcdef", "teams", "tenant-1", "aad-9", "0123456789abcdef"),
])
def test_sender_ids_build_and_parse_both_ways(text, channel, space, person, thread):
    sender = SenderId.parse(text)
    assert (sender.channel, sender.space, sender.person, sender.thread) == (channel, space, person, thread)
    assert str(sender) == text
    assert str(sender.without_thread()) == text.split(":thread:")[0]


def test_builders_match_what_channels_send():
    assert str(SenderId.slack("T", "U", "1.2")) == "slack:T:U:thread:1.2"
    assert str(SenderId.teams("tn", "u")) == "teams:tn:u"
    assert str(SenderId.web("x")) == "web:x"


def test_anything_else_is_a_web_conversation_of_that_name():
    assert SenderId.parse("default").channel == "web"
    assert SenderId.parse(None).channel == "web"
    assert SenderId.parse("slack:onlyteam").channel == "web"


def test_payloads_name_known_intents_only():
    assert contract.payload("report_incident", incident_category="sexting") == '/report_incident{"incident_category": "sexting"}'
    assert contract.intent_of_payload(contract.REPORT) == "report_incident"
    assert contract.intent_of_payload("/report_incident{\"incident_category\": \"x\"}") == "report_incident"
    assert contract.intent_of_payload("report an incident") is None
    with pytest.raises(ValueError):
        contract.payload("reprot_incident")


def test_citation_parts_skip_what_is_missing():
    assert contract.citation_parts({"label": "D200 5.3", "section": "Staff", "strength_label": "MUST NOT"}) == [
        "D200 5.3", "Staff", "MUST NOT"]
    assert contract.citation_parts({"label": "D200 5.3", "section": ""}) == ["D200 5.3"]
