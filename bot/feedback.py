"""Storing "Helpful?" feedback on answers, for every channel."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bot import database
from bot.records import Feedback


def valid_feedback(helpful: object, clauses: object) -> bool:
    """Is this the shape every channel's "Helpful?" buttons send: a yes/no and a short list of clause labels?"""
    return (isinstance(helpful, bool) and isinstance(clauses, list) and len(clauses) <= 10
            and all(isinstance(c, str) and len(c) <= 40 for c in clauses))


def record_feedback(url: str, channel: str, channel_user: str, helpful: bool, clauses: list[str],
                    source_event: str | None = None) -> bool:
    """Save one piece of feedback; False when the same source event was already saved."""
    database.migrate(url)
    try:
        with database.session_scope(url) as session:
            session.add(Feedback(channel=channel, channel_user=channel_user, helpful=helpful, clauses=clauses,
                                 source_event=source_event))
    except database.DatabaseUnavailable as problem:
        if isinstance(problem.__cause__, IntegrityError):
            return False
        raise
    return True


def all_feedback(url: str) -> list[Feedback]:
    database.migrate(url)
    with database.session_scope(url, read_only=True) as session:
        return list(session.scalars(select(Feedback).order_by(Feedback.id)))
