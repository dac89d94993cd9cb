"""Slack: direct messages, @mentions (answered in their thread), the /policy command, buttons.

A slack-bolt AsyncApp inside the gateway process, reached over HTTP at /slack/events (signed
requests only) or over Socket Mode. Slack users are staff. Reports started in a channel move to
a direct message, so no details are posted where others can read them.
"""

from __future__ import annotations

import logging
import re
import time

from slack_bolt import BoltResponse
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from bot.contract import REPORT, SenderId
from bot.database import open_database
from bot.gateway.channels.common import NO_FILES, acknowledge, ask, is_report
from bot.gateway.channels.slack.blocks import (
    ACKNOWLEDGE,
    FEEDBACK_NO,
    FEEDBACK_YES,
    QUICK_REPLY,
    SHOW_CLAUSE,
    fallback_text,
    message_blocks,
)
from bot.gateway.rasa_client import RasaClient
from bot.gateway.shared import SharedEvents, async_client
from bot.messages import ASSISTANT_UNAVAILABLE as APOLOGY
from bot.messages import MessageProblem, clean_message
from bot.settings import Settings

log = logging.getLogger("bot.slack")
def _part(body: dict, key: str) -> dict:
    value = body.get(key)
    return value if isinstance(value, dict) else {}


GUEST = ("Sorry, this assistant is for the school's staff, and your Slack account is a guest account. "
         "Please ask a member of staff or the school office.")
CANNOT_CHECK = "Sorry, I couldn't check your Slack account just now. Please try again in a minute."
MEMBER_CACHE_SECONDS = 600.0
OTHER_WORKSPACE = ("Sorry, this assistant is for the Heatons Cluster's own staff. If you work for one of its schools, "
                   "use your school Slack account.")
MENTION = re.compile(r"<@[A-Z0-9]+>")
MOVED_TO_DM = ("Reports are private, so I've sent you a direct message to take this one there. "
               "Please don't post any details in this channel.")


class SlackChannel:
    def __init__(self, settings: Settings, rasa: RasaClient):
        self.settings, self.rasa = settings, rasa
        client = AsyncWebClient(token=settings.SLACK_BOT_TOKEN, base_url=settings.SLACK_API_URL,
                                retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=2)])
        self.app = AsyncApp(client=client, signing_secret=settings.SLACK_SIGNING_SECRET or "unused-in-socket-mode",
                            request_verification_enabled=settings.slack_mode() == "http",
                            process_before_response=False)
        self.recent = SharedEvents(async_client(settings), "policybot:seen:slack")
        self.members: dict[str, tuple[str | None, float]] = {}  # user -> (refusal or None, when checked)
        # bolt logs unhandled requests with their payloads: keep message text out of the logs
        logging.getLogger("slack_bolt").setLevel(logging.ERROR)
        self._clauses: dict[str, str] | None = None
        self._register()

    async def start(self) -> None:
        from slack_bolt.adapter.fastapi.async_handler import AsyncSlackRequestHandler

        self.http_handler = AsyncSlackRequestHandler(self.app)
        self.socket = None
        if self.settings.slack_mode() == "socket":
            from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

            self.socket = AsyncSocketModeHandler(self.app, self.settings.SLACK_APP_TOKEN)
            await self.socket.connect_async()

    async def stop(self) -> None:
        if self.socket is not None:
            await self.socket.close_async()

    async def handle_http(self, request):
        return await self.http_handler.handle(request)

    def _register(self) -> None:
        app = self.app
        app.middleware(self._skip_redeliveries)
        app.middleware(self._only_staff)
        app.event("message")(self._on_direct_message)
        app.event("app_mention")(self._on_mention)
        app.command("/policy")(self._on_command)
        app.action(re.compile(f"^{SHOW_CLAUSE}_"))(self._on_show_clause)
        app.action(re.compile(f"^{QUICK_REPLY}_"))(self._on_quick_reply)
        app.action(re.compile(f"^({FEEDBACK_YES}|{FEEDBACK_NO})$"))(self._on_feedback)
        app.action(ACKNOWLEDGE)(self._on_acknowledge)

    async def _skip_redeliveries(self, body: dict, next):
        event_id = body.get("event_id") if isinstance(body, dict) else None
        if event_id and not await self.recent.first_time(event_id):
            log.info("ignored a redelivered Slack event")
            return BoltResponse(status=200, body="")
        return await next()

    @staticmethod
    def _persons_workspace(body: dict) -> str | None:
        """The workspace of the person behind a request (a Slack Connect user's own, not the host's)."""
        event, user = _part(body, "event"), _part(body, "user")
        return (event.get("user_team") or user.get("team_id") or body.get("user_team_id") or body.get("team_id")
                or _part(body, "team").get("id"))

    @staticmethod
    def _who_and_where(body: dict) -> tuple[str | None, str | None]:
        event = _part(body, "event")
        user = event.get("user") or body.get("user_id") or _part(body, "user").get("id")
        channel = event.get("channel") or body.get("channel_id") or _part(body, "channel").get("id")
        return user, channel

    async def _only_staff(self, body: dict, client: AsyncWebClient, next):
        """Only members of the allowed workspaces (SLACK_TEAM_IDS) who are not guests get through; anyone else
        gets one line saying so, and nothing reaches Rasa."""
        if not isinstance(body, dict) or _part(body, "event").get("bot_id"):
            return await next()
        user, channel = self._who_and_where(body)
        allowed = self.settings.slack_teams()
        if allowed and self._persons_workspace(body) not in allowed:
            log.warning("refused a Slack request from a workspace not on SLACK_TEAM_IDS")
            refusal: str | None = OTHER_WORKSPACE
        elif user:
            refusal = await self._guest_refusal(client, user)
        else:
            refusal = None
        if refusal is None:
            return await next()
        if user and channel:
            await client.chat_postEphemeral(channel=channel, user=user, text=refusal)
        return BoltResponse(status=200, body="")

    async def _guest_refusal(self, client: AsyncWebClient, user: str) -> str | None:
        """None for a full member of the workspace; what to tell a guest, or someone Slack would not vouch for."""
        now = time.monotonic()
        known = self.members.get(user)
        if known is not None and now - known[1] < MEMBER_CACHE_SECONDS:
            return known[0]
        try:
            found = (await client.api_call("users.info", data={"user": user})).get("user") or {}
        except SlackApiError as failure:
            log.warning("could not look up a Slack user: %s", failure.response.get("error"))
            return CANNOT_CHECK
        guest = bool(found.get("is_restricted") or found.get("is_ultra_restricted") or found.get("is_stranger"))
        if guest:
            log.warning("refused a Slack guest")
        refusal = GUEST if guest else None
        self.members[user] = (refusal, now)
        return refusal

    # Conversations -----------------------------------------------------------------------

    @staticmethod
    def sender(team: str, user: str, thread: str | None = None) -> str:
        """Rasa's conversation: the person's DM, or their conversation in one channel thread."""
        return str(SenderId.slack(team, user, thread))

    async def answer(self, sender: str, text: str, post) -> None:
        """Ask Rasa and hand each reply (or the apology) to `post(text=..., blocks=...)`."""
        messages = await ask(self.rasa, sender, text, "slack")
        if not messages:
            await post(text=APOLOGY)
        for message in messages:
            await post(text=fallback_text(message), blocks=message_blocks(message))

    async def reply(self, client: AsyncWebClient, sender: str, text: str, channel: str, thread_ts: str | None = None):
        async def post(**content):
            await client.chat_postMessage(channel=channel, thread_ts=thread_ts, **content)

        await self.answer(sender, text, post)

    async def continue_in_dm(self, client: AsyncWebClient, team: str, user: str, text: str) -> None:
        """Take a report out of a channel: the conversation goes on in the person's DM."""
        opened = await client.conversations_open(users=user)
        await self.reply(client, self.sender(team, user), text, opened["channel"]["id"])

    async def _on_direct_message(self, event: dict, client: AsyncWebClient, context) -> None:
        if event.get("channel_type") != "im" or event.get("bot_id") or not event.get("user"):
            return
        if event.get("subtype") == "file_share" or event.get("files"):
            # Never open, keep or pass on a file: it may be an image of a child.
            await client.chat_postMessage(channel=event["channel"], text=NO_FILES)
            return
        if event.get("subtype"):
            return
        try:
            text = clean_message(event.get("text") or "", self.settings.MAX_MESSAGE_CHARS)
        except MessageProblem as problem:
            await client.chat_postMessage(channel=event["channel"], text=str(problem))
            return
        await self.reply(client, self.sender(context.team_id, event["user"]), text, event["channel"])

    async def _on_mention(self, event: dict, client: AsyncWebClient, context) -> None:
        if event.get("bot_id") or not event.get("user"):
            return
        thread = event.get("thread_ts") or event["ts"]
        team, user, channel = context.team_id, event["user"], event["channel"]
        try:
            text = clean_message(MENTION.sub("", event.get("text") or "").strip() or "help",
                                 self.settings.MAX_MESSAGE_CHARS)
        except MessageProblem as problem:  # said to them alone: nothing of theirs is repeated in the channel
            await client.chat_postEphemeral(channel=channel, user=user, thread_ts=thread, text=str(problem))
            return
        if await is_report(self.rasa, text):
            await client.chat_postEphemeral(channel=channel, user=user, thread_ts=thread, text=MOVED_TO_DM)
            await self.continue_in_dm(client, team, user, text)
            return
        await self.reply(client, self.sender(team, user, thread), text, channel, thread)

    async def _on_command(self, ack, command: dict, respond, client: AsyncWebClient, context) -> None:
        await ack()  # within Slack's 3 seconds; the answer follows through response_url
        try:
            text = clean_message((command.get("text") or "").strip() or "help", self.settings.MAX_MESSAGE_CHARS)
        except MessageProblem as problem:
            await respond(text=str(problem), response_type="ephemeral")
            return
        team, user = context.team_id, command["user_id"]
        if await is_report(self.rasa, text):
            await respond(text=MOVED_TO_DM, response_type="ephemeral")
            await self.continue_in_dm(client, team, user, text)
            return

        async def post(**content):
            await respond(response_type="ephemeral", **content)

        await self.answer(self.sender(team, user), text, post)

    # Buttons -------------------------------------------------------------------------------

    @staticmethod
    def _where(body: dict) -> tuple[str, str, str, str | None]:
        """(team, user, channel, thread) of a button click."""
        message = body.get("message") or {}
        channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id") or ""
        thread = None if channel.startswith("D") else message.get("thread_ts") or message.get("ts")
        team = (body.get("team") or {}).get("id") or body.get("user", {}).get("team_id")
        return team, body["user"]["id"], channel, thread

    async def _on_quick_reply(self, ack, body: dict, action: dict, client: AsyncWebClient) -> None:
        """A button under an answer. Anywhere but the person's DM (a channel, a thread, an ephemeral /policy answer,
        or a payload that does not say where: shared until shown otherwise), a button that starts or continues a
        report moves to the DM, and a click on an ephemeral answer is answered to that person alone."""
        await ack()
        team, user, channel, thread = self._where(body)
        payload = action.get("value") or ""
        shared = not (channel or "").startswith("D")
        ephemeral = bool((body.get("container") or {}).get("is_ephemeral")) or not body.get("message")
        if shared and (payload.startswith(REPORT) or await is_report(self.rasa, payload)):
            if channel:
                await client.chat_postEphemeral(channel=channel, user=user, text=MOVED_TO_DM, thread_ts=thread)
            await self.continue_in_dm(client, team, user, payload)
            return
        if shared and ephemeral:  # the answer it came from was shown to this person only: so is this one
            async def post(**content):
                await client.chat_postEphemeral(channel=channel, user=user, **content)

            await self.answer(self.sender(team, user), payload, post)
            return
        await self.reply(client, self.sender(team, user, thread), payload, channel, thread)

    def clause_text(self, key: str) -> str | None:
        if self._clauses is None:
            from bot.policy.corpus import load_corpus

            self._clauses = {f"{p.code}|{c.number}": c.text for p in load_corpus(
                self.settings.path(self.settings.POLICY_CORPUS_DIR)) for c in p.clauses}
        return self._clauses.get(key)

    async def _on_show_clause(self, ack, body: dict, action: dict, client: AsyncWebClient) -> None:
        await ack()
        team, user, channel, thread = self._where(body)
        key = action.get("value") or ""
        text = self.clause_text(key)
        shown = f"*{key.replace('|', ' ')}*\n>{text}" if text else "Sorry, I can't find that clause any more."
        if channel.startswith("D"):
            await client.chat_postMessage(channel=channel, text=shown)
        else:
            await client.chat_postEphemeral(channel=channel, user=user, thread_ts=thread, text=shown)

    async def _on_feedback(self, ack, body: dict, action: dict, client: AsyncWebClient) -> None:
        await ack()
        from bot.gateway.feedback import take_feedback

        team, user, channel, thread = self._where(body)
        message_ts = (body.get("message") or {}).get("ts") or body.get("container", {}).get("message_ts")
        clauses = [c for c in str(action.get("value") or "").split(",") if c]
        reply = await take_feedback(open_database(self.settings.database_url()), "slack", str(SenderId.slack(team, user)),
                                    action.get("action_id") == FEEDBACK_YES, clauses,
                                    f"slack:{channel}:{message_ts}:{user}")
        in_thread = (body.get("message") or {}).get("thread_ts")  # a thank-you for an answer in a thread stays there
        await client.chat_postEphemeral(channel=channel, user=user, text=reply.text, thread_ts=in_thread)

    async def _on_acknowledge(self, ack, body: dict, action: dict, client: AsyncWebClient) -> None:
        await ack()
        team, user, channel, _ = self._where(body)
        reference = action.get("value") or ""
        problem = await acknowledge(self.settings, reference, str(SenderId.slack(team, user)), "slack", user)
        if problem:
            await client.chat_postEphemeral(channel=channel, user=user, text=problem)
            return
        message = body.get("message") or {}
        ts = message.get("ts")
        if not isinstance(ts, str):  # Slack sends the clicked message with the click; without it there is none to update
            log.warning("an Acknowledge click came without its message; the acknowledgement is saved, no message updated")
            return
        blocks = [b for b in message.get("blocks", []) if b.get("type") != "actions"]
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": f"Acknowledged by <@{user}>"}]})
        await client.chat_update(channel=channel, ts=ts, text=f"{reference} acknowledged", blocks=blocks)
