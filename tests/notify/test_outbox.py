"""Notifications through the outbox to a real SMTP server process (aiosmtpd), with retries."""

from __future__ import annotations

import threading

import pytest

from bot.cli.stack import free_port
from bot.incidents.service import IncidentService
from bot.notify.outbox import Outbox, run_worker
from bot.settings import Settings
from tests.support.incidents import draft
from tests.support.smtp import SmtpServer


@pytest.fixture
def smtp(tmp_path):
    server = SmtpServer(tmp_path).wait_ready()
    yield server
    server.stop()


def settings_for(tmp_path, port: int, **more) -> Settings:
    return Settings(DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}", SMTP_HOST="127.0.0.1", SMTP_PORT=port,
                    OUTBOX_RETRY_SECONDS=0.0, **more)


def test_email_reaches_the_smtp_server_with_reference_and_category_only(tmp_path, smtp):
    settings = settings_for(tmp_path, smtp.port)
    incident = IncidentService(settings).submit(draft(description="Private words about Jamie"), "k")
    assert Outbox(settings).deliver_due() == 1
    [email] = smtp.messages()
    body = email.get_payload(decode=True).decode()
    assert incident.reference in email["Subject"] and incident.reference in body
    assert "friend or contact staff" in body and "Jamie" not in body and "Private" not in body
    assert email["To"] == '"Elena Ponsen (Headteacher)" <headteacher@norrisbank.example>'
    note = IncidentService(settings).get(incident.reference).notifications[0]
    assert note.status == "sent" and note.attempts == 1
    assert Outbox(settings).deliver_due() == 0  # sent once, not again


def test_a_server_that_is_down_is_retried_and_then_given_up_on(tmp_path):
    settings = settings_for(tmp_path, free_port(), OUTBOX_MAX_ATTEMPTS=3)
    reference = IncidentService(settings).submit(draft(), "k").reference
    outbox = Outbox(settings)
    for attempt in (1, 2, 3):
        assert outbox.deliver_due() == 0
        note = IncidentService(settings).get(reference).notifications[0]
        assert note.attempts == attempt and note.last_error.startswith("SMTP")
    assert note.status == "failed"


def test_a_retry_succeeds_once_the_server_is_back(tmp_path):
    port = free_port()
    settings = settings_for(tmp_path, port)
    reference = IncidentService(settings).submit(draft(), "k").reference
    assert Outbox(settings).deliver_due() == 0
    server = SmtpServer(tmp_path, port=port).wait_ready()
    try:
        assert Outbox(settings).deliver_due() == 1
        note = IncidentService(settings).get(reference).notifications[0]
        assert note.status == "sent" and note.attempts == 2 and note.last_error is None
        assert len(server.messages()) == 1
    finally:
        server.stop()


def test_without_smtp_notifications_wait_in_the_outbox(tmp_path):
    settings = Settings(DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    reference = IncidentService(settings).submit(draft(), "k").reference
    assert Outbox(settings).deliver_due() == 0
    note = IncidentService(settings).get(reference).notifications[0]
    assert note.status == "pending" and note.attempts == 0


def test_the_worker_delivers_until_stopped(tmp_path, smtp):
    settings = settings_for(tmp_path, smtp.port, OUTBOX_POLL_SECONDS=0.1)
    reference = IncidentService(settings).submit(draft(), "k").reference
    stop = threading.Event()
    worker = threading.Thread(target=run_worker, args=(settings, stop))
    worker.start()
    try:
        assert smtp.wait_for(lambda m: reference in m["Subject"], timeout=15)
    finally:
        stop.set()
        worker.join(10)
    assert not worker.is_alive()
