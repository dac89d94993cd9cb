"""The web chat's routes: the page, the embed script, /api/conversations, /api/chat and /api/feedback.

Conversation ids are issued and checked here (signed, see conversations.py); each conversation and each
network address has a message limit (limits.py); bodies are read and checked by request.py.
"""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from bot.gateway.channels.web.conversations import ConversationIds, Expired
from bot.gateway.channels.web.request import RequestProblem, parse_chat_request, parse_end_request, parse_feedback_request
from bot.gateway.problems import problem
from bot.gateway.rasa_client import RasaUnavailable
from bot.gateway.shared import SharedWindow, async_client, session_secret
from bot.messages import ASSISTANT_UNAVAILABLE as APOLOGY
from bot.settings import Settings

log = logging.getLogger("bot.gateway.web")
STATIC = Path(__file__).resolve().parent / "static"
SLOW_DOWN = "You're sending messages very quickly. Please wait {wait} seconds and try again."
UNKNOWN_CONVERSATION = "This conversation has expired. Please reload the page to start a new one."
EXPIRED = "This conversation had been open too long or idle too long, so a new one has started."


def address_of(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def too_fast(*waits: float) -> JSONResponse | None:
    wait = max(waits)
    if wait <= 0:
        return None
    seconds = max(1, round(wait))
    return problem(429, "rate_limited", SLOW_DOWN.format(wait=seconds), {"Retry-After": str(seconds)})


class WebChat:
    """The web channel's state for one gateway process: conversation ids, limits, the page."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.conversations = ConversationIds(session_secret(settings), settings.WEB_CONVERSATION_IDLE_MINUTES,
                                             settings.WEB_CONVERSATION_MAX_HOURS)
        shared = async_client(settings)  # counted across gateway processes
        self.per_conversation = SharedWindow(shared, "policybot:limit:conversation", settings.CHAT_LIMIT_PER_CONVERSATION)
        self.per_address = SharedWindow(shared, "policybot:limit:address", settings.CHAT_LIMIT_PER_ADDRESS)
        html = (STATIC / "index.html").read_text(encoding="utf-8")
        self.page = html.replace("{{MAX_MESSAGE_CHARS}}", str(settings.MAX_MESSAGE_CHARS))

    def router(self) -> APIRouter:
        router = APIRouter()
        router.add_api_route("/", self.index, methods=["GET"], include_in_schema=False)
        router.add_api_route("/embed.js", self.embed, methods=["GET"], include_in_schema=False)
        router.add_api_route("/api/conversations", self.new_conversation, methods=["POST"], status_code=201)
        router.add_api_route("/api/conversations/end", self.end_conversation, methods=["POST"])
        router.add_api_route("/api/chat", self.chat, methods=["POST"])
        router.add_api_route("/api/feedback", self.feedback, methods=["POST"], status_code=201)
        return router

    async def index(self) -> HTMLResponse:
        return HTMLResponse(self.page, headers={"Cache-Control": "no-cache"})

    async def embed(self) -> Response:
        script = (STATIC / "embed.js").read_text(encoding="utf-8")
        return Response(script, media_type="text/javascript; charset=utf-8", headers={"Cache-Control": "max-age=3600"})

    async def new_conversation(self, request: Request) -> JSONResponse:
        refused = too_fast(await self.per_address.allow(address_of(request)))
        return refused or JSONResponse({"conversation_id": self.conversations.issue()}, status_code=201)

    async def end_conversation(self, request: Request) -> JSONResponse:
        """"Start a new conversation": Rasa's copy of the old one is replaced by a fresh start."""
        try:
            conversation_id = parse_end_request(await request.body())
        except RequestProblem as bad:
            return problem(bad.status, bad.code, str(bad))
        try:
            sender = self.conversations.sender_for(conversation_id)
        except Expired as old:
            sender = old.sender
        if sender is None:
            return problem(401, "unknown_conversation", UNKNOWN_CONVERSATION)
        if not await request.app.state.rasa.forget(sender):
            return problem(503, "assistant_unavailable", "The old conversation couldn't be cleared just now; it "
                                                         "expires by itself.")
        self.conversations.forget(sender)
        return JSONResponse({"ended": True})

    async def chat(self, request: Request) -> JSONResponse:
        try:
            chat = parse_chat_request(await request.body(), self.settings.MAX_MESSAGE_CHARS)
        except RequestProblem as bad:
            return problem(bad.status, bad.code, str(bad))
        try:
            sender = self.conversations.sender_for(chat.conversation_id)
        except Expired as old:
            await request.app.state.rasa.forget(old.sender)  # nothing typed in it stays in Rasa's tracker
            return problem(401, "conversation_expired", EXPIRED)
        if sender is None:
            return problem(401, "unknown_conversation", UNKNOWN_CONVERSATION)
        refused = too_fast(await self.per_conversation.allow(sender), await self.per_address.allow(address_of(request)))
        if refused:
            return refused
        try:
            messages = await request.app.state.rasa.send(sender, chat.message, {"role": chat.role, "channel": "web"})
        except RasaUnavailable:
            return problem(503, "assistant_unavailable", APOLOGY)
        if not messages:
            log.error("Rasa gave no reply to a message (is the action server running?)")
            return problem(503, "no_reply", APOLOGY)
        return JSONResponse({"messages": [m.as_json() for m in messages]})

    async def feedback(self, request: Request) -> JSONResponse:
        """"Helpful?" from the web chat, through the same feedback path as Slack's and Teams'."""
        from bot.database import open_database
        from bot.gateway.feedback import take_feedback

        try:
            feedback = parse_feedback_request(await request.body())
        except RequestProblem as bad:
            return problem(bad.status, bad.code, str(bad))
        try:
            sender = self.conversations.sender_for(feedback.conversation_id)
        except Expired:
            return problem(401, "conversation_expired", EXPIRED)
        if sender is None:
            return problem(401, "unknown_conversation", UNKNOWN_CONVERSATION)
        refused = too_fast(await self.per_address.allow(address_of(request)))
        if refused:
            return refused
        reply = await take_feedback(open_database(self.settings.database_url()), "web", sender, feedback.helpful,
                                    feedback.clauses, f"{sender}:{feedback.answer}",
                                    feedback.question)
        if reply.status != 201:
            return problem(reply.status, "bad_feedback" if reply.status == 422 else "feedback_unavailable", reply.text)
        return JSONResponse({"message": reply.text}, status_code=201)
