"""The gateway: the only public port. Web page, /api/chat and /healthz in front of Rasa."""

from __future__ import annotations

import asyncio
import logging
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse

from bot.chat_request import RequestProblem, parse_chat_request
from bot.rasa_client import RasaClient, RasaUnavailable
from bot.settings import Settings

log = logging.getLogger("bot.gateway")
STATIC = Path(__file__).resolve().parent / "static"
APOLOGY = (
    "Sorry, the assistant is not available right now. Please try again in a few minutes. "
    "If a child is in immediate danger, call 999 and tell the Designated Safeguarding Lead now."
)


def _problem(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": code, "message": message, "messages": [{"text": message}]}, status_code=status)


def create_app(settings: Settings | None = None, transport: httpx.AsyncBaseTransport | None = None) -> FastAPI:
    settings = settings or Settings.from_env()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.rasa = RasaClient(settings.RASA_URL, settings.RASA_TIMEOUT_SECONDS, transport, settings.RASA_TOKEN)
        yield
        await app.state.rasa.close()

    app = FastAPI(title="Heatons Cluster policy assistant", lifespan=lifespan, docs_url=None, redoc_url=None)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("unexpected error on %s: %s", request.url.path, type(exc).__name__)
        return _problem(503, "assistant_error", APOLOGY)

    @app.get("/", include_in_schema=False)
    async def page() -> FileResponse:
        return FileResponse(STATIC / "index.html", media_type="text/html; charset=utf-8")

    @app.post("/api/chat")
    async def chat(request: Request) -> JSONResponse:
        try:
            chat = parse_chat_request(await request.body(), settings.MAX_MESSAGE_CHARS)
        except RequestProblem as problem:
            return _problem(problem.status, problem.code, str(problem))
        metadata = {"role": chat.role, "channel": "web"}
        try:
            messages = await app.state.rasa.send(f"web:{chat.sender_id}", chat.message, metadata)
        except RasaUnavailable:
            return _problem(503, "assistant_unavailable", APOLOGY)
        if not messages:
            log.error("Rasa gave no reply to a message (is the action server running?)")
            return _problem(503, "no_reply", APOLOGY)
        return JSONResponse({"messages": [m.as_json() for m in messages]})

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
