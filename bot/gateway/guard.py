"""The gateway's first line against hostile traffic, as plain ASGI around the whole app.

- Bodies are read here, a chunk at a time, never past the route's limit: a declared or streamed body over it
  gets 413 at once, and a body that trickles in slower than GATEWAY_BODY_TIMEOUT_SECONDS gets 408.
- JSON nested deeper than MAX_JSON_DEPTH gets 400 before anything parses it.
- At most GATEWAY_MAX_CONCURRENT requests are handled at once; the next ones wait their turn, up to
  GATEWAY_QUEUE_SECONDS and at most WAITING_PER_SLOT per slot, then get 503 with Retry-After.
Every refusal is a short, friendly JSON problem and one short log line.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any, Awaitable, Callable

log = logging.getLogger("bot.gateway.guard")
MAX_JSON_DEPTH = 64
WAITING_PER_SLOT = 4  # requests that may wait for a turn, per request handled at once
LIMITS = {"/api/chat": 64 * 1024, "/api/feedback": 64 * 1024, "/api/conversations": 4 * 1024,
          "/api/conversations/end": 4 * 1024,
          "/slack/events": 512 * 1024, "/api/messages": 512 * 1024}
DEFAULT_LIMIT = 16 * 1024
DESK_UPLOADS = {"/desk/pupils/import", "/desk/register/missing"}  # a whole school's pupil or staff list
DESK_LIMIT = 64 * 1024  # a desk form: an action or an outcome of up to 4,000 characters


def limit_for(path: str) -> int:
    if path in DESK_UPLOADS:
        return 2 * 1024 * 1024
    if path.startswith("/desk/"):
        return DESK_LIMIT
    return LIMITS.get(path, DEFAULT_LIMIT)

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict]]
Send = Callable[[dict], Awaitable[None]]


def too_deep(body: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether JSON text nests arrays or objects deeper than `limit` (strings are skipped, escapes respected)."""
    depth, in_string, escaped = 0, False, False
    for byte in body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > limit:
                return True
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return False


async def _problem(send: Send, status: int, code: str, message: str, headers: list | None = None) -> None:
    body = json.dumps({"error": code, "message": message}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close"), *(headers or [])]})
    await send({"type": "http.response.body", "body": body})


class Guard:
    def __init__(self, app: Callable, max_concurrent: int = 64, body_timeout: float = 10.0, queue_seconds: float = 10.0):
        self.app, self.body_timeout, self.queue_seconds = app, body_timeout, queue_seconds
        self.slots = asyncio.Semaphore(max_concurrent)
        self.most_waiting = max_concurrent * WAITING_PER_SLOT
        self.waiting = 0

    async def _turn(self) -> bool:
        """Wait for a slot (a short burst is served late rather than refused); False when the line is full or
        the wait is over."""
        if not self.slots.locked():
            await self.slots.acquire()
            return True
        if self.waiting >= self.most_waiting or self.queue_seconds <= 0:
            return False
        self.waiting += 1
        try:
            async with asyncio.timeout(self.queue_seconds):
                await self.slots.acquire()
            return True
        except TimeoutError:
            return False
        finally:
            self.waiting -= 1

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        if not await self._turn():
            log.warning("refused a request: too many at once")
            return await _problem(send, 503, "busy", "The assistant is very busy. Please try again in a moment.",
                                  [(b"retry-after", b"2")])
        try:
            if scope.get("method") in ("POST", "PUT", "PATCH"):
                return await self._with_body(scope, receive, send)
            return await self.app(scope, receive, send)
        finally:
            self.slots.release()

    async def _with_body(self, scope: Scope, receive: Receive, send: Send) -> None:
        limit = limit_for(scope.get("path", ""))
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            log.warning("refused a request body over %d bytes", limit)
            return await _problem(send, 413, "too_large", "That request is too large.")
        chunks, size = [], 0
        try:
            async with asyncio.timeout(self.body_timeout):
                while True:
                    message = await receive()
                    if message["type"] == "http.disconnect":
                        return None
                    chunk = message.get("body", b"")
                    size += len(chunk)
                    if size > limit:
                        log.warning("refused a request body over %d bytes", limit)
                        return await _problem(send, 413, "too_large", "That request is too large.")
                    chunks.append(chunk)
                    if not message.get("more_body"):
                        break
        except TimeoutError:
            log.warning("cut off a request body that took longer than %.0f s", self.body_timeout)
            return await _problem(send, 408, "too_slow", "The request took too long to arrive. Please try again.")
        body = b"".join(chunks)
        if b"json" in headers.get(b"content-type", b"") and too_deep(body):
            log.warning("refused JSON nested deeper than %d", MAX_JSON_DEPTH)
            return await _problem(send, 400, "too_deep", "The request's JSON is nested too deeply.")
        replayed = False

        async def replay() -> dict:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        return await self.app(scope, replay, send)
