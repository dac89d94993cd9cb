"""A report draft with sensible values, for tests."""

from __future__ import annotations

from datetime import datetime, timezone

from bot.incidents.service import IncidentDraft


def draft(**changes) -> IncidentDraft:
    values = dict(
        category="friend_request", occurred_text="Monday 23 November 2026 at 15:00",
        occurred_at=datetime(2026, 11, 23, 15, tzinfo=timezone.utc), description="A Year 6 pupil sent a friend request",
        reporter_name="Sam Teacher", reporter_role="staff", reporter_contact="sam@school.example",
        people_roles=("pupil",), people_text="a Year 6 pupil", evidence_saved="yes",
        channel="web", channel_user="web:abc",
    )
    values.update(changes)
    return IncidentDraft(**values)

