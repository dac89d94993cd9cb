"""The incident service: save a report once, route it, and move it through its statuses.

A report, its first audit entry and its notifications are written in one transaction, so a
failure leaves nothing half-written. Reports are never deleted; every change is audited.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import overload
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.sql.expression import Executable

from bot import audit_chain, database
from bot.incidents.categories import BY_KEY
from bot.incidents.contacts import Contacts, load_contacts
from bot.notify import messages as notifications
from bot.records import STATUSES, Incident, OutboxMessage, Pupil, ReferenceCounter, ReportAction, ReportPupil, utcnow
from bot.settings import Settings

log = logging.getLogger("bot.incidents")


class IncidentNotFound(LookupError):
    pass


class TooManyReports(Exception):
    """One person has made REPORTS_PER_HOUR reports in the last hour; nothing more is saved (the DSL is alerted)."""

    def __init__(self, made: int):
        super().__init__(f"{made} reports in the last hour")
        self.made = made


BURST_SUBJECT = "Many reports from one person"


class StatusChangeRefused(ValueError):
    pass


@dataclass(frozen=True)
class IncidentDraft:
    """What the conversation collected, already validated."""

    category: str
    occurred_text: str
    description: str
    reporter_name: str
    reporter_role: str
    reporter_contact: str
    occurred_at: datetime | None = None
    location: str | None = None
    people_roles: tuple[str, ...] = ()
    people_text: str | None = None
    evidence_saved: str | None = None
    immediate_danger: bool = False
    channel: str = "web"
    channel_user: str = "unknown"
    extra: dict = field(default_factory=dict)

    @property
    def urgent(self) -> bool:
        return self.immediate_danger


@overload
def as_utc(moment: datetime) -> datetime: ...


@overload
def as_utc(moment: None) -> None: ...


def as_utc(moment: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything stored is UTC."""
    if moment is None:
        return None
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def local_time(moment: datetime | None, zone: ZoneInfo) -> str:
    """A stored time as the school reads it (dd/mm/yyyy hh:mm), or "" when there is none."""
    return as_utc(moment).astimezone(zone).strftime("%d/%m/%Y %H:%M") if moment else ""


class IncidentService:
    def __init__(self, settings: Settings, contacts: Contacts | None = None, db: database.Database | None = None):
        self.settings = settings
        self.url = settings.database_url()
        self.db = db or database.open_database(self.url)
        self.zone = ZoneInfo(settings.SCHOOL_TIMEZONE)
        self._contacts = contacts

    @property
    def contacts(self) -> Contacts:
        if self._contacts is None:
            self._contacts = load_contacts(self.settings.path(self.settings.CONTACTS_FILE))
        return self._contacts

    def prepare(self) -> None:
        self.db.prepare()

    def submit(self, draft: IncidentDraft, idempotency_key: str, now: datetime | None = None) -> Incident:
        """Save a report exactly once per key; a repeat with the same key returns the first. The person's
        REPORTS_PER_HOUR+1th report within an hour is refused (TooManyReports) and the DSL alerted, once an hour."""
        if draft.category not in BY_KEY:
            raise ValueError(f"unknown category {draft.category!r}")
        self.prepare()
        existing = self._by_key(idempotency_key)
        if existing:
            return existing
        self._within_limit(draft.channel_user, now or utcnow())
        try:
            with self.db.session() as session:
                return self._create(session, draft, idempotency_key)
        except database.Duplicate:
            existing = self._by_key(idempotency_key)  # the same report, saved by a concurrent retry
            if existing:
                return existing
            raise database.DatabaseUnavailable("the report could not be saved") from None

    def _within_limit(self, channel_user: str, now: datetime) -> None:
        since = now - timedelta(hours=1)
        with self.db.session() as session:
            recent = session.scalars(select(Incident).where(
                Incident.channel_user == channel_user, Incident.created_at >= since).order_by(Incident.id)).all()
            if len(recent) < self.settings.REPORTS_PER_HOUR:
                return
            alerted = session.scalar(select(OutboxMessage.id).where(
                OutboxMessage.incident_id.in_([i.id for i in recent]), OutboxMessage.subject.startswith(BURST_SUBJECT)))
            if alerted is None:
                people = [self.contacts.people[k] for k in self.contacts.urgent]
                for message in notifications.messages_for(recent[-1], people, self.zone, "burst", at=now,
                                                          desk_url=self.settings.DESK_URL, count=len(recent)):
                    session.add(message)
                log.warning("%d reports within an hour from one person (latest %s): further reports refused, "
                            "the DSL alerted", len(recent), recent[-1].reference)
        raise TooManyReports(len(recent))

    def _create(self, session: Session, draft: IncidentDraft, key: str) -> Incident:
        now = utcnow()
        people = self.contacts.recipients(draft.category, draft.urgent)
        incident = Incident(
            reference=self._next_reference(session, now.astimezone(self.zone).year), idempotency_key=key,
            category=draft.category, urgent=draft.urgent, status="open", occurred_at=as_utc(draft.occurred_at),
            occurred_text=draft.occurred_text, location=draft.location, people_roles=list(draft.people_roles),
            people_text=draft.people_text, description=draft.description, evidence_saved=draft.evidence_saved,
            immediate_danger=draft.immediate_danger, reporter_name=draft.reporter_name,
            reporter_role=draft.reporter_role, reporter_contact=draft.reporter_contact, channel=draft.channel,
            channel_user=draft.channel_user, routed_to=[p.key for p in people], created_at=now, updated_at=now,
        )
        session.add(incident)
        session.flush()
        audit_chain.append(session, incident, f"{draft.reporter_name} ({draft.channel_user})", "created",
                           to_status="open")
        for message in notifications.messages_for(incident, people, self.zone, desk_url=self.settings.DESK_URL):
            session.add(message)
        return incident

    def _next_reference(self, session: Session, year: int) -> str:
        dialect = session.get_bind().dialect.name
        counter: Executable  # the two dialects' inserts are distinct types with the same upsert method
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as pg_insert
            counter = pg_insert(ReferenceCounter).values(year=year, last=0).on_conflict_do_nothing()
        else:
            from sqlalchemy.dialects.sqlite import insert as sqlite_insert
            counter = sqlite_insert(ReferenceCounter).values(year=year, last=0).on_conflict_do_nothing()
        session.execute(counter)
        number = session.execute(
            update(ReferenceCounter).where(ReferenceCounter.year == year)
            .values(last=ReferenceCounter.last + 1).returning(ReferenceCounter.last)
        ).scalar_one()
        return f"INC-{year}-{number:04d}"

    def _by_key(self, key: str) -> Incident | None:
        with self.db.session(read_only=True) as session:
            return session.scalars(self._loaded().where(Incident.idempotency_key == key)).first()

    @staticmethod
    def _loaded():
        return select(Incident).options(selectinload(Incident.audit), selectinload(Incident.notifications))

    def get(self, reference: str) -> Incident:
        self.prepare()
        with self.db.session(read_only=True) as session:
            incident = session.scalars(self._loaded().where(Incident.reference == reference.strip().upper())).first()
        if incident is None:
            raise IncidentNotFound(f"No report with reference {reference!r}.")
        return incident

    def made_by(self, channel_user: str, reference: str | None = None) -> list[Incident]:
        """The reports one person made (newest first), or the one with this reference if it is theirs: what a
        reporter may be told the status of. Someone else's reference finds nothing."""
        self.prepare()
        query = self._loaded().where(Incident.channel_user == channel_user)
        if reference:
            query = query.where(Incident.reference == reference.strip().upper())
        with self.db.session(read_only=True) as session:
            return list(session.scalars(query.order_by(Incident.id.desc()).limit(5)).all())

    def list(self, status: str | None = None) -> list[Incident]:
        self.prepare()
        query = self._loaded().order_by(Incident.id)
        if status:
            query = query.where(Incident.status == status)
        with self.db.session(read_only=True) as session:
            return list(session.scalars(query))

    def record_reads(self, incidents: Sequence[Incident], actor: str, action: str) -> None:
        """Reading reports is a recorded act: one audit entry per report read (viewed, listed, exported)."""
        if not incidents:
            return
        with self.db.session() as session:
            for incident in session.scalars(select(Incident).where(Incident.id.in_([i.id for i in incidents]))
                                            .order_by(Incident.id)):
                audit_chain.append(session, incident, actor, action, changed=False)

    def verify_audit(self) -> audit_chain.Verification:
        self.prepare()
        with self.db.session(read_only=True) as session:
            return audit_chain.verify(session)

    def change_status(self, reference: str, to_status: str, actor: str, note: str | None = None) -> Incident:
        """Acknowledge or close a report, with an audit entry; closed reports stay closed."""
        if to_status not in STATUSES or to_status == "open":
            raise StatusChangeRefused(f"A report can be acknowledged or closed, not set to {to_status!r}.")
        self.prepare()
        with self.db.session() as session:
            incident = self._locked(session, reference)
            if incident.status == "closed":
                raise StatusChangeRefused(f"{incident.reference} is already closed.")
            if incident.status == to_status:
                raise StatusChangeRefused(f"{incident.reference} is already {to_status}.")
            from_status = incident.status
            incident.status, incident.updated_at = to_status, utcnow()
            if to_status == "closed" and note:
                incident.action_taken = note
            session.flush()
            audit_chain.append(session, incident, actor, to_status, from_status, to_status, note)
        return self.get(reference)

    def _locked(self, session: Session, reference: str) -> Incident:
        incident = session.scalars(
            select(Incident).where(Incident.reference == reference.strip().upper()).with_for_update()).first()
        if incident is None:
            raise IncidentNotFound(f"No report with reference {reference!r}.")
        return incident

    def _changeable(self, session: Session, reference: str) -> Incident:
        """The report, locked, if it is not closed: a closed report takes no more actions, assignments or links."""
        incident = self._locked(session, reference)
        if incident.status == "closed":
            raise StatusChangeRefused(f"{incident.reference} is closed.")
        return incident

    def record_action(self, reference: str, taken_on: date, taken_by: str, text: str, actor: str) -> None:
        """An action taken on a report (what, on which day, by whom): kept for good, and in the audit trail."""
        self.prepare()
        with self.db.session() as session:
            incident = self._changeable(session, reference)
            session.add(ReportAction(incident_id=incident.id, taken_on=taken_on, taken_by=taken_by, text=text,
                                     recorded_at=utcnow(), recorded_by=actor))
            incident.updated_at = utcnow()
            audit_chain.append(session, incident, actor, "action recorded",
                               note=f"{taken_on.strftime('%d/%m/%Y')}, {taken_by}: {text}")

    def assign(self, reference: str, username: str | None, actor: str) -> None:
        """Who is looking after a report now (a desk username; None: nobody), with an audit entry."""
        self.prepare()
        with self.db.session() as session:
            incident = self._changeable(session, reference)
            if incident.assigned_to == username:
                raise StatusChangeRefused(f"{incident.reference} is already assigned to {username or 'nobody'}.")
            incident.assigned_to, incident.updated_at = username, utcnow()
            audit_chain.append(session, incident, actor, "assigned", note=f"to {username}" if username else "to nobody")

    def link_pupil(self, reference: str, pupil_id: int, actor: str) -> Pupil:
        """Link a report to a pupil, so it appears in their chronology; with an audit entry."""
        self.prepare()
        with self.db.session() as session:
            incident = self._changeable(session, reference)
            pupil = session.get(Pupil, pupil_id)
            if pupil is None:
                raise IncidentNotFound("No such pupil.")
            if session.scalar(select(ReportPupil.id).where(ReportPupil.incident_id == incident.id,
                                                           ReportPupil.pupil_id == pupil_id)) is not None:
                raise StatusChangeRefused(f"{incident.reference} is already linked to {pupil.name}.")
            session.add(ReportPupil(incident_id=incident.id, pupil_id=pupil_id, linked_at=utcnow(), linked_by=actor))
            incident.updated_at = utcnow()
            audit_chain.append(session, incident, actor, "linked to pupil",
                               note=f"{pupil.name} ({pupil.class_name}, MIS {pupil.mis_id})")
            return pupil
