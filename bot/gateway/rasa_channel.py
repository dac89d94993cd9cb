"""The gateway's door into Rasa: Rasa's REST channel, answering only requests that carry the gateway's token.

Loaded by the Rasa server (credentials.yml names it), never by the gateway process. Rasa listens on loopback,
but any local account can reach loopback; without the token (Rasa's API token, X-Policybot-Gateway-Token)
a request gets 401 and no message reaches the dialogue, so nobody but the gateway can speak as a Slack or
Teams user or drive a report."""

from __future__ import annotations

import hmac
import os
from typing import Any, Awaitable, Callable

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request

HEADER = "X-Policybot-Gateway-Token"
PATH = "/webhooks/gateway/webhook"


class GatewayInput(RestInput):
    @classmethod
    def name(cls) -> str:
        return "gateway"

    def __init__(self, token: str = "") -> None:
        self.token = token or os.environ.get("RASA_AUTH_TOKEN", "")

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> GatewayInput:
        return cls()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = super().blueprint(on_new_message)

        @webhook.on_request
        async def only_the_gateway(request: Request) -> Any:
            given = request.headers.get(HEADER, "")
            if not self.token or not hmac.compare_digest(given.encode(), self.token.encode()):
                return response.json({"error": "This webhook answers only the assistant's gateway."}, status=401)
            return None

        return webhook
