"""Storing "Helpful?" feedback on answers, for every channel."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from sqlalchemy import select

from bot import database
from bot.records import Feedback

THANKS = "Thank you for the feedback."
CHANGED = {True: "Thank you: I've changed your feedback to helpful.",
           False: "Thank you: I've changed your feedback to not helpful."}
BROKEN = "Sorry, that feedback button no longer works."
UNAVAILABLE = "Sorry, your feedback couldn't be saved just now."


@dataclass(frozen=True)
class FeedbackReply:
    """What to tell the person (and, for the web chat, the HTTP status)."""

    status: int
    text: str


async def take_feedback(db: database.Database, channel: str, channel_user: str, helpful: object, clauses: object,
                        source_event: str, question: str | None = None) -> FeedbackReply:
    """The one path every channel's "Helpful?" click takes: checked (a yes/no and the clause labels),
    saved off the event loop, answered."""
    labels = clause_labels(clauses)
    if not isinstance(helpful, bool) or labels is None:
        return FeedbackReply(422, BROKEN)
    try:
        outcome = await asyncio.to_thread(record_feedback, db, channel, channel_user, helpful, labels, source_event,
                                            question)
    except database.DatabaseUnavailable:
        return FeedbackReply(503, UNAVAILABLE)
    return FeedbackReply(201, CHANGED[helpful] if outcome == "changed" else THANKS)


def clause_labels(clauses: object) -> list[str] | None:
    """The clause labels every channel's "Helpful?" buttons send: a short list (at most 10) of short
    strings (at most 40 characters each); None when ``clauses`` is not that shape."""
    if not isinstance(clauses, list) or len(clauses) > 10:
        return None
    labels = [c for c in clauses if isinstance(c, str) and len(c) <= 40]
    return labels if len(labels) == len(clauses) else None


def record_feedback(db: database.Database, channel: str, channel_user: str, helpful: bool, clauses: list[str],
                    source_event: str | None = None, question: str | None = None) -> str:
    """Save one piece of feedback: "saved"; for a second click on the same answer by the same person (its source
    event), the last one wins: "changed", or "same" when it says what the first did."""
    try:
        with db.session() as session:
            session.add(Feedback(channel=channel, channel_user=channel_user, helpful=helpful, clauses=clauses,
                                 source_event=source_event, question=None if helpful else question))
        return "saved"
    except database.Duplicate:
        with db.session() as session:
            earlier = session.scalars(select(Feedback).where(Feedback.source_event == source_event)
                                      .with_for_update()).first()
            if earlier is None or earlier.helpful == helpful:
                return "same"
            earlier.helpful = helpful
            earlier.question = None if helpful else (question or earlier.question)
        return "changed"


def all_feedback(db: database.Database) -> list[Feedback]:
    with db.session(read_only=True) as session:
        return list(session.scalars(select(Feedback).order_by(Feedback.id)))
