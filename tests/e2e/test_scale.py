"""Rasa's horizontal-scaling path for real: two Rasa servers sharing Redis's tracker and lock stores behind two
gateway workers, with two action-server workers. One Rasa server is killed halfway through fifty conversations;
every conversation carries on."""

from __future__ import annotations

import os
import signal
import socket
from concurrent.futures import ThreadPoolExecutor

import httpx
import psutil
import pytest

from bot.cli import stack
from bot.cli.stack import free_port
from bot.gateway.rasa_client import RasaClient
from bot.incidents.service import IncidentService
from bot.settings import Settings
from tests.e2e.conftest import RunningStack, contacts_for_tests
from tests.e2e.test_incident_reports import FRIEND_REQUEST
from tests.support.waiting import eventually

pytestmark = pytest.mark.stack
CONVERSATIONS = 50
QUESTION = ("can I friend a parent?", "D200 5.3")
STEPS = [QUESTION, *FRIEND_REQUEST, ("yes", "Elena Ponsen (Headteacher)")]
HALFWAY = 5  # messages each conversation sends before a Rasa server is killed


def two_free_ports() -> int:
    """A port whose next port is free too (the second Rasa server listens there)."""
    while True:
        port = free_port()
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port + 1))
                return port
            except OSError:
                continue


@pytest.fixture(scope="module")
def two_rasa(tmp_path_factory, postgres_server, smtp_server):
    settings = stack.with_token(Settings(
        RASA_URL=f"http://127.0.0.1:{two_free_ports()}", RASA_SERVERS=2, GATEWAY_WORKERS=2,
        ACTION_SERVER_SANIC_WORKERS=2,
        GATEWAY_PORT=free_port(), ACTION_SERVER_URL=f"http://127.0.0.1:{free_port()}",
        REDIS_PORT=free_port(), DATA_DIR=str(tmp_path_factory.mktemp("data")),
        CONTACTS_FILE=str(contacts_for_tests(tmp_path_factory.mktemp("contacts"))),
        DATABASE_URL=postgres_server.new_database(), SMTP_HOST="127.0.0.1", SMTP_PORT=smtp_server.port,
        OUTBOX_POLL_SECONDS=0.5, CHAT_LIMIT_PER_CONVERSATION=1000, CHAT_LIMIT_PER_ADDRESS=100_000,
        REPORTS_PER_HOUR=1000,
    ))
    run_dir = tmp_path_factory.mktemp("scale")
    services = stack.start(settings, run_dir)
    try:
        stack.wait_ready(settings, services, timeout=300)
        running = RunningStack(settings, services, run_dir)
        yield running
        running.http.close()
    finally:
        stack.stop(services)


def talk(base: str, conversation: str, steps) -> list[str]:
    """Send each message in turn; each reply must be the one its message asks for (so none came out of order)."""
    problems = []
    with httpx.Client(base_url=base, timeout=120) as http:
        for message, expected in steps:
            response = http.post("/api/chat", json={"conversation_id": conversation, "message": message,
                                                    "role": "staff"})
            said = "\n".join(m["text"] for m in response.json().get("messages", [])) if response.is_success else ""
            if response.status_code != 200 or expected.lower() not in said.lower():
                problems.append(f"{message!r}: HTTP {response.status_code}, expected {expected!r} in {said[:200]!r}")
                break
    return problems


def test_fifty_conversations_carry_on_when_one_of_two_rasa_servers_is_killed(two_rasa):
    base = two_rasa.base
    conversations = [two_rasa.conversation(f"scale-{n}") for n in range(CONVERSATIONS)]
    senders = {two_rasa.rasa_sender(f"scale-{n}") for n in range(CONVERSATIONS)}
    servers = dict.fromkeys(two_rasa.settings.rasa_urls(), 0)
    spread = RasaClient(two_rasa.settings.rasa_urls(), 5)
    for sender in senders:
        servers[spread.servers_for(sender)[0]] += 1
    assert all(count > 0 for count in servers.values())  # both servers carry conversations

    with ThreadPoolExecutor(max_workers=20) as pool:
        first = list(pool.map(lambda c: talk(base, c, STEPS[:HALFWAY]), conversations))
    assert first == [[]] * CONVERSATIONS, [p for p in first if p][:3]

    second = two_rasa.service("rasa-2").process
    os.killpg(second.pid, signal.SIGKILL)  # killed, not stopped: nothing it held is handed over
    second.wait(30)
    with ThreadPoolExecutor(max_workers=20) as pool:
        rest = list(pool.map(lambda c: talk(base, c, STEPS[HALFWAY:]), conversations))
    assert rest == [[]] * CONVERSATIONS, [p for p in rest if p][:3]

    incidents = IncidentService(two_rasa.settings)
    saved = [i for i in incidents.list() if i.channel_user in senders]
    assert sorted(i.channel_user for i in saved) == sorted(senders)  # each report saved exactly once
    assert all(i.notifications for i in saved)  # written with the report, in the same transaction
    emailed = lambda: all(n.sent_at for i in saved for n in incidents.get(i.reference).notifications  # noqa: E731
                          if n.channel == "email")
    assert eventually(emailed, timeout=180)  # and sent, once each, by the outbox worker
    health = httpx.get(f"{base}/healthz", timeout=10).json()
    assert health["rasa"] == "partly up" and health["rasa_servers_up"] == "1/2"
    for service in ("gateway", "actions"):  # two workers each answered all of it
        assert len(psutil.Process(two_rasa.service(service).process.pid).children()) >= 2, service
