"""Start the real Rasa server, action server, gateway and outbox worker once per test session,
with the incident database on a real PostgreSQL server and email going to a real SMTP server."""

from __future__ import annotations

import dataclasses
import os
import signal
from pathlib import Path

import httpx
import pytest

from bot.cli import stack
from bot.cli.stack import free_port
from bot.gateway.channels.web.conversations import ConversationIds
from bot.gateway.shared import session_secret
from bot.settings import Settings
from tests.support.fake_slack import TEAM as SLACK_TEAM
from tests.support.identities import (
    SLACK_SIGNING_SECRET,
    TEAMS_APP_ID,
    TEAMS_APP_PASSWORD,
    TEAMS_HEAD,
    TEAMS_TENANT,
)
from tests.support.smtp import SmtpServer


class RunningStack:
    def __init__(self, settings: Settings, services: list[stack.Service], run_dir: Path):
        self.settings, self.services, self.run_dir = settings, services, run_dir
        self.embed_site_port = 0  # set by the fixture: the embedding school website's port
        self.base = f"http://127.0.0.1:{settings.GATEWAY_PORT}"
        self.http = httpx.Client(base_url=self.base, timeout=60)
        self.conversations: dict[str, str] = {}

    def conversation(self, name: str) -> str:
        """The server-issued conversation id for a named test conversation."""
        if name not in self.conversations:
            response = self.http.post("/api/conversations")
            response.raise_for_status()
            self.conversations[name] = response.json()["conversation_id"]
        return self.conversations[name]

    def rasa_sender(self, name: str) -> str:
        """Rasa's sender id (and a report's channel identity) for a named test conversation."""
        return ConversationIds(self.session_key).sender_for(self.conversation(name))

    @property
    def session_key(self) -> str:
        """The key the gateway signs web conversation ids with: made once and kept in the stack's Redis."""
        return session_secret(self.settings)

    def redis(self):
        import redis

        return redis.Redis.from_url(self.settings.redis_url())

    def service(self, name: str) -> stack.Service:
        return next(s for s in self.services if s.name == name)

    def restart(self, name: str, **overrides) -> None:
        """Start a stopped service again (with some settings changed, if given) and wait until the stack is healthy."""
        settings = dataclasses.replace(self.settings, **overrides)
        stack.launch(self.service(name), stack.environment_for(self.service(name), settings), mode="ab")
        if name == "redis":
            stack.wait_for_redis(settings, self.service(name))
        stack.wait_ready(self.settings, self.services, timeout=120)

    def stop(self, name: str) -> None:
        process = self.service(name).process
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(30)

    def chat(self, message, role="staff", sender="e2e-user"):
        return self.http.post("/api/chat", json={"conversation_id": self.conversation(sender), "message": message,
                                                 "role": role})

    def tracker(self, sender: str) -> dict:
        """Rasa's stored conversation (loopback API, with the run's token)."""
        response = httpx.get(f"{self.settings.RASA_URL}/conversations/{self.rasa_sender(sender)}/tracker",
                             params={"token": self.settings.RASA_TOKEN, "include_events": "ALL"}, timeout=30)
        response.raise_for_status()
        return response.json()


def pytest_collection_modifyitems(items):
    """The log-privacy check runs after every conversation of the session, whatever the file order."""
    items.sort(key=lambda item: item.name.startswith("test_no_report_text"))


@pytest.fixture(scope="session")
def smtp_server(tmp_path_factory):
    server = SmtpServer(tmp_path_factory.mktemp("smtp")).wait_ready()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def fake_slack():
    from tests.support.fake_slack import FakeSlack

    server = FakeSlack()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def fake_microsoft(tmp_path_factory):
    """Bot Framework's keys, Entra sign-in and the Bot Connector, on local HTTPS; the stack trusts its CA."""
    from tests.support.fake_microsoft import FakeMicrosoft

    server = FakeMicrosoft(tmp_path_factory.mktemp("microsoft"), TEAMS_APP_ID, TEAMS_APP_PASSWORD)
    with pytest.MonkeyPatch.context() as patch:
        for name in ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE"):  # read by requests (MSAL, msrest) and httpx
            patch.setenv(name, str(server.ca_bundle))
        yield server
    server.stop()


def contacts_for_tests(folder: Path) -> Path:
    """The school's contacts file, with Slack and Teams users for the head teacher and the DSL."""
    import yaml

    contacts = yaml.safe_load((Path(stack.ROOT) / "policy_corpus" / "contacts.yml").read_text(encoding="utf-8"))
    contacts["people"]["headteacher"]["slack_user"] = "UHEAD"
    contacts["people"]["headteacher"]["teams_user"] = TEAMS_HEAD
    contacts["people"]["dsl"]["slack_user"] = "UDSL"
    contacts["people"]["deputy_dsl"] = {"name": "Deputy DSL", "email": "deputy.dsl@norrisbank.example"}
    contacts["escalate"] = ["deputy_dsl"]
    path = folder / "contacts.yml"
    path.write_text(yaml.safe_dump(contacts), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def running_stack(tmp_path_factory, postgres_server, smtp_server, fake_slack, fake_microsoft):
    embed_site_port = free_port()  # the school website that embeds the chat (tests/e2e/test_web_chat.py)
    settings = stack.with_token(Settings(
        SLACK_BOT_TOKEN="xoxb-test-token", SLACK_SIGNING_SECRET=SLACK_SIGNING_SECRET, SLACK_API_URL=fake_slack.url,
        SLACK_TEAM_IDS=f"{SLACK_TEAM},T0OTHERSCHOOL",
        LOG_LEVEL="DEBUG",  # the log-privacy test must hold at the most talkative level
        EMBED_ALLOWED_ORIGINS=f"http://127.0.0.1:{embed_site_port}",
        TEAMS_APP_ID=TEAMS_APP_ID, TEAMS_APP_PASSWORD=TEAMS_APP_PASSWORD, TEAMS_TENANT_ID=TEAMS_TENANT,
        TEAMS_SERVICE_URL_HOSTS="127.0.0.1", TEAMS_SERVICE_URL=fake_microsoft.service_url,
        TEAMS_OPENID_METADATA_URL=fake_microsoft.metadata_url, TEAMS_LOGIN_URL=fake_microsoft.login_url,
        TEAMS_KEY_REFETCH_SECONDS=0,
        CONTACTS_FILE=str(contacts_for_tests(tmp_path_factory.mktemp("contacts"))),
        GATEWAY_PORT=free_port(),
        REDIS_PORT=free_port(), DATA_DIR=str(tmp_path_factory.mktemp("data")),
        RASA_URL=f"http://127.0.0.1:{free_port()}",
        ACTION_SERVER_URL=f"http://127.0.0.1:{free_port()}",
        DATABASE_URL=postgres_server.new_database(),
        SMTP_HOST="127.0.0.1", SMTP_PORT=smtp_server.port,
        OUTBOX_POLL_SECONDS=0.5, OUTBOX_RETRY_SECONDS=1.0,
        CHAT_LIMIT_PER_CONVERSATION=60, CHAT_LIMIT_PER_ADDRESS=100_000,  # every test talks from 127.0.0.1
    ))
    run_dir = tmp_path_factory.mktemp("stack")
    services = stack.start(settings, run_dir)
    try:
        stack.wait_ready(settings, services, timeout=240)
        running = RunningStack(settings, services, run_dir)
        running.embed_site_port = embed_site_port
        yield running
        running.http.close()
    finally:
        stack.stop(services)


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium, headless, for the web chat's and the desk's browser tests: one per test module, since
    Playwright's synchronous API holds an event loop in this thread while it runs (asyncio.run then fails)."""
    from playwright.sync_api import sync_playwright

    from tests.support.browser import CHROMIUM_ARGS, chromium_path

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
