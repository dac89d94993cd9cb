"""The desk through the real gateway app (FastAPI's test client), on a real database, with a clock the test moves."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import httpx
import pyotp
import pytest
from fastapi.testclient import TestClient

from bot.database import open_database
from bot.desk.accounts import Accounts
from bot.gateway.app import create_app
from bot.incidents.service import IncidentService
from bot.settings import Settings
from tests.support.incidents import draft

PASSWORD = "correct horse battery staple"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


class Clock:
    def __init__(self, start: datetime):
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> None:
        self.now += timedelta(**delta)


@dataclass
class Desk:
    settings: Settings
    clock: Clock
    accounts: Accounts
    incidents: IncidentService
    secrets: dict[str, str] = field(default_factory=dict)

    def client(self, base_url: str = "http://127.0.0.1") -> TestClient:
        app = create_app(self.settings, transport=httpx.MockTransport(lambda request: httpx.Response(200, json=[])),
                         clock=self.clock)
        return TestClient(app, base_url=base_url, follow_redirects=False)

    def add(self, username: str, role: str, contact: str | None = None, enrol: bool = True) -> None:
        self.accounts.add(username, username.replace(".", " ").title(), role, PASSWORD, contact, self.clock())
        if enrol:  # as if they had set up their authenticator already
            secret = pyotp.random_base32()
            self.accounts._change(username, totp_secret=secret)
            self.secrets[username] = secret

    def code(self, username: str) -> str:
        return pyotp.TOTP(self.secrets[username]).at(self.clock())

    def password_step(self, client: TestClient, username: str, password: str = PASSWORD) -> httpx.Response:
        page = client.get("/desk/sign-in")
        return client.post("/desk/sign-in", data={"csrf": csrf_of(page), "username": username, "password": password,
                                                  "next": "/desk/"})

    def sign_in(self, client: TestClient, username: str) -> None:
        """Password, then a fresh code (the clock moves on a step, so no code is used twice)."""
        self.clock.advance(seconds=31)
        response = self.password_step(client, username)
        assert response.status_code == 303, response.text
        if username in self.secrets:
            page = client.get(response.headers["location"])
            response = client.post("/desk/sign-in/code", data={"csrf": csrf_of(page), "code": self.code(username),
                                                               "next": "/desk/"})
            assert response.status_code == 303 and response.headers["location"] == "/desk/", response.text

    def report(self, **changes) -> str:
        key = f"k{len(self.incidents.list())}-{changes.get('category', 'x')}"
        changes.setdefault("channel_user", f"web:{key}")  # one reporter each (REPORTS_PER_HOUR)
        return self.incidents.submit(draft(**changes), key).reference


def csrf_of(page: httpx.Response) -> str:
    found = CSRF.search(page.text)
    assert found, page.text
    return found.group(1)


def make_desk(url: str, tmp_path) -> Desk:
    settings = Settings(DATABASE_URL=url, DATA_DIR=str(tmp_path), SESSION_SECRET="desk-test")
    db = open_database(url)
    db.prepare()
    clock = Clock(datetime(2026, 11, 24, 9, 0, tzinfo=timezone.utc))
    return Desk(settings, clock, Accounts(settings, db), IncidentService(settings, db=db))


@pytest.fixture
def desk(tmp_path) -> Desk:
    return make_desk(f"sqlite:///{tmp_path / 'desk.sqlite3'}", tmp_path)


@pytest.fixture
def desk_on_each_database(database_url, tmp_path) -> Desk:
    return make_desk(database_url, tmp_path)
