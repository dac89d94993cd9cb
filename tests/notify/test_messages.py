"""Each channel's notice is worded for that channel: a letter by email, a short message in Slack and Teams."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.incidents.contacts import Person
from bot.incidents.service import IncidentService
from bot.notify.messages import messages_for
from bot.settings import Settings
from tests.support.incidents import draft


def test_email_is_a_letter_and_slack_and_teams_get_a_message_with_the_same_facts(tmp_path):
    service = IncidentService(Settings(DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}"))
    incident = service.submit(draft(description="Jamie sent a friend request"), "k")
    head = Person("head", "Elena Ponsen (Headteacher)", "head@school.example", "UHEAD", "aad-head")
    by_channel = {m.channel: m.body for m in messages_for(incident, [head], ZoneInfo("Europe/London"))}
    assert by_channel["email"].startswith("Dear Elena Ponsen (Headteacher),") and "not in this email" in by_channel["email"]
    for chat in ("slack", "teams"):
        body = by_channel[chat]
        assert "Dear" not in body and "email" not in body and "Press Acknowledge" in body, chat
        assert f"Reference: {incident.reference}" in body and "Jamie" not in body
