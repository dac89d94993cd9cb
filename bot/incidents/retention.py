"""How long records are kept, disposing of them when that time is up, and a subject-access export.

A report past its retention period keeps its reference, kind, urgency, status, dates and routing, and loses
everything people said in it (what happened, who was involved, who reported it and how to reach them); the
disposal is an audit entry in the chain like any other change, so `policybot audit verify` still holds.
Feedback, induction progress, the induction register and Teams chat references past their own periods are
deleted. Everything takes `now` from the caller, so it can be run (and tested) for any day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_, select

from bot import audit_chain, database
from bot.incidents.service import as_utc
from bot.records import (
    Acknowledgement,
    Feedback,
    Incident,
    InductionProgress,
    OutboxMessage,
    TeamsConversation,
    UnansweredQuestion,
)
from bot.settings import Settings

DISPOSED = "[disposed of at the end of its retention period]"
ACTOR = "retention"


@dataclass(frozen=True)
class Disposal:
    reports: tuple[str, ...]  # references whose content was disposed of
    feedback: int
    register_rows: int
    progress_rows: int
    teams_chats: int
    unanswered_questions: int


def _years(n: int) -> timedelta:
    return timedelta(days=round(365.25 * n))


def run_retention(settings: Settings, now: datetime, dry_run: bool = False) -> Disposal:
    """Dispose of what is past its retention period as of `now` (nothing changes with `dry_run`)."""
    db = database.open_database(settings.database_url())
    db.prepare()
    report_cut = now - _years(settings.RETENTION_REPORT_YEARS)
    with db.session() as session:
        expired = [i for i in session.scalars(select(Incident).where(Incident.description != DISPOSED)
                                              .order_by(Incident.id).with_for_update())
                   if as_utc(i.created_at) < report_cut]
        counts = []
        for table, column, cut in (
            (Feedback, Feedback.at, now - timedelta(days=settings.RETENTION_FEEDBACK_DAYS)),
            (Acknowledgement, Acknowledgement.finished_at, now - _years(settings.RETENTION_REGISTER_YEARS)),
            (InductionProgress, InductionProgress.updated_at, now - _years(settings.RETENTION_REGISTER_YEARS)),
            (TeamsConversation, TeamsConversation.updated_at, now - timedelta(days=settings.RETENTION_FEEDBACK_DAYS)),
            (UnansweredQuestion, UnansweredQuestion.at, now - timedelta(days=settings.RETENTION_FEEDBACK_DAYS)),
        ):
            rows = [r for r in session.scalars(select(table)) if as_utc(getattr(r, column.key)) < cut]
            counts.append(len(rows))
            if not dry_run:
                for row in rows:
                    session.delete(row)
        if not dry_run:
            for incident in expired:
                _dispose(session, incident)
    return Disposal(tuple(i.reference for i in expired), *counts)


def _dispose(session: Any, incident: Incident) -> None:
    incident.description = DISPOSED
    incident.occurred_text, incident.occurred_at, incident.location = "", None, None
    incident.people_roles, incident.people_text, incident.evidence_saved = [], None, None
    incident.reporter_name, incident.reporter_contact, incident.channel_user = DISPOSED, "", ""
    incident.action_taken = None
    session.execute(delete(OutboxMessage).where(OutboxMessage.incident_id == incident.id))
    session.flush()
    audit_chain.append(session, incident, ACTOR, "disposed", note="retention period over")


def subject_access(settings: Settings, name: str, identities: tuple[str, ...], actor: str) -> dict:
    """Everything stored about one person: reports they made, reports that mention them, their feedback,
    their induction progress and register rows, and where the bot reaches them in Teams. Each report read
    is recorded in the audit trail."""
    db = database.open_database(settings.database_url())
    db.prepare()
    needle = " ".join(name.lower().split())
    with db.session() as session:
        incidents = list(session.scalars(select(Incident).order_by(Incident.id)))
        made = [i for i in incidents if (needle and " ".join(i.reporter_name.lower().split()) == needle)
                or i.channel_user in identities]
        mentioned = [i for i in incidents if i not in made and needle and
                     needle in " ".join(f"{i.people_text or ''} {i.description}".lower().split())]
        for incident in made + mentioned:
            audit_chain.append(session, incident, actor, "subject access", changed=False)
        people = or_(Acknowledgement.channel_user.in_(identities), Acknowledgement.person_name.ilike(name.strip()))
        register = list(session.scalars(select(Acknowledgement).where(people)))
        progress = list(session.scalars(select(InductionProgress).where(or_(
            InductionProgress.channel_user.in_(identities), InductionProgress.person_name.ilike(name.strip())))))
        feedback = list(session.scalars(select(Feedback).where(Feedback.channel_user.in_(identities))))
        chats = list(session.scalars(select(TeamsConversation).where(TeamsConversation.user_key.in_(
            [i.split(":")[-1] for i in identities]))))
        return {
            "person": {"name": name, "identities": list(identities)},
            "reports_made": [_report(i) for i in made],
            "reports_that_mention_them": [_report(i) for i in mentioned],
            "induction_register": [_row(r, ("person_name", "channel_user", "policy_code", "policy_version", "attempt",
                                            "started_at", "finished_at", "score", "passed", "confirmed_at"))
                                   for r in register],
            "induction_progress": [_row(r, ("person_name", "channel_user", "policy_code", "stage", "attempt",
                                            "started_at", "updated_at")) for r in progress],
            "feedback": [_row(r, ("at", "channel", "helpful", "clauses")) for r in feedback],
            "teams_chat": [_row(r, ("user_key", "tenant_id", "updated_at")) for r in chats],
        }


def _row(record: Any, names: tuple[str, ...]) -> dict:
    return {n: (v.isoformat() if isinstance(v := getattr(record, n), datetime) else v) for n in names}


def _report(incident: Incident) -> dict:
    return _row(incident, ("reference", "category", "urgent", "status", "created_at", "occurred_text", "people_text",
                           "description", "reporter_name", "reporter_role", "reporter_contact", "channel",
                           "action_taken"))
