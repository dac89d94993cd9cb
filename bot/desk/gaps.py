"""What the policy does not answer: questions the assistant could not answer, and the questions behind answers
people marked not helpful. Their words only, never who asked, grouped by the policy section nearest to them,
for the e-safety team's review of the policy."""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from bot.database import Database, DatabaseUnavailable
from bot.records import Feedback, UnansweredQuestion, utcnow

log = logging.getLogger(__name__)
NO_TOPIC = "Nowhere near any clause"


def record_unanswered(db: Database, question: str, audience: str, topic: str | None) -> None:
    """Keep a question no policy answers (a database that is down loses only this, and says so in the log)."""
    try:
        with db.session() as session:
            session.add(UnansweredQuestion(at=utcnow(), question=question[:500], audience=audience[:20],
                                           topic=(topic or NO_TOPIC)[:200]))
    except DatabaseUnavailable:
        log.warning("an unanswered question could not be kept for the desk: the database is not available")


@dataclass(frozen=True)
class Gap:
    at: datetime
    question: str
    why: str  # not covered, not helpful
    audience: str


def gaps_by_topic(db: Database, section_of: dict[str, str]) -> dict[str, list[Gap]]:
    """Topics (most questions first), each with its questions, newest first. `section_of`: a clause label
    ("D200 5.3") to its section, for the answers marked not helpful."""
    groups: dict[str, list[Gap]] = defaultdict(list)
    with db.session(read_only=True) as session:
        for row in session.scalars(select(UnansweredQuestion)):
            groups[row.topic].append(Gap(row.at, row.question, "not covered", row.audience))
        for fb in session.scalars(select(Feedback).where(Feedback.helpful.is_(False))):
            label = (fb.clauses or ["?"])[0]
            topic = section_of.get(label, label)
            groups[topic].append(Gap(fb.at, fb.question or f"(an answer citing {label}; the question was not sent)",
                                     "not helpful", ""))
    ordered = sorted(groups.items(), key=lambda item: (-len(item[1]), item[0]))
    return {topic: sorted(items, key=lambda g: g.at, reverse=True) for topic, items in ordered}
