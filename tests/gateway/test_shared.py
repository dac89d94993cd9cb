"""What gateway processes share through Redis (a real redis-server): redelivery checks and rate limits count
across processes, and a Redis that is down leaves each process counting for itself."""

from __future__ import annotations

import asyncio

import httpx
from fastapi.testclient import TestClient

from bot.cli.stack import free_port
from bot.gateway.app import create_app
from bot.gateway.shared import SharedEvents, SharedWindow, async_client, session_secret
from bot.settings import Settings


def test_an_event_is_first_seen_once_across_processes(redis_server):
    async def run():
        settings = Settings(REDIS_URL=redis_server.url)
        one, two = (SharedEvents(async_client(settings), "test:seen:redelivery") for _ in range(2))
        return [await one.first_time("Ev1"), await two.first_time("Ev1"), await one.first_time("Ev1"),
                await two.first_time("Ev2")]

    assert asyncio.run(run()) == [True, False, False, True]


def test_a_rate_limit_counts_every_process_and_refusals_do_not_count(redis_server):
    async def run():
        settings = Settings(REDIS_URL=redis_server.url)
        one, two = (SharedWindow(async_client(settings), "test:limit:shared", limit=3) for _ in range(2))
        waits = [await one.allow("conv"), await two.allow("conv"), await one.allow("conv"), await two.allow("conv"),
                 await one.allow("conv"), await two.allow("other")]
        size = await async_client(settings).zcard("test:limit:shared:conv")
        return waits, size

    waits, size = asyncio.run(run())
    assert waits[:3] == [0.0, 0.0, 0.0] and waits[3] > 0 and waits[4] > 0 and waits[5] == 0.0
    assert 0 < waits[3] <= 60 and size == 3  # the two refused messages were not counted


def test_with_redis_down_each_process_still_limits_and_remembers(tmp_path):
    async def run():
        settings = Settings(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")  # nobody listens there
        window = SharedWindow(async_client(settings), "test:limit:down", limit=2)
        events = SharedEvents(async_client(settings), "test:seen:down")
        return ([await window.allow("k") for _ in range(3)],
                [await events.first_time("E"), await events.first_time("E")])

    waits, seen = asyncio.run(run())
    assert waits[:2] == [0.0, 0.0] and waits[2] > 0 and seen == [True, False]


def test_two_gateway_workers_share_the_conversation_key_and_the_limits(redis_server):
    def rasa(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=[{"recipient_id": "x", "text": "hello"}])

    settings = Settings(REDIS_URL=redis_server.url, RASA_TOKEN="t", CHAT_LIMIT_PER_CONVERSATION=3)
    assert session_secret(settings) == session_secret(settings)  # made once, then kept
    one = TestClient(create_app(settings, transport=httpx.MockTransport(rasa)))
    two = TestClient(create_app(settings, transport=httpx.MockTransport(rasa)))
    with one, two:
        conversation = one.post("/api/conversations").json()["conversation_id"]
        statuses = [(one if n % 2 else two).post("/api/chat", json={"conversation_id": conversation, "message": "hi",
                                                                     "role": "staff"}).status_code for n in range(4)]
    assert statuses == [200, 200, 200, 429]  # the id one worker issued works on the other; four messages counted
