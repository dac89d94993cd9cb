"""The audit trail as a hash chain (kernel: the migrations and the incident service share it).

Each entry's hash covers the entry before it and, for an entry that changes a report, a digest of the report's
content after the change. `audit_head` keeps how many entries there are and the last hash, updated in the same
transaction. So an edited entry, a deleted or truncated one, or a report edited outside the assistant, is
found by `verify` (`policybot audit verify`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from bot.records import AuditEntry, AuditHead, Incident, utcnow

GENESIS = "0" * 64
CONTENT = ("reference", "category", "urgent", "status", "occurred_at", "occurred_text", "location", "people_roles",
           "people_text", "description", "evidence_saved", "immediate_danger", "reporter_name", "reporter_role",
           "reporter_contact", "channel", "channel_user", "routed_to", "action_taken", "created_at")


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        moment = value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)
        return moment.isoformat(timespec="microseconds")
    return value


def digest_of(values: list[Any]) -> str:
    text = json.dumps([_plain(v) for v in values], ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def incident_digest(incident: Incident) -> str:
    """A digest of everything a report says (not its id or when it was last touched)."""
    return digest_of([getattr(incident, name) for name in CONTENT])


def entry_hash(prev_hash: str, incident_id: int, at: datetime, actor: str, action: str, from_status: str | None,
               to_status: str | None, note: str | None, digest: str | None) -> str:
    return digest_of([prev_hash, incident_id, at, actor, action, from_status, to_status, note, digest])


def append(session: Session, incident: Incident, actor: str, action: str, from_status: str | None = None,
           to_status: str | None = None, note: str | None = None, changed: bool = True) -> None:
    """Add an entry at the end of the chain, in the caller's transaction. `changed`: the entry records a change
    to the report (its content digest is chained too); a read does not."""
    head = session.scalars(select(AuditHead).where(AuditHead.id == 1).with_for_update()).first()
    if head is None:
        head = AuditHead(id=1, entries=0, last_hash=GENESIS)
        session.add(head)
    at = utcnow()
    digest = incident_digest(incident) if changed else None
    value = entry_hash(head.last_hash, incident.id, at, actor, action, from_status, to_status, note, digest)
    session.execute(insert(AuditEntry).values(
        incident_id=incident.id, at=at, actor=actor, action=action, from_status=from_status, to_status=to_status,
        note=note, incident_digest=digest, prev_hash=head.last_hash, hash=value))
    head.entries, head.last_hash = head.entries + 1, value


@dataclass(frozen=True)
class Verification:
    entries: int
    head: str
    problems: tuple[str, ...]

    @property
    def intact(self) -> bool:
        return not self.problems


def verify(session: Session) -> Verification:
    """Walk the chain and compare it with the head and with every report's current content."""
    problems: list[str] = []
    previous = GENESIS
    latest: dict[int, str] = {}
    entries = list(session.scalars(select(AuditEntry).order_by(AuditEntry.id)))
    for e in entries:
        if e.prev_hash != previous:
            problems.append(f"entry {e.id}: the entry before it is missing or was changed")
        expected = entry_hash(e.prev_hash or "", e.incident_id, e.at, e.actor, e.action, e.from_status, e.to_status,
                              e.note, e.incident_digest)
        if e.hash != expected:
            problems.append(f"entry {e.id}: its contents were changed after it was written")
        if e.incident_digest:
            latest[e.incident_id] = e.incident_digest
        previous = e.hash or ""
    head = session.get(AuditHead, 1)
    if head is None and entries:
        problems.append("the chain's head record is missing")
    elif head is not None and (head.entries != len(entries) or head.last_hash != previous):
        problems.append(f"the chain should have {head.entries} entries ending in {head.last_hash[:12]}, "
                        f"but has {len(entries)}: entries were deleted or the table was emptied")
    for incident in session.scalars(select(Incident).order_by(Incident.id)):
        if incident.id not in latest:
            problems.append(f"{incident.reference}: no audit entry records its content")
        elif latest[incident.id] != incident_digest(incident):
            problems.append(f"{incident.reference}: changed outside the assistant (no audit entry for the change)")
    return Verification(len(entries), previous, tuple(problems))
