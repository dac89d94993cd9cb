"""A local stand-in for Slack's Web API (in the manner of slack-bolt's tests/mock_web_api_server):
an HTTP server on a free loopback port that records every call and answers like Slack."""

from __future__ import annotations

import hashlib
import hmac
import http.server
import json
import threading
import time
from urllib.parse import parse_qs

from bot.cli.stack import free_port
from tests.support.waiting import collected

BOT_USER, BOT_ID, TEAM = "UBOT", "BBOT", "T0SCHOOL"


def sign(secret: str, body: str, timestamp: int | None = None) -> dict:
    """Slack's request signature headers for a body."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"v0:{timestamp}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": str(timestamp), "X-Slack-Signature": f"v0={digest}"}


class FakeSlack:
    def __init__(self):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/api/"
        self.calls: list[tuple[str, dict]] = []
        self.rate_limited: dict[str, int] = {}  # channel -> how many posts to it get 429 first
        self.lock = threading.Lock()
        self.socket_url = ""  # what apps.connections.open hands out (a FakeSocketMode)
        self.guests: set[str] = set()  # user ids users.info describes as guests (is_restricted)
        self.unknown: set[str] = set()  # user ids users.info answers user_not_found for
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                if "json" in (self.headers.get("Content-Type") or ""):
                    body = json.loads(raw or "{}")
                else:
                    body = {k: v[0] for k, v in parse_qs(raw).items()}
                    for key in ("blocks", "attachments"):
                        if isinstance(body.get(key), str):
                            body[key] = json.loads(body[key])
                path, _, query = self.path.partition("?")
                body.update({k: v[0] for k, v in parse_qs(query).items()})
                method = path.rsplit("/", 1)[-1] if path.startswith("/api/") else path
                with fake.lock:
                    if fake.rate_limited.get(body.get("channel"), 0) > 0:
                        fake.rate_limited[body["channel"]] -= 1
                        fake.calls.append(("429:" + method, body))
                        self._send(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "1"})
                        return
                    fake.calls.append((method, body))
                self._send(200, fake.answer(method, body))

            def do_GET(self) -> None:  # e.g. a file download: recorded, so tests can show none happen
                with fake.lock:
                    fake.calls.append(("GET " + self.path, {}))
                self._send(404, {"ok": False, "error": "not_found"})

            def _send(self, status: int, payload: dict, headers: dict | None = None) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def answer(self, method: str, body: dict) -> dict:
        if method == "auth.test":
            return {"ok": True, "user_id": BOT_USER, "bot_id": BOT_ID, "team_id": TEAM, "team": "School",
                    "url": "https://school.slack.example/", "user": "policybot"}
        if method == "apps.connections.open":
            return {"ok": True, "url": self.socket_url}
        if method == "users.info":
            user = str(body.get("user", ""))
            if user in self.unknown:
                return {"ok": False, "error": "user_not_found"}
            return {"ok": True, "user": {"id": user, "team_id": TEAM, "is_bot": False,
                                         "is_restricted": user in self.guests, "is_ultra_restricted": False}}
        if method == "conversations.open":
            return {"ok": True, "channel": {"id": "D" + str(body.get("users", "X"))}}
        if method in {"chat.postMessage", "chat.update"}:
            return {"ok": True, "channel": body.get("channel"), "ts": f"{time.time():.6f}",
                    "message": {"text": body.get("text")}}
        return {"ok": True}

    def wait_for(self, predicate, timeout: float = 30.0, count: int = 1) -> list[tuple[str, dict]]:
        """The calls matching `predicate`, once at least `count` of them were made (or at the deadline)."""
        def found():
            with self.lock:
                return [c for c in self.calls if predicate(*c)]

        return collected(found, count, timeout)

    def calls_to(self, method: str, **match) -> list[dict]:
        with self.lock:
            return [b for m, b in self.calls if m == method and all(b.get(k) == v for k, v in match.items())]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class FakeSocketMode:
    """Slack's Socket Mode end: a websocket server on a free loopback port (aiohttp, own thread).
    `FakeSlack.answer` hands its URL out for apps.connections.open."""

    def __init__(self):
        import asyncio

        self.port = free_port()
        self.url = f"ws://127.0.0.1:{self.port}/link"
        self.received: list[dict] = []
        self.connected = threading.Event()
        self.loop = asyncio.new_event_loop()
        self.socket = None
        threading.Thread(target=self.loop.run_forever, daemon=True).start()
        asyncio.run_coroutine_threadsafe(self._serve(), self.loop).result(10)

    async def _serve(self) -> None:
        from aiohttp import WSMsgType, web

        async def link(request):
            socket = web.WebSocketResponse()
            await socket.prepare(request)
            await socket.send_json({"type": "hello", "num_connections": 1, "debug_info": {}})
            self.socket = socket
            self.connected.set()
            async for message in socket:
                if message.type == WSMsgType.TEXT:
                    self.received.append(json.loads(message.data))
            return socket

        app = web.Application()
        app.router.add_get("/link", link)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.port).start()

    def send(self, envelope: dict) -> None:
        import asyncio

        asyncio.run_coroutine_threadsafe(self.socket.send_json(envelope), self.loop).result(10)

    def stop(self) -> None:
        import asyncio

        asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
