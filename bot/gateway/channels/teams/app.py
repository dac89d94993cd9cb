"""Microsoft Teams: personal chats, @mentions in channels (answered in the thread), card buttons.

Bot Framework POSTs each activity to /api/messages. The gateway checks the token (see
teams_auth), answers 202 at once and does the work afterwards, sending replies through the Bot
Connector (see teams_connector): Microsoft gives a bot 15 seconds, and Rasa may need longer.
Teams users are staff. A report started in a channel moves to the person's personal chat, so
no details are posted where others can read them. Files and pictures are refused, never fetched.
"""

from __future__ import annotations

import asyncio
import hashlib
import html
import json
import logging
import re
import time

import httpx
from botbuilder.core import MessageFactory, TurnContext
from botbuilder.schema import Activity
from fastapi import Request
from fastapi.responses import JSONResponse, Response

from bot.contract import REPORT, SenderId
from bot.database import DatabaseUnavailable, open_database
from bot.gateway.channels.common import NO_FILES, acknowledge, ask, is_report
from bot.gateway.channels.teams.auth import KeysUnavailable, SigningKeys, TokenValidator, Unauthorized
from bot.gateway.channels.teams.cards import (
    ACKNOWLEDGE,
    ACTION,
    FEEDBACK,
    QUICK_REPLY,
    answer_activity,
    card,
    plain,
    text_activity,
)
from bot.gateway.channels.teams.connector import Connector, ConnectorError, allowed_service_url, remember_chat
from bot.gateway.feedback import take_feedback
from bot.gateway.rasa_client import RasaClient
from bot.gateway.shared import SharedEvents, async_client
from bot.messages import ASSISTANT_UNAVAILABLE as APOLOGY
from bot.messages import MessageProblem, clean_message
from bot.settings import Settings

log = logging.getLogger("bot.teams")
MAX_BODY_BYTES = 256 * 1024
TAGS = re.compile(r"<[^>]{0,200}>")
FILE_TYPES = ("image/", "video/", "audio/", "application/vnd.microsoft.teams.file")
GUEST = ("Sorry, this assistant is for the school's staff, and your Teams account is a guest account. "
         "Please ask a member of staff or the school office.")
CANNOT_CHECK = "Sorry, I couldn't check your Teams account just now. Please try again in a minute."
MEMBER_CACHE_SECONDS = 600.0
NO_PERSONAL_CHAT = ("Reports are private, but I couldn't open a personal chat with you: the assistant may not be "
                    "installed for you in Teams. Please don't post any details here. Add the assistant from Teams' "
                    "Apps and message it directly, or use the school's web chat. If a child is in danger, call 999 "
                    "and tell the Designated Safeguarding Lead in person now.")
MOVED_TO_CHAT = ("Reports are private, so I've sent you a personal chat message to take this one there. "
                 "Please don't post any details in this channel.")
WELCOME = ("Hello! I answer questions about the Heatons Cluster Social Media Policy (D200), quoting the clause "
           "each time, and I can take an incident report. Try “Can I friend a parent?”, “report an incident” "
           "or “start induction”.")


def _refused(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": code, "message": message}, status_code=status)


def tenant_of(activity: Activity) -> str:
    data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    tenant = (data.get("tenant") or {}).get("id") if isinstance(data.get("tenant"), dict) else None
    return str(tenant or getattr(activity.conversation, "tenant_id", None) or "unknown")


def user_key(activity: Activity) -> str:
    """A person's lasting Teams identity: their Entra object id, else their Teams id."""
    person = activity.from_property
    return str(person.aad_object_id or person.id)


def files_in(activity: Activity) -> bool:
    return any((a.content_type or "").startswith(FILE_TYPES) for a in activity.attachments or [])


def message_text(activity: Activity, personal: bool) -> str:
    """What the person typed: without the @mention of the bot or any formatting."""
    text = activity.text or ""
    if not personal and activity.recipient is not None:
        text = TurnContext.remove_recipient_mention(activity) or ""
    return html.unescape(TAGS.sub(" ", text))


class TeamsChannel:
    def __init__(self, settings: Settings, rasa: RasaClient, connector: Connector | None = None):
        self.settings, self.rasa = settings, rasa
        self.http = httpx.AsyncClient()
        self.keys = SigningKeys(settings.TEAMS_OPENID_METADATA_URL, settings.TEAMS_KEY_REFETCH_SECONDS, self.http)
        self.validator = TokenValidator(settings.TEAMS_APP_ID, self.keys, settings.TEAMS_CLOCK_SKEW_SECONDS)
        self.connector = connector or Connector(settings)
        self.hosts = settings.teams_hosts()
        self.recent = SharedEvents(async_client(settings), "policybot:seen:teams")
        self.members: dict[str, tuple[str | None, float]] = {}  # person -> (refusal or None, when checked)
        self.tasks: set[asyncio.Task] = set()
        logging.getLogger("msrest").setLevel(logging.WARNING)  # it logs request bodies at DEBUG
        logging.getLogger("msal").setLevel(logging.WARNING)

    async def stop(self) -> None:
        if self.tasks:
            await asyncio.wait(self.tasks, timeout=10)
        await self.http.aclose()

    # The endpoint --------------------------------------------------------------------------

    async def handle(self, request: Request) -> Response:
        body = await request.body()
        if len(body) > MAX_BODY_BYTES:
            return _refused(413, "too_large", "The activity is too large.")
        try:
            raw = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raw = None
        if not isinstance(raw, dict):
            return _refused(400, "not_an_activity", "The body must be a Bot Framework activity (a JSON object).")
        try:
            await self.validator.validate(request.headers.get("Authorization"), raw)
        except Unauthorized as why:
            log.warning("refused a Teams request: %s", why)
            return _refused(401, "unauthorized", "The request's token was not accepted.")
        except KeysUnavailable:
            return _refused(503, "keys_unavailable", "Signing keys are unavailable; please send again.")
        if not allowed_service_url(raw.get("serviceUrl"), self.hosts):
            log.warning("refused a Teams request: its serviceUrl host is not on TEAMS_SERVICE_URL_HOSTS")
            return _refused(403, "service_url_not_allowed", "This serviceUrl is not on the allow-list.")
        try:
            activity = Activity().deserialize(raw)
        except Exception:  # msrest raises its own DeserializationError family
            return _refused(400, "not_an_activity", "The body is not a Bot Framework activity.")
        tenants = self.settings.teams_tenants()
        if tenants and tenant_of(activity) not in tenants:
            log.warning("refused a Teams request from a tenant that is not served")
            return _refused(403, "other_tenant", "This assistant serves its schools' tenants only.")
        conversation_id = activity.conversation.id if activity.conversation else ""
        if activity.id and not await self.recent.first_time(f"{conversation_id}|{activity.id}"):
            log.info("ignored a redelivered Teams activity")
            return Response(status_code=200)
        if activity.type == "invoke":
            return JSONResponse({}, status_code=200)
        task = asyncio.create_task(self._process(activity))
        self.tasks.add(task)
        task.add_done_callback(self._finished)
        return Response(status_code=202)

    def _finished(self, task: asyncio.Task) -> None:
        self.tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("a Teams activity could not be handled: %s", type(task.exception()).__name__)

    # Conversations -------------------------------------------------------------------------

    @staticmethod
    def sender(tenant: str, user: str, thread: str | None = None) -> str:
        """Rasa's conversation: the person's personal chat, or their conversation in one channel thread."""
        hashed = hashlib.sha256(thread.encode()).hexdigest()[:16] if thread else None
        return str(SenderId.teams(tenant, user, hashed))

    async def send(self, activity: Activity, reply: Activity) -> None:
        """Post into the activity's conversation (into its thread in a channel)."""
        await asyncio.to_thread(self.connector.reply, activity.service_url, activity.conversation.id,
                                activity.id if self.is_channel(activity) else None, reply)

    @staticmethod
    def is_channel(activity: Activity) -> bool:
        """Shared unless every signal says personal (failing closed: an activity that does not say is shared)."""
        conversation = activity.conversation
        channel_data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
        personal = (conversation.conversation_type == "personal" and not conversation.is_group
                    and not channel_data.get("channel") and not str(conversation.id or "").startswith("19:"))
        return not personal

    async def answer(self, sender: str, text: str, post) -> None:
        messages = await ask(self.rasa, sender, text, "teams")
        if not messages:
            await post(text_activity(APOLOGY))
        for message in messages:
            await post(answer_activity(message))

    async def _process(self, activity: Activity) -> None:
        try:
            if activity.type == "conversationUpdate":
                await self._on_conversation_update(activity)
            elif activity.type == "message":
                await self._on_message(activity)
        except ConnectorError:
            pass  # logged by the connector, without content

    async def _remember(self, activity: Activity) -> None:
        if self.is_channel(activity):
            return
        await asyncio.to_thread(
            remember_chat, open_database(self.settings.database_url()), user_key(activity), tenant_of(activity),
            activity.from_property.id, activity.recipient.id, activity.service_url, activity.conversation.id)

    async def _on_conversation_update(self, activity: Activity) -> None:
        added = [m.id for m in activity.members_added or []]
        if activity.recipient and activity.recipient.id in added and not self.is_channel(activity):
            await self.send(activity, text_activity(WELCOME))

    async def _guest_refusal(self, activity: Activity) -> str | None:
        """None for a member of the school's tenant; what to tell a guest, or someone Teams would not vouch for."""
        person, now = user_key(activity), time.monotonic()
        known = self.members.get(person)
        if known is not None and now - known[1] < MEMBER_CACHE_SECONDS:
            return known[0]
        try:
            role = await asyncio.to_thread(self.connector.member_role, activity.service_url, activity.conversation.id,
                                           activity.from_property.id)
        except ConnectorError:
            return CANNOT_CHECK
        refusal = GUEST if role.lower() == "guest" else None
        if refusal:
            log.warning("refused a Teams guest")
        self.members[person] = (refusal, now)
        return refusal

    async def _on_message(self, activity: Activity) -> None:
        if activity.from_property is None or activity.conversation is None:
            return
        refusal = await self._guest_refusal(activity)
        if refusal:
            await self.send(activity, text_activity(refusal))
            return
        try:
            await self._remember(activity)
        except DatabaseUnavailable:
            log.warning("could not store where a Teams personal chat is; notifications may not reach this person")
        if files_in(activity):
            await self.send(activity, text_activity(NO_FILES))  # never fetched, opened or passed on
            return
        if isinstance(activity.value, dict) and activity.value.get(ACTION):
            await self._on_click(activity, activity.value)
            return
        try:
            text = clean_message(message_text(activity, not self.is_channel(activity)) or "help",
                                 self.settings.MAX_MESSAGE_CHARS)
        except MessageProblem as problem:
            await self.send(activity, text_activity(str(problem)))
            return
        await self._converse(activity, text)

    async def _converse(self, activity: Activity, text: str) -> None:
        tenant, user = tenant_of(activity), user_key(activity)
        if self.is_channel(activity):
            if await is_report(self.rasa, text):
                await self.continue_in_personal_chat(activity, text)
                return
            sender = self.sender(tenant, user, activity.conversation.id)
        else:
            sender = self.sender(tenant, user)

        async def post(reply: Activity) -> None:
            await self.send(activity, reply)

        await self.answer(sender, text, post)

    async def continue_in_personal_chat(self, activity: Activity, text: str) -> None:
        """Take a report out of a channel: the conversation goes on in the person's personal chat. When Teams will
        not open one (the app is not installed for them), the channel is told how to report privately instead, with
        no detail, and nothing starts."""
        tenant, user = tenant_of(activity), user_key(activity)
        try:
            service_url, conversation_id = await asyncio.to_thread(
                self.connector.personal_chat, self.settings.database_url(), user, tenant, activity.recipient.id,
                activity.from_property.id, activity.service_url)
        except ConnectorError:
            await self.send(activity, text_activity(NO_PERSONAL_CHAT))
            return
        await self.send(activity, text_activity(MOVED_TO_CHAT))

        async def post(reply: Activity) -> None:
            await asyncio.to_thread(self.connector.reply, service_url, conversation_id, None, reply)

        await self.answer(self.sender(tenant, user), text, post)

    # Card buttons: their clicks arrive as `value` payloads, not text -----------------------------

    async def _on_click(self, activity: Activity, value: dict) -> None:
        kind = value.get(ACTION)
        if kind == QUICK_REPLY and isinstance(value.get("payload"), str):
            payload = value["payload"][:self.settings.MAX_MESSAGE_CHARS]
            if payload.startswith(REPORT) or payload.strip():
                await self._converse(activity, payload)
        elif kind == FEEDBACK:
            await self._on_feedback(activity, value)
        elif kind == ACKNOWLEDGE and isinstance(value.get("reference"), str):
            await self._on_acknowledge(activity, value["reference"][:20])
        else:
            await self.send(activity, text_activity("Sorry, that button no longer works. Please type your question."))

    async def _on_feedback(self, activity: Activity, value: dict) -> None:
        person = str(SenderId.teams(tenant_of(activity), user_key(activity)))
        event = hashlib.sha256(f"{activity.conversation.id}|{activity.reply_to_id}|{person}".encode()).hexdigest()
        reply = await take_feedback(open_database(self.settings.database_url()), "teams", person, value.get("helpful"),
                                    value.get("clauses"), f"teams:{event[:40]}",
                                    value["question"][:300] if isinstance(value.get("question"), str) else None)
        await self.send(activity, text_activity(reply.text))

    async def _on_acknowledge(self, activity: Activity, reference: str) -> None:
        problem = await acknowledge(self.settings, reference, str(SenderId.teams(tenant_of(activity), user_key(activity))),
                                    "teams", user_key(activity))
        if problem:
            await self.send(activity, text_activity(problem))
            return
        who = activity.from_property.name or "you"
        if activity.reply_to_id:
            done = MessageFactory.attachment(card([plain(f"{reference} acknowledged by {who}.", weight="Bolder")]))
            await asyncio.to_thread(self.connector.update, activity.service_url, activity.conversation.id,
                                    activity.reply_to_id, done)
        await self.send(activity, text_activity(
            f"Thank you. {reference} is now marked acknowledged. Read it with: policybot incidents show {reference}"))
