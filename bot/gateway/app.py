"""The gateway: the only public port. Web chat page, embed script, /api/conversations,
/api/chat, Slack's /slack/events, Teams' /api/messages and /healthz in front of Rasa."""

from __future__ import annotations

import asyncio
import logging
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles

from bot.gateway.channels.web.conversations import ConversationIds
from bot.gateway.channels.web.limits import SlidingWindow
from bot.gateway.channels.web.request import RequestProblem, parse_chat_request, parse_feedback_request
from bot.gateway.rasa_client import RasaClient, RasaUnavailable
from bot.messages import ASSISTANT_UNAVAILABLE as APOLOGY
from bot.settings import Settings

log = logging.getLogger("bot.gateway.app")
STATIC = Path(__file__).resolve().parent / "channels" / "web" / "static"


SLOW_DOWN = "You're sending messages very quickly. Please wait {wait} seconds and try again."
UNKNOWN_CONVERSATION = "This conversation has expired. Please reload the page to start a new one."
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    # Everything comes from this gateway: no CDN, no web fonts, no third-party requests.
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
                               "form-action 'self'",
}


def _problem(status: int, code: str, message: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"error": code, "message": message, "messages": [{"text": message}]}, status_code=status,
                        headers=headers)


async def start_slack(settings: Settings, rasa: RasaClient):
    """The Slack channel when its settings are present (Socket Mode connects now), else None."""
    mode = settings.slack_mode()
    if mode is None:
        log.info("Slack is off: set SLACK_BOT_TOKEN with SLACK_SIGNING_SECRET (HTTP) or SLACK_APP_TOKEN (Socket Mode)")
        return None
    from bot.gateway.channels.slack.app import SlackChannel

    slack = SlackChannel(settings, rasa)
    await slack.start()
    log.info("Slack is on (%s)", "Socket Mode" if mode == "socket" else "HTTP mode at /slack/events")
    return slack


def start_teams(settings: Settings, rasa: RasaClient):
    """The Teams channel when TEAMS_APP_ID is set, else None."""
    if not settings.TEAMS_APP_ID:
        log.info("Teams is off: set TEAMS_APP_ID with TEAMS_APP_PASSWORD (or a certificate) to turn it on")
        return None
    from bot.gateway.channels.teams.app import TeamsChannel

    log.info("Teams is on (%s bot; Bot Framework posts to /api/messages)",
             "single-tenant" if settings.TEAMS_TENANT_ID else "multi-tenant")
    return TeamsChannel(settings, rasa)


def address_of(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _page(settings: Settings) -> str:
    html = (STATIC / "index.html").read_text(encoding="utf-8")
    return html.replace("{{MAX_MESSAGE_CHARS}}", str(settings.MAX_MESSAGE_CHARS))


def create_app(settings: Settings | None = None, transport: httpx.AsyncBaseTransport | None = None) -> FastAPI:
    settings = settings or Settings.from_env()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.rasa = RasaClient(settings.RASA_URL, settings.RASA_TIMEOUT_SECONDS, transport, settings.RASA_TOKEN)
        app.state.slack = await start_slack(settings, app.state.rasa)
        app.state.teams = start_teams(settings, app.state.rasa)
        yield
        if app.state.teams:
            await app.state.teams.stop()
        if app.state.slack:
            await app.state.slack.stop()
        await app.state.rasa.close()

    app = FastAPI(title="Heatons Cluster policy assistant", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    conversations = ConversationIds(settings.SESSION_SECRET)
    per_conversation = SlidingWindow(settings.CHAT_LIMIT_PER_CONVERSATION)
    per_address = SlidingWindow(settings.CHAT_LIMIT_PER_ADDRESS)
    page = _page(settings)

    @app.middleware("http")
    async def security_headers(request: Request, call_next):
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    def too_fast(*waits: float) -> JSONResponse | None:
        wait = max(waits)
        if wait <= 0:
            return None
        seconds = max(1, round(wait))
        return _problem(429, "rate_limited", SLOW_DOWN.format(wait=seconds), {"Retry-After": str(seconds)})

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("unexpected error on %s: %s", request.url.path, type(exc).__name__)
        return _problem(503, "assistant_error", APOLOGY)

    @app.get("/", include_in_schema=False)
    async def index() -> HTMLResponse:
        return HTMLResponse(page, headers={"Cache-Control": "no-cache"})

    @app.get("/embed.js", include_in_schema=False)
    async def embed() -> Response:
        script = (STATIC / "embed.js").read_text(encoding="utf-8")
        return Response(script, media_type="text/javascript; charset=utf-8", headers={"Cache-Control": "max-age=3600"})

    @app.post("/api/conversations", status_code=201)
    async def new_conversation(request: Request) -> JSONResponse:
        refused = too_fast(per_address.allow(address_of(request)))
        return refused or JSONResponse({"conversation_id": conversations.issue()}, status_code=201)

    @app.post("/api/chat")
    async def chat(request: Request) -> JSONResponse:
        try:
            chat = parse_chat_request(await request.body(), settings.MAX_MESSAGE_CHARS)
        except RequestProblem as problem:
            return _problem(problem.status, problem.code, str(problem))
        sender = conversations.sender_for(chat.conversation_id)
        if sender is None:
            return _problem(401, "unknown_conversation", UNKNOWN_CONVERSATION)
        refused = too_fast(per_conversation.allow(sender), per_address.allow(address_of(request)))
        if refused:
            return refused
        metadata = {"role": chat.role, "channel": "web"}
        try:
            messages = await app.state.rasa.send(sender, chat.message, metadata)
        except RasaUnavailable:
            return _problem(503, "assistant_unavailable", APOLOGY)
        if not messages:
            log.error("Rasa gave no reply to a message (is the action server running?)")
            return _problem(503, "no_reply", APOLOGY)
        return JSONResponse({"messages": [m.as_json() for m in messages]})

    @app.post("/api/feedback", status_code=201)
    async def feedback(request: Request) -> JSONResponse:
        """"Helpful?" from the web chat, stored in the same feedback table as Slack's and Teams'."""
        from bot.database import open_database
        from bot.gateway.feedback import take_feedback

        try:
            feedback = parse_feedback_request(await request.body())
        except RequestProblem as problem:
            return _problem(problem.status, problem.code, str(problem))
        sender = conversations.sender_for(feedback.conversation_id)
        if sender is None:
            return _problem(401, "unknown_conversation", UNKNOWN_CONVERSATION)
        refused = too_fast(per_address.allow(address_of(request)))
        if refused:
            return refused
        reply = await take_feedback(open_database(settings.database_url()), "web", sender, feedback.helpful, feedback.clauses,
                                    f"{sender}:{feedback.answer}")
        if reply.status != 201:
            code = "bad_feedback" if reply.status == 422 else "feedback_unavailable"
            return _problem(reply.status, code, reply.text)
        return JSONResponse({"message": reply.text}, status_code=201)

    @app.post("/slack/events", include_in_schema=False)
    async def slack_events(request: Request) -> Response:
        if app.state.slack is None or settings.slack_mode() != "http":
            return _problem(404, "slack_off", "Slack is not set up on this assistant (see the README).")
        return await app.state.slack.handle_http(request)

    @app.post("/api/messages", include_in_schema=False)
    async def teams_messages(request: Request) -> Response:
        """Microsoft Teams, through Bot Framework (tokens checked in bot.gateway.channels.teams.auth)."""
        if app.state.teams is None:
            return _problem(404, "teams_off", "Teams is not set up on this assistant (see the README).")
        return await app.state.teams.handle(request)

    @app.get("/healthz")
    async def healthz() -> JSONResponse:
        rasa, actions = await asyncio.gather(
            app.state.rasa.up(f"{settings.RASA_URL.rstrip('/')}/"),
            app.state.rasa.up(f"{settings.ACTION_SERVER_URL.rstrip('/')}/health"),
        )
        ok = rasa and actions
        body = {"status": "ok" if ok else "degraded", "rasa": "up" if rasa else "down",
                "action_server": "up" if actions else "down"}
        return JSONResponse(body, status_code=200 if ok else 503)

    return app
