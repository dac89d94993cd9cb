"""What the gateway keeps in, and wipes from, Redis.

- The key that signs web conversation ids: made once and kept, so a restart (or a second gateway worker)
  accepts the ids the others issued. SESSION_SECRET, when set, is used instead. If Redis cannot be reached the
  process makes its own key and says so in the log: web conversations then end when it restarts.
- Rasa's stored conversations (its RedisTrackerStore, key prefix TRACKER_PREFIX): Rasa merges what it saves
  into what is stored, so replacing a conversation's events through its API keeps the old ones. After a report
  is saved or cancelled the gateway deletes the stored conversation itself before Rasa starts it afresh.
"""

from __future__ import annotations

import logging
import secrets

import redis

from bot.settings import Settings

log = logging.getLogger(__name__)
SESSION_KEY = "policybot:gateway:session-secret"
TRACKER_PREFIX = "policybot"  # endpoints.yml's tracker_store key_prefix; Rasa adds "tracker:"


def session_secret(settings: Settings) -> str:
    if settings.SESSION_SECRET:
        return settings.SESSION_SECRET
    try:
        client = redis.Redis.from_url(settings.redis_url(), socket_timeout=5, socket_connect_timeout=5)
        client.set(SESSION_KEY, secrets.token_urlsafe(32), nx=True)  # the first process to ask makes it
        kept = client.get(SESSION_KEY)
    except redis.RedisError as exc:
        log.warning("Redis unreachable (%s): web conversation ids are signed with a key of this process only",
                    type(exc).__name__)
        return secrets.token_urlsafe(32)
    return kept.decode() if isinstance(kept, bytes) else str(kept)


def tracker_key(sender: str) -> str:
    return f"{TRACKER_PREFIX}:tracker:{sender}"


class TrackerWiper:
    """Deletes a conversation from Rasa's tracker store in Redis."""

    def __init__(self, settings: Settings):
        self.client = redis.Redis.from_url(settings.redis_url(), socket_timeout=5, socket_connect_timeout=5)

    def __call__(self, sender: str) -> bool:
        try:
            self.client.delete(tracker_key(sender))
        except redis.RedisError as exc:
            log.error("could not delete a finished report's conversation from Redis: %s", type(exc).__name__)
            return False
        return True
