"""The gateway: the only public port. The web chat (page, embed script, /api/conversations, /api/chat,
/api/feedback), Slack's /slack/events, Teams' /api/messages, the DSL's desk under /desk/ and /healthz, in front
of Rasa."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import httpx
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles

from bot import database
from bot.desk.routes import STATIC as DESK_STATIC
from bot.desk.routes import Desk
from bot.gateway.channels.web.routes import STATIC, WebChat
from bot.gateway.guard import Guard
from bot.gateway.problems import problem
from bot.gateway.rasa_client import RasaClient
from bot.gateway.shared import TrackerWiper
from bot.messages import ASSISTANT_UNAVAILABLE as APOLOGY
from bot.notify import escalation
from bot.records import utcnow
from bot.settings import Settings

log = logging.getLogger("bot.gateway.app")
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()",
}
# Everything comes from this gateway: no CDN, no web fonts, no third-party requests.
CSP = "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'"
HSTS = "max-age=31536000; includeSubDomains"


def content_security_policy(settings: Settings) -> str:
    """The page may be framed only by this gateway and the school's own sites (EMBED_ALLOWED_ORIGINS)."""
    origins = " ".join(o for o in settings.EMBED_ALLOWED_ORIGINS.split() if o.startswith(("https://", "http://")))
    return f"{CSP}; frame-ancestors 'self'{' ' + origins if origins else ''}"


async def start_slack(settings: Settings, rasa: RasaClient) -> Any:
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


def start_teams(settings: Settings, rasa: RasaClient) -> Any:
    """The Teams channel when TEAMS_APP_ID is set, else None."""
    if not settings.TEAMS_APP_ID:
        log.info("Teams is off: set TEAMS_APP_ID with TEAMS_APP_PASSWORD (or a certificate) to turn it on")
        return None
    from bot.gateway.channels.teams.app import TeamsChannel

    log.info("Teams is on (%s bot; Bot Framework posts to /api/messages)",
             "single-tenant" if settings.TEAMS_TENANT_ID else "multi-tenant")
    return TeamsChannel(settings, rasa)


def staff_channels(settings: Settings) -> APIRouter:
    """Slack's and Teams' endpoints; each says plainly when its channel is not set up."""
    router = APIRouter(include_in_schema=False)

    @router.post("/slack/events")
    async def slack_events(request: Request) -> Response:
        if request.app.state.slack is None or settings.slack_mode() != "http":
            return problem(404, "slack_off", "Slack is not set up on this assistant (see the README).")
        if not fresh_slack_timestamp(request.headers.get("X-Slack-Request-Timestamp"), time.time()):
            return problem(401, "slack_unsigned", "This endpoint takes only requests signed by Slack.")
        return await request.app.state.slack.handle_http(request)

    @router.post("/api/messages")
    async def teams_messages(request: Request) -> Response:
        """Microsoft Teams, through Bot Framework (tokens checked in bot.gateway.channels.teams.auth)."""
        if request.app.state.teams is None:
            return problem(404, "teams_off", "Teams is not set up on this assistant (see the README).")
        return await request.app.state.teams.handle(request)

    return router


def fresh_slack_timestamp(value: str | None, now: float) -> bool:
    """Slack's request timestamp: whole seconds, within five minutes of now either way. Anything else (empty, not
    a number, far in the future) is refused before the signature is even looked at."""
    if not value or not value.isascii() or not value.isdigit() or len(value) > 12:
        return False
    return abs(now - int(value)) <= 5 * 60


def health(settings: Settings) -> APIRouter:
    router = APIRouter()

    @router.get("/healthz")
    async def healthz(request: Request) -> JSONResponse:
        actions, *servers = await asyncio.gather(
            request.app.state.rasa.up(f"{settings.ACTION_SERVER_URL.rstrip('/')}/health"),
            *(request.app.state.rasa.up(f"{url}/") for url in settings.rasa_urls()),
        )
        ok = any(servers) and actions  # one Rasa server up can carry every conversation
        records = await asyncio.to_thread(_waiting_for_a_person, request.app.state.db, settings)
        everything = all(servers) and records and not records.any
        body: dict = {"status": "ok" if ok and everything else "degraded",
                      "rasa": "up" if all(servers) else "partly up" if any(servers) else "down",
                      "action_server": "up" if actions else "down", "database": "up" if records else "down"}
        if len(servers) > 1:
            body["rasa_servers_up"] = f"{sum(servers)}/{len(servers)}"
        if records:
            body["reports"] = {"urgent_unacknowledged": records.urgent_unacknowledged,
                               "notices_failed": records.notices_failed}
        # 503 only when the chat cannot answer; reports waiting for a person, or a database that is down (the
        # chat still answers questions), say "degraded" with a 200, so nothing restarts a working service
        return JSONResponse(body, status_code=200 if ok else 503)

    return router


def _waiting_for_a_person(db: database.Database, settings: Settings) -> escalation.Problems | None:
    """URGENT reports unacknowledged past URGENT_ESCALATE_MINUTES and notices that failed; None: database down."""
    try:
        return escalation.problems(db, settings, utcnow())
    except database.DatabaseUnavailable:
        return None


def create_app(settings: Settings | None = None, transport: httpx.AsyncBaseTransport | None = None,
               clock: Callable[[], datetime] = utcnow) -> FastAPI:
    settings = settings or Settings.from_env()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.db = database.open_database(settings.database_url())
        wipe = None if transport else TrackerWiper(settings)  # an injected transport is a Rasa with no store
        app.state.rasa = RasaClient(settings.rasa_urls(), settings.RASA_TIMEOUT_SECONDS, transport, settings.RASA_TOKEN,
                                    wipe)
        app.state.slack = await start_slack(settings, app.state.rasa)
        app.state.teams = start_teams(settings, app.state.rasa)
        yield
        if app.state.teams:
            await app.state.teams.stop()
        if app.state.slack:
            await app.state.slack.stop()
        await app.state.rasa.close()

    app = FastAPI(title="Heatons Cluster policy assistant", lifespan=lifespan, docs_url=None, redoc_url=None,
                  openapi_url=None)
    csp = content_security_policy(settings)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.mount("/desk/static", StaticFiles(directory=DESK_STATIC), name="desk-static")
    for router in (WebChat(settings).router(), staff_channels(settings), health(settings), Desk(settings, clock).router()):
        app.include_router(router)

    @app.middleware("http")
    async def security_headers(request: Request, call_next):
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        response.headers.setdefault("Content-Security-Policy", csp)
        if request.url.scheme == "https":
            response.headers.setdefault("Strict-Transport-Security", HSTS)
        return response

    app.add_middleware(Guard, max_concurrent=settings.GATEWAY_MAX_CONCURRENT,
                       body_timeout=settings.GATEWAY_BODY_TIMEOUT_SECONDS, queue_seconds=settings.GATEWAY_QUEUE_SECONDS)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("unexpected error on %s: %s", request.url.path, type(exc).__name__)
        return problem(503, "assistant_error", APOLOGY)

    return app
