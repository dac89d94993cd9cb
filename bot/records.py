"""Database tables: incident reports, their audit trail, the notification outbox, references, and the desk's
accounts, sessions, pupils, actions and access log."""

from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import JSON, Boolean, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

STATUSES = ("open", "acknowledged", "closed")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Base(DeclarativeBase):
    pass


class Incident(Base):
    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    idempotency_key: Mapped[str] = mapped_column(String(80), unique=True)
    category: Mapped[str] = mapped_column(String(40))
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(20), default="open")
    occurred_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    occurred_text: Mapped[str] = mapped_column(String(200))
    location: Mapped[str | None] = mapped_column(String(20), nullable=True)
    people_roles: Mapped[list] = mapped_column(JSON, default=list)
    people_text: Mapped[str | None] = mapped_column(Text, nullable=True)
    description: Mapped[str] = mapped_column(Text)
    evidence_saved: Mapped[str | None] = mapped_column(String(20), nullable=True)
    immediate_danger: Mapped[bool] = mapped_column(Boolean, default=False)
    reporter_name: Mapped[str] = mapped_column(String(120))
    reporter_role: Mapped[str] = mapped_column(String(20))
    reporter_contact: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(20))
    channel_user: Mapped[str] = mapped_column(String(200))
    routed_to: Mapped[list] = mapped_column(JSON, default=list)
    action_taken: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    escalated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    assigned_to: Mapped[str | None] = mapped_column(String(60), nullable=True)  # a desk username; each change audited

    audit: Mapped[list["AuditEntry"]] = relationship(back_populates="incident", order_by="AuditEntry.id")
    notifications: Mapped[list["OutboxMessage"]] = relationship(back_populates="incident", order_by="OutboxMessage.id")


class AuditEntry(Base):
    """Append-only: the migration adds triggers that refuse UPDATE and DELETE, and each entry is chained by hash
    to the one before it (bot.audit_chain)."""

    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(40))
    from_status: Mapped[str | None] = mapped_column(String(20), nullable=True)
    to_status: Mapped[str | None] = mapped_column(String(20), nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    incident_digest: Mapped[str | None] = mapped_column(String(64), nullable=True)  # the report after a change
    prev_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    hash: Mapped[str | None] = mapped_column(String(64), nullable=True)  # covers prev_hash (bot.audit_chain)

    incident: Mapped[Incident] = relationship(back_populates="audit")


class AuditHead(Base):
    """The end of the audit chain: how many entries there are and the last one's hash (one row)."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    entries: Mapped[int] = mapped_column(Integer)
    last_hash: Mapped[str] = mapped_column(String(64))


class OutboxMessage(Base):
    """A notification waiting to be sent; written in the same transaction as its report."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    recipient: Mapped[str] = mapped_column(String(200))
    recipient_name: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_error: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    incident: Mapped[Incident] = relationship(back_populates="notifications")


class ReferenceCounter(Base):
    """The last reference number given out in each year (INC-2026-0001, INC-2026-0002, ...)."""

    __tablename__ = "reference_counters"
    __table_args__ = (UniqueConstraint("year"),)

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(Integer, default=0)


class Feedback(Base):
    """"Helpful?" answers. `source_event` (unique) makes a redelivered click count once."""

    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    channel: Mapped[str] = mapped_column(String(20))
    channel_user: Mapped[str] = mapped_column(String(200))
    helpful: Mapped[bool] = mapped_column(Boolean)
    clauses: Mapped[list] = mapped_column(JSON, default=list)
    source_event: Mapped[str | None] = mapped_column(String(120), nullable=True, unique=True)
    question: Mapped[str | None] = mapped_column(Text, nullable=True)  # when the channel sent it (for the desk's gaps)


class InductionProgress(Base):
    """Where one person is in the induction (one row per channel identity; kept to resume)."""

    __tablename__ = "induction_progress"

    channel_user: Mapped[str] = mapped_column(String(200), primary_key=True)
    person_name: Mapped[str] = mapped_column(String(120))
    policy_code: Mapped[str] = mapped_column(String(20))
    policy_version: Mapped[str] = mapped_column(String(64))
    stage: Mapped[str] = mapped_column(String(20))  # walkthrough, quiz, failed, confirm, done
    step: Mapped[int] = mapped_column(Integer, default=0)
    quiz_order: Mapped[list] = mapped_column(JSON, default=list)
    answers: Mapped[list] = mapped_column(JSON, default=list)
    attempt: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Acknowledgement(Base):
    """The register: one row per completed quiz attempt; confirmed_at is the "read and understood"."""

    __tablename__ = "acknowledgements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_name: Mapped[str] = mapped_column(String(120))
    channel_user: Mapped[str] = mapped_column(String(200), index=True)
    policy_code: Mapped[str] = mapped_column(String(20))
    policy_version: Mapped[str] = mapped_column(String(64))
    attempt: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    score: Mapped[int] = mapped_column(Integer)
    passed: Mapped[bool] = mapped_column(Boolean)
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class TeamsConversation(Base):
    """Where to reach a Teams user in their personal chat with the bot (for notifications and reports
    moved out of a channel). Written when they write to the bot; no message content."""

    __tablename__ = "teams_conversations"

    user_key: Mapped[str] = mapped_column(String(200), primary_key=True)  # Entra object id, else the Teams id
    tenant_id: Mapped[str] = mapped_column(String(100))
    user_id: Mapped[str] = mapped_column(String(200))
    bot_id: Mapped[str] = mapped_column(String(200))
    service_url: Mapped[str] = mapped_column(String(300))
    conversation_id: Mapped[str] = mapped_column(String(300))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class UnansweredQuestion(Base):
    """A question the assistant could not answer from any policy: its words only (no one's identity), and the
    policy section nearest to it, for the e-safety team's review of the policy."""

    __tablename__ = "unanswered_questions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    question: Mapped[str] = mapped_column(Text)
    audience: Mapped[str] = mapped_column(String(20))
    topic: Mapped[str] = mapped_column(String(200))


class DeskUser(Base):
    """A member of staff who signs in to the desk (`policybot users ...`)."""

    __tablename__ = "desk_users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(60), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(20))
    contact_key: Mapped[str | None] = mapped_column(String(60), nullable=True)  # their key in the contacts file
    password_hash: Mapped[str] = mapped_column(String(200))
    totp_secret: Mapped[str | None] = mapped_column(String(64), nullable=True)  # None: enrols at the next sign-in
    totp_last_step: Mapped[int] = mapped_column(Integer, default=0)  # a code is accepted once
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class DeskSession(Base):
    """A signed-in browser: the cookie holds a random token, the database only its hash."""

    __tablename__ = "desk_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("desk_users.id"), index=True)
    stage: Mapped[str] = mapped_column(String(20))  # password (the code is next), enrol, signed_in
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    pending_secret: Mapped[str | None] = mapped_column(String(64), nullable=True)  # during enrolment


class Pupil(Base):
    """A pupil as the school's MIS knows them (imported from its CSV export)."""

    __tablename__ = "pupils"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mis_id: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    class_name: Mapped[str] = mapped_column(String(40))
    date_of_birth: Mapped[date | None] = mapped_column(Date, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ReportPupil(Base):
    """A report linked to a pupil (a report may concern several)."""

    __tablename__ = "report_pupils"
    __table_args__ = (UniqueConstraint("incident_id", "pupil_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupils.id"), index=True)
    linked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    linked_by: Mapped[str] = mapped_column(String(200))


class ReportAction(Base):
    """An action taken on a report (append-only, like the audit trail): what, on which day, by whom."""

    __tablename__ = "report_actions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    taken_on: Mapped[date] = mapped_column(Date)
    taken_by: Mapped[str] = mapped_column(String(120))
    text: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    recorded_by: Mapped[str] = mapped_column(String(200))


class AccessEntry(Base):
    """Who saw what on the desk (append-only: the database refuses UPDATE and DELETE)."""

    __tablename__ = "access_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    username: Mapped[str] = mapped_column(String(60))
    role: Mapped[str] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(30))  # viewed, listed, printed, refused
    target: Mapped[str] = mapped_column(String(80), index=True)  # INC-2026-0001, pupil:12, reports, ...
    allowed: Mapped[bool] = mapped_column(Boolean, default=True)
