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


async def acknowledge(settings: Settings, reference: str, actor: str) -> str | None:
    """Mark a report acknowledged from a notification's button; None, or what to tell the person instead."""
    from bot.database import DatabaseUnavailable
    from bot.incidents.service import IncidentNotFound, IncidentService, StatusChangeRefused

    try:
        await asyncio.to_thread(IncidentService(settings).change_status, reference, "acknowledged", actor)
    except (IncidentNotFound, StatusChangeRefused) as problem:
        return str(problem)
    except DatabaseUnavailable:
        return "Sorry, the incident system is not available; please try again."
    return None


async def is_report(rasa: RasaClient, text: str) -> bool:
    """Does this message start a report (so it must leave a shared channel)?"""
    if text.startswith("/"):
        return intent_of_payload(text) == REPORT_INCIDENT
    return await rasa.intent_of(text) == REPORT_INCIDENT
