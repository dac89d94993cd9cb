"""Email delivery over SMTP, configured by the SMTP_* settings."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

from bot.notify.notifier import DeliveryError
from bot.records import OutboxMessage
from bot.settings import Settings


class EmailNotifier:
    channel = "email"

    def __init__(self, settings: Settings):
        self.settings = settings

    @property
    def configured(self) -> bool:
        return bool(self.settings.SMTP_HOST)

    def send(self, message: OutboxMessage, reference: str) -> None:
        s = self.settings
        email = EmailMessage()
        email["From"] = s.SMTP_FROM
        email["To"] = formataddr((message.recipient_name, message.recipient))
        email["Subject"] = message.subject
        email["Message-ID"] = make_msgid(idstring=f"outbox-{message.id}")
        email.set_content(message.body)
        try:
            with smtplib.SMTP(s.SMTP_HOST, s.SMTP_PORT, timeout=10) as smtp:
                if s.SMTP_STARTTLS:  # the server's certificate and name are checked (a private CA in SMTP_CA_FILE)
                    smtp.starttls(context=ssl.create_default_context(cafile=s.SMTP_CA_FILE or None))
                if s.SMTP_USERNAME:
                    smtp.login(s.SMTP_USERNAME, s.SMTP_PASSWORD)
                smtp.send_message(email)
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError(f"SMTP {type(exc).__name__}") from None
