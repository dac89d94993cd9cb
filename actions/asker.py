"""Who is asking: the role the gateway sends with each message as metadata."""

from __future__ import annotations

from rasa_sdk import Tracker

from bot.roles import known_role


def role_of(tracker: Tracker) -> str | None:
    """The asker's role, sent by the gateway as message metadata."""
    metadata = tracker.latest_message.get("metadata")
    return known_role(metadata.get("role")) if isinstance(metadata, dict) else None
