"""Email over STARTTLS to a real SMTP server process: the server's certificate is verified."""

from __future__ import annotations

import pytest

from bot.notify.email import EmailNotifier
from bot.notify.notifier import DeliveryError
from bot.records import OutboxMessage
from bot.settings import Settings
from tests.support.fake_microsoft import make_tls_files
from tests.support.smtp import SmtpServer


@pytest.fixture
def tls_smtp(tmp_path):
    cert, key, bundle = make_tls_files(tmp_path)
    server = SmtpServer(tmp_path, tls=(cert, key)).wait_ready()
    yield server, bundle
    server.stop()


def message() -> OutboxMessage:
    return OutboxMessage(id=7, incident_id=1, channel="email", recipient="dsl@school.example", recipient_name="DSL",
                         subject="New report INC-2026-0001", body="A report needs you.", status="pending", attempts=0)


def test_starttls_delivers_when_the_servers_certificate_is_trusted(tls_smtp):
    server, bundle = tls_smtp
    settings = Settings(SMTP_HOST="127.0.0.1", SMTP_PORT=server.port, SMTP_STARTTLS=True, SMTP_CA_FILE=str(bundle))
    EmailNotifier(settings).send(message(), "INC-2026-0001")
    assert [m["Subject"] for m in server.wait_for(lambda m: True)] == ["New report INC-2026-0001"]


def test_an_unverified_certificate_is_refused_and_nothing_is_sent(tls_smtp):
    server, _ = tls_smtp
    settings = Settings(SMTP_HOST="127.0.0.1", SMTP_PORT=server.port, SMTP_STARTTLS=True)
    with pytest.raises(DeliveryError, match="SSL"):
        EmailNotifier(settings).send(message(), "INC-2026-0001")
    assert server.messages() == []
