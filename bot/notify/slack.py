"""Slack delivery for the outbox: a direct message to the person the contacts file names, with
the reference, kind and urgency (never the description) and an "Acknowledge" button."""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from bot.gateway.channels.slack.blocks import notification_blocks
from bot.notify.notifier import DeliveryError
from bot.records import OutboxMessage
from bot.settings import Settings


class SlackNotifier:
    channel = "slack"

    def __init__(self, settings: Settings):
        self.settings = settings
        self._client: WebClient | None = None

    @property
    def configured(self) -> bool:
        return bool(self.settings.SLACK_BOT_TOKEN)

    @property
    def client(self) -> WebClient:
        if self._client is None:
            self._client = WebClient(token=self.settings.SLACK_BOT_TOKEN, base_url=self.settings.SLACK_API_URL,
                                     timeout=10, retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=2)])
        return self._client

    def send(self, message: OutboxMessage, reference: str) -> None:
        try:
            self.client.chat_postMessage(channel=message.recipient, text=message.subject,
                                         blocks=notification_blocks(message, reference))
        except SlackApiError as exc:
            raise DeliveryError(f"Slack {exc.response.get('error', 'error')}") from None
        except (SlackClientError, OSError) as exc:
            raise DeliveryError(f"Slack {type(exc).__name__}") from None
