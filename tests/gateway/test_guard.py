"""The gateway's guard against hostile traffic (bot.gateway.guard), driven as ASGI with no timing races:
bodies over the limit, bodies that never finish arriving, deep JSON and too many requests at once."""

from __future__ import annotations

import asyncio
import json

import pytest

from bot.gateway.guard import LIMITS, MAX_JSON_DEPTH, Guard, too_deep


class Recorder:
    """An app that records what reached it, and can be held until released."""

    def __init__(self, hold: bool = False):
        self.bodies: list[bytes] = []
        self.hold = asyncio.Event() if hold else None
        self.entered = asyncio.Event()

    async def __call__(self, scope, receive, send):
        if scope["method"] == "POST":
            message = await receive()
            self.bodies.append(message.get("body", b""))
        self.entered.set()
        if self.hold is not None:
            await self.hold.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


def scope(path="/api/chat", headers=(), method="POST"):
    return {"type": "http", "method": method, "path": path, "headers": list(headers)}


async def call(guard, sc, chunks, forever=False):
    """Run one request; `chunks` arrive one per receive(), then (with `forever`) nothing ever comes again."""
    sent, pulled = [], []
    queue = list(chunks)

    async def receive():
        if queue:
            chunk = queue.pop(0)
            pulled.append(chunk)
            return {"type": "http.request", "body": chunk, "more_body": bool(queue) or forever}
        await asyncio.Event().wait()  # a client that stops sending

    async def send(message):
        sent.append(message)

    await guard(sc, receive, send)
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, body, pulled


def run(coro):
    return asyncio.run(coro)


def test_a_declared_body_over_the_limit_is_refused_before_reading_it():
    app = Recorder()
    status, body, pulled = run(call(Guard(app), scope(headers=[(b"content-length", b"209715200")]), [b"x" * 1024]))
    assert status == 413 and json.loads(body)["error"] == "too_large" and pulled == [] and app.bodies == []


def test_a_streamed_body_is_cut_off_at_the_limit_without_reading_the_rest():
    app, chunk = Recorder(), b"x" * 16 * 1024
    status, _, pulled = run(call(Guard(app), scope(), [chunk] * 1000))  # about 16 MB offered
    assert status == 413 and app.bodies == []
    assert sum(map(len, pulled)) <= LIMITS["/api/chat"] + len(chunk)


def test_a_body_that_stops_arriving_is_cut_off_at_the_timeout():
    app = Recorder()
    status, body, _ = run(call(Guard(app, body_timeout=0.2), scope(), [b'{"message": "hi'], forever=True))
    assert status == 408 and json.loads(body)["error"] == "too_slow" and app.bodies == []


def test_deeply_nested_json_is_a_400_and_ordinary_json_passes():
    app = Recorder()
    deep = b"[" * 5000 + b"]" * 5000
    status, body, _ = run(call(Guard(app), scope(headers=[(b"content-type", b"application/json")]), [deep]))
    assert status == 400 and json.loads(body)["error"] == "too_deep" and app.bodies == []
    fine = json.dumps({"message": "[[[ not nesting inside a string ]]]", "a": [[1, [2]]]}).encode()
    status, _, _ = run(call(Guard(app), scope(headers=[(b"content-type", b"application/json")]), [fine]))
    assert status == 200 and app.bodies == [fine]


@pytest.mark.parametrize("depth, deep", [(MAX_JSON_DEPTH, False), (MAX_JSON_DEPTH + 1, True)])
def test_depth_is_counted_outside_strings(depth, deep):
    assert too_deep(b"{" * depth + b'"\\"{[": 1' + b"}" * depth) is deep


def test_one_request_too_many_gets_503_with_retry_after_when_none_may_wait():
    async def scenario():
        app = Recorder(hold=True)
        guard = Guard(app, max_concurrent=1, queue_seconds=0)
        first = asyncio.create_task(call(guard, scope(method="GET", path="/"), []))
        await app.entered.wait()
        second = await call(guard, scope(method="GET", path="/"), [])
        app.hold.set()
        return await first, second

    (first_status, _, _), (second_status, body, _) = run(scenario())
    assert first_status == 200 and second_status == 503 and json.loads(body)["error"] == "busy"


def test_a_request_over_the_limit_waits_its_turn_and_is_answered():
    async def scenario():
        app = Recorder(hold=True)
        guard = Guard(app, max_concurrent=1, queue_seconds=600)
        first = asyncio.create_task(call(guard, scope(method="GET", path="/"), []))
        await app.entered.wait()
        second = asyncio.create_task(call(guard, scope(method="GET", path="/"), []))
        while guard.waiting != 1:  # the second is in the line, not refused
            await asyncio.sleep(0)
        app.hold.set()
        return await first, await second

    (first_status, _, _), (second_status, _, _) = run(scenario())
    assert first_status == 200 and second_status == 200


def test_a_full_line_and_a_wait_that_runs_out_both_get_503():
    async def scenario():
        app = Recorder(hold=True)
        guard = Guard(app, max_concurrent=1, queue_seconds=0.05)
        first = asyncio.create_task(call(guard, scope(method="GET", path="/"), []))
        await app.entered.wait()
        waited_out = await call(guard, scope(method="GET", path="/"), [])  # nobody finishes: the wait runs out
        guard.most_waiting = 0
        line_full = await call(guard, scope(method="GET", path="/"), [])
        app.hold.set()
        await first
        after = await call(guard, scope(method="GET", path="/"), [])  # the slot is back
        return waited_out, line_full, after, guard.waiting

    waited_out, line_full, after, waiting = run(scenario())
    assert waited_out[0] == 503 and json.loads(waited_out[1])["error"] == "busy"
    assert line_full[0] == 503 and after[0] == 200 and waiting == 0
