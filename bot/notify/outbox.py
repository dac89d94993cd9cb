"""The outbox worker: delivers pending notifications, retrying with growing waits.

`make run` starts it as its own process (`policybot worker`). A message is sent at least once;
its row records every attempt. Logs name the reference and the channel, never report details.
"""

from __future__ import annotations

import logging
import signal
import threading
from datetime import timedelta

from sqlalchemy import select

from bot import database
from bot.incidents.contacts import load_contacts
from bot.incidents.service import as_utc
from bot.notify.email import EmailNotifier
from bot.notify.escalation import escalate_due
from bot.notify.notifier import DeliveryError, Notifier
from bot.records import Incident, OutboxMessage, utcnow
from bot.settings import Settings

log = logging.getLogger("bot.notify.outbox")
MAX_WAIT = timedelta(hours=1)
LEASE = timedelta(minutes=2)


def default_notifiers(settings: Settings) -> list[Notifier]:
    from bot.notify.slack import SlackNotifier
    from bot.notify.teams import TeamsNotifier

    return [EmailNotifier(settings), SlackNotifier(settings), TeamsNotifier(settings)]


class Outbox:
    def __init__(self, settings: Settings, notifiers: list[Notifier] | None = None):
        self.settings = settings
        self.url = settings.database_url()
        self.db = database.open_database(self.url)
        self.notifiers = {n.channel: n for n in (notifiers or default_notifiers(settings))}

    def deliver_due(self, limit: int = 20) -> int:
        """Try every message that is due on a configured channel; the number delivered."""
        self.db.prepare()
        channels = [name for name, n in self.notifiers.items() if n.configured]
        if not channels:
            return 0
        with self.db.session(read_only=True) as session:
            due = session.execute(
                select(OutboxMessage.id).where(OutboxMessage.status == "pending", OutboxMessage.channel.in_(channels),
                                               OutboxMessage.next_attempt_at <= utcnow())
                .order_by(OutboxMessage.id).limit(limit)
            ).scalars().all()
        return sum(self._deliver(message_id) for message_id in due)

    def _deliver(self, message_id: int) -> bool:
        """Claim one message (a lease stops a second worker sending it too), send it, record the result."""
        with self.db.session() as session:
            message = session.get(OutboxMessage, message_id, with_for_update=True)
            if message is None or message.status != "pending" or as_utc(message.next_attempt_at) > utcnow():
                return False
            message.attempts += 1
            message.next_attempt_at = utcnow() + LEASE
            session.flush()
            session.expunge(message)
            incident = session.get(Incident, message.incident_id)
            if incident is None:  # the foreign key rules this out
                raise LookupError(f"outbox message {message_id} has no incident")
            reference = incident.reference
        try:
            self.notifiers[message.channel].send(message, reference)
            problem = None
        except DeliveryError as error:
            problem = str(error)
        with self.db.session() as session:
            stored = session.get(OutboxMessage, message_id, with_for_update=True)
            if stored is None:  # outbox messages are never deleted
                raise LookupError(f"outbox message {message_id} has gone")
            if problem is None:
                stored.status, stored.sent_at, stored.last_error = "sent", utcnow(), None
                log.info("sent %s notification %s for %s", stored.channel, stored.id, reference)
                return True
            self._failed(stored, reference, problem)
            return False

    def _failed(self, message: OutboxMessage, reference: str, reason: str) -> None:
        message.last_error = reason[:200]
        if message.attempts >= self.settings.OUTBOX_MAX_ATTEMPTS:
            message.status = "failed"
            log.error("gave up on %s notification %s for %s after %d attempts: %s",
                      message.channel, message.id, reference, message.attempts, reason)
            return
        wait = min(timedelta(seconds=self.settings.OUTBOX_RETRY_SECONDS * 2 ** (message.attempts - 1)), MAX_WAIT)
        message.next_attempt_at = utcnow() + wait
        log.warning("%s notification %s for %s failed (%s); retrying in %.0f s",
                    message.channel, message.id, reference, reason, wait.total_seconds())


def run_worker(settings: Settings, stop: threading.Event | None = None) -> int:
    """Deliver until stopped (SIGTERM or Ctrl-C); a database that is down is waited out."""
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
    outbox = Outbox(settings)
    if not any(n.configured for n in outbox.notifiers.values()):
        log.warning("no notification channel is configured (set SMTP_HOST for email, SLACK_BOT_TOKEN for Slack, "
                    "TEAMS_APP_ID for Teams): notifications wait in the outbox until one is")
    log.info("outbox worker started; database %s", database.describe_url(outbox.url))
    contacts = load_contacts(settings.path(settings.CONTACTS_FILE))
    while not stop.is_set():
        try:
            escalate_due(outbox.db, settings, contacts, utcnow())
            outbox.deliver_due()
        except database.DatabaseUnavailable:
            log.warning("database unavailable; the outbox will try again")
        stop.wait(settings.OUTBOX_POLL_SECONDS)
    log.info("outbox worker stopped")
    return 0
