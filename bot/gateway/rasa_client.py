"""Talking to the Rasa server's REST channel, and shaping its replies for channels."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from bot.contract import intent_of_payload

log = logging.getLogger(__name__)
NO_COMMANDS = ("I can't run commands. Please type your question in words, or use the buttons. If a child is in "
               "immediate danger, call 999 and tell the Designated Safeguarding Lead now.")


class RasaUnavailable(RuntimeError):
    """Rasa could not be reached or gave an unusable answer (already logged)."""


@dataclass(frozen=True)
class BotMessage:
    text: str
    citations: tuple[dict, ...] = ()
    buttons: tuple[dict, ...] = ()
    data: dict | None = None

    def as_json(self) -> dict:
        body: dict[str, Any] = {"text": self.text, "citations": list(self.citations), "buttons": list(self.buttons)}
        if self.data is not None:
            if "covered" in self.data:
                body["covered"] = self.data.get("covered")
                body["notices"] = self.data.get("notices", [])
                if self.data.get("covered") and isinstance(self.data.get("question"), str):
                    body["question"] = self.data["question"][:300]  # sent back with "Not helpful", for the desk
            for key in ("contact", "incident", "report", "safeguarding", "urgent", "meta"):
                if self.data.get(key):
                    body[key] = self.data[key]
            if self.forget_conversation:
                body["cleared"] = True  # the conversation so far is forgotten; pages clear it too
        return body

    @property
    def forget_conversation(self) -> bool:
        return bool(self.data and self.data.get("forget_conversation"))


def shape(raw: list[dict]) -> list[BotMessage]:
    """Rasa sends an action's text and its json_message as two items; join them again."""
    shaped: list[BotMessage] = []
    for item in raw:
        custom = item.get("custom")
        buttons = tuple(
            {"title": str(b.get("title", "")), "payload": str(b.get("payload", ""))} for b in item.get("buttons") or []
        )
        if isinstance(custom, dict):
            citations = tuple(c for c in custom.get("citations", []) if isinstance(c, dict))
            if shaped and not shaped[-1].data and shaped[-1].text:
                last = shaped.pop()
                shaped.append(BotMessage(last.text, citations, last.buttons or buttons, custom))
            else:
                shaped.append(BotMessage(str(custom.get("text", "")), citations, buttons, custom))
        elif item.get("text") or buttons:
            shaped.append(BotMessage(str(item.get("text") or ""), (), buttons))
        elif item.get("image"):
            log.info("dropped an image message from the bot: images are never relayed")
    return shaped


WEBHOOK = "/webhooks/gateway/webhook"  # bot.gateway.rasa_channel, which checks the header below
GATEWAY_HEADER = "X-Policybot-Gateway-Token"
FRESH_CONVERSATION = [{"event": "action", "name": "action_session_start"}, {"event": "session_started"},
                      {"event": "action", "name": "action_listen"}]


class RasaClient:
    def __init__(self, base_url: str | list[str], timeout: float, transport: httpx.AsyncBaseTransport | None = None,
                 token: str = "", wipe: Callable[[str], Awaitable[bool]] | None = None):
        self.base_urls = [u.rstrip("/") for u in ([base_url] if isinstance(base_url, str) else base_url)]
        self.base_url = self.base_urls[0]
        self.token = token
        self.http = httpx.AsyncClient(timeout=timeout, transport=transport)
        self.wipe = wipe  # deletes a conversation from Rasa's tracker store (bot.gateway.shared.TrackerWiper)

    async def forget(self, sender: str) -> bool:
        """Replace a conversation's history in Rasa with a fresh start (after a report: no details kept): the
        stored conversation is deleted first, because Rasa's Redis store merges a replacement into what it has."""
        if self.wipe is not None and not await self.wipe(sender):
            return False
        path = f"/conversations/{quote(sender, safe=':')}/tracker/events"
        try:
            response = await self._to_a_server(sender, "PUT", path, json=FRESH_CONVERSATION, params={"token": self.token})
        except httpx.HTTPError as exc:
            log.error("could not clear a finished report from Rasa's tracker: %s", type(exc).__name__)
            return False
        if response.status_code != 200:
            log.error("could not clear a finished report from Rasa's tracker: HTTP %s", response.status_code)
            return False
        return True

    async def send(self, sender: str, text: str, metadata: dict) -> list[BotMessage]:
        if text.lstrip().startswith("/") and intent_of_payload(text.lstrip()) is None:
            return [BotMessage(NO_COMMANDS)]  # a Rasa command (restart, inform...) typed as text: never passed on
        try:
            response = await self._to_a_server(sender, "POST", WEBHOOK, headers={GATEWAY_HEADER: self.token},
                                               json={"sender": sender, "message": text, "metadata": metadata})
        except httpx.HTTPError as exc:
            log.error("Rasa is unreachable: %s", type(exc).__name__)
            raise RasaUnavailable from None
        if response.status_code != 200:
            log.error("Rasa answered HTTP %s", response.status_code)
            raise RasaUnavailable
        try:
            raw = response.json()
        except ValueError:
            log.error("Rasa answered with something that is not JSON")
            raise RasaUnavailable from None
        if not isinstance(raw, list):
            log.error("Rasa answered with unexpected JSON (%s)", type(raw).__name__)
            raise RasaUnavailable
        messages = shape([m for m in raw if isinstance(m, dict)])
        if any(m.forget_conversation for m in messages):
            await self.forget(sender)
        return messages

    async def intent_of(self, text: str) -> str | None:
        """The intent Rasa's NLU reads in a text (used to keep reports out of shared channels); RasaUnavailable
        when Rasa cannot say."""
        try:
            response = await self._to_a_server(text, "POST", "/model/parse", json={"text": text},
                                               params={"token": self.token})
            if response.status_code != 200:
                raise RasaUnavailable(f"Rasa's parse answered HTTP {response.status_code}")
            return response.json().get("intent", {}).get("name")
        except (httpx.HTTPError, ValueError, AttributeError) as exc:
            log.error("could not read the intent of a message from Rasa")
            raise RasaUnavailable("Rasa's parse failed") from exc

    def servers_for(self, sender: str) -> list[str]:
        """The Rasa servers in the order this conversation tries them: always the same first one (so its messages
        meet one server while it is up), then the others. Any server can carry any conversation: they share
        Redis's tracker and lock stores."""
        first = int.from_bytes(hashlib.sha256(sender.encode()).digest()[:4], "big") % len(self.base_urls)
        return self.base_urls[first:] + self.base_urls[:first]

    async def _to_a_server(self, sender: str, method: str, path: str, **request: Any) -> httpx.Response:
        """Send to this conversation's Rasa server; when it refuses the connection (stopped, restarting), to the
        next. A request that reached a server is never sent again, so no message is handled twice."""
        servers = self.servers_for(sender)
        for number, base in enumerate(servers):
            try:
                return await self.http.request(method, f"{base}{path}", **request)
            except httpx.ConnectError:
                if number == len(servers) - 1:
                    raise
                log.warning("a Rasa server refused the connection; trying the next")
        raise AssertionError("unreachable")

    async def up(self, url: str) -> bool:
        try:
            return (await self.http.get(url, timeout=3.0)).status_code == 200
        except httpx.HTTPError:
            return False

    async def close(self) -> None:
        await self.http.aclose()
