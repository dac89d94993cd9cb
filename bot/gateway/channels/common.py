"""What the staff channels (Slack and Teams) share: wording, redelivery checks, asking Rasa."""

from __future__ import annotations

import asyncio
from collections import OrderedDict

from bot.contract import REPORT_INCIDENT, intent_of_payload
from bot.gateway.rasa_client import BotMessage, RasaClient, RasaUnavailable
from bot.settings import Settings

NO_FILES = ("I can't accept files or pictures, and I haven't opened this one. Please delete it from this chat and "
            "don't forward it. If it may show a child, tell the Designated Safeguarding Lead in person now. "
            "Describe what happened in words and I can take a report.")


class RecentEvents:
    """Event ids already handled, so a redelivered event is answered once."""

    def __init__(self, size: int = 10_000):
        self.size = size
        self.seen: OrderedDict[str, bool] = OrderedDict()

    def first_time(self, event_id: str) -> bool:
        if event_id in self.seen:
            return False
        self.seen[event_id] = True
        if len(self.seen) > self.size:
            self.seen.popitem(last=False)
        return True


async def ask(rasa: RasaClient, sender: str, text: str, channel: str) -> list[BotMessage]:
    """Rasa's replies to a member of staff; empty when Rasa is down or silent (say APOLOGY then)."""
    try:
        return await rasa.send(sender, text, {"role": "staff", "channel": channel})
    except RasaUnavailable:
        return []


NOT_A_RECIPIENT = "Only the people this report was sent to can acknowledge it."


def _acknowledge_as_recipient(settings: Settings, reference: str, actor: str, channel: str, user: str) -> None:
    from bot.incidents.service import IncidentService, StatusChangeRefused

    service = IncidentService(settings)
    incident = service.get(reference)
    people = [service.contacts.people[key] for key in incident.routed_to if key in service.contacts.people]
    allowed = {p.slack_user if channel == "slack" else p.teams_user for p in people} - {None, ""}
    if user not in allowed:
        raise StatusChangeRefused(NOT_A_RECIPIENT)
    service.change_status(reference, "acknowledged", actor)


async def acknowledge(settings: Settings, reference: str, actor: str, channel: str, user: str) -> str | None:
    """Mark a report acknowledged from a notification's button, when the person clicking (`user`: their Slack
    user id or Entra object id) is one the report was routed to; None, or what to tell them instead."""
    from bot.database import DatabaseUnavailable
    from bot.incidents.service import IncidentNotFound, StatusChangeRefused

    try:
        await asyncio.to_thread(_acknowledge_as_recipient, settings, reference, actor, channel, user)
    except (IncidentNotFound, StatusChangeRefused) as problem:
        return str(problem)
    except DatabaseUnavailable:
        return "Sorry, the incident system is not available; please try again."
    return None


async def is_report(rasa: RasaClient, text: str) -> bool:
    """Does this message start a report (so it must leave a shared channel)? When Rasa cannot say, yes: a report
    moved to a private chat by mistake costs a click, one left in a channel cannot be taken back."""
    if text.startswith("/"):
        return intent_of_payload(text) == REPORT_INCIDENT
    try:
        return await rasa.intent_of(text) == REPORT_INCIDENT
    except RasaUnavailable:
        return True
