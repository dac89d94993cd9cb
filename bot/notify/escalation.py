"""Reports nobody has picked up: an URGENT report not acknowledged within URGENT_ESCALATE_MINUTES, or a report
whose notice could not be delivered, goes to the contacts file's `escalate` people, once, with an audit entry.

The outbox worker calls `escalate_due` on every round with the time it reads; `problems` is what /healthz and
`make run` report while such a report is still waiting for a person.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_, select

from bot import audit_chain, database
from bot.incidents.contacts import Contacts
from bot.notify.messages import messages_for
from bot.records import Incident, OutboxMessage
from bot.settings import Settings

log = logging.getLogger("bot.notify.escalation")
ACTOR = "policy assistant (escalation)"
ATTENTION = "ATTENTION"  # `make run` repeats worker log lines that carry this word on its own output


@dataclass(frozen=True)
class Escalated:
    reference: str
    reason: str  # unacknowledged or undelivered
    told: tuple[str, ...]  # names


@dataclass(frozen=True)
class Problems:
    urgent_unacknowledged: int  # URGENT reports still open after URGENT_ESCALATE_MINUTES (or already escalated)
    notices_failed: int  # notices the outbox gave up on, about reports nobody has acknowledged yet

    @property
    def any(self) -> bool:
        return bool(self.urgent_unacknowledged or self.notices_failed)


def _failed_notice():
    return select(OutboxMessage.incident_id).where(OutboxMessage.status == "failed")


def escalate_due(db: database.Database, settings: Settings, contacts: Contacts, now: datetime) -> list[Escalated]:
    """Escalate every report that is due, each once; what was escalated."""
    cutoff = now - timedelta(minutes=settings.URGENT_ESCALATE_MINUTES)
    zone = ZoneInfo(settings.SCHOOL_TIMEZONE)
    done: list[Escalated] = []
    with db.session() as session:
        due = session.scalars(
            select(Incident).where(Incident.escalated_at.is_(None), or_(
                and_(Incident.urgent.is_(True), Incident.status == "open", Incident.created_at <= cutoff),
                Incident.id.in_(_failed_notice()),
            )).order_by(Incident.id).with_for_update()
        ).all()
        for incident in due:
            failed = session.scalars(select(OutboxMessage.recipient_name).where(
                OutboxMessage.incident_id == incident.id, OutboxMessage.status == "failed")).all()
            reason = "undelivered" if failed else "unacknowledged"
            people = contacts.escalation(list(incident.routed_to))
            for message in messages_for(incident, people, zone, reason, at=now, desk_url=settings.DESK_URL,
                                        minutes=settings.URGENT_ESCALATE_MINUTES,
                                        names=", ".join(dict.fromkeys(failed))):
                session.add(message)
            incident.escalated_at = now
            session.flush()
            names = tuple(p.name for p in people)
            audit_chain.append(session, incident, ACTOR, "escalated", note=f"{reason}; told {', '.join(names) or 'nobody'}",
                               changed=False)
            done.append(Escalated(incident.reference, reason, names))
    for item in done:
        why = ("URGENT and not acknowledged after %d minutes" % settings.URGENT_ESCALATE_MINUTES
               if item.reason == "unacknowledged" else "a notice about it could not be delivered")
        if item.told:
            log.warning("%s: report %s is %s; escalated to %s", ATTENTION, item.reference, why, ", ".join(item.told))
        else:
            log.error("%s: report %s is %s, and the contacts file names nobody under `escalate`: tell the DSL "
                      "in person", ATTENTION, item.reference, why)
    return done


def problems(db: database.Database, settings: Settings, now: datetime) -> Problems:
    """Reports still waiting for a person: what makes /healthz say degraded."""
    cutoff = now - timedelta(minutes=settings.URGENT_ESCALATE_MINUTES)
    with db.session(read_only=True) as session:
        urgent = session.scalar(select(func.count(Incident.id)).where(
            Incident.urgent.is_(True), Incident.status == "open",
            or_(Incident.created_at <= cutoff, Incident.escalated_at.is_not(None)))) or 0
        failed = session.scalar(select(func.count(OutboxMessage.id)).join(Incident).where(
            OutboxMessage.status == "failed", Incident.status == "open")) or 0
    return Problems(int(urgent), int(failed))
