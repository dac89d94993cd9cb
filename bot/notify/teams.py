"""Teams delivery for the outbox: a proactive message in the person's personal chat with the bot,
with the reference, kind and urgency (never the description) and an "Acknowledge" button.

The person is named in the contacts file by their Microsoft Entra object id (`teams_user`). Their
personal chat is the one they last used with the bot; when there is none yet, a single-tenant
bot opens one through TEAMS_SERVICE_URL (the app must be installed for them).
"""

from __future__ import annotations

from botbuilder.core import MessageFactory

from bot.gateway.channels.teams.cards import notification_card
from bot.gateway.channels.teams.connector import Connector, ConnectorError
from bot.notify.notifier import DeliveryError
from bot.records import OutboxMessage
from bot.settings import Settings


class TeamsNotifier:
    channel = "teams"

    def __init__(self, settings: Settings, connector: Connector | None = None):
        self.settings = settings
        self._connector = connector

    @property
    def configured(self) -> bool:
        return bool(self.settings.TEAMS_APP_ID)

    @property
    def connector(self) -> Connector:
        if self._connector is None:
            self._connector = Connector(self.settings)
        return self._connector

    def send(self, message: OutboxMessage, reference: str) -> None:
        activity = MessageFactory.attachment(notification_card(message.subject, message.body, reference))
        activity.summary = message.subject
        settings, user = self.settings, message.recipient
        try:
            service_url, conversation_id = self.connector.personal_chat(
                settings.database_url(), user, settings.TEAMS_TENANT_ID, f"28:{settings.TEAMS_APP_ID}", user,
                settings.TEAMS_SERVICE_URL)
            self.connector.reply(service_url, conversation_id, None, activity)
        except ConnectorError as problem:
            raise DeliveryError(f"Teams {problem}") from None
