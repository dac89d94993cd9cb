"""What the gateway keeps in, and wipes from, Redis.

- The key that signs web conversation ids: made once and kept, so a restart (or a second gateway worker)
  accepts the ids the others issued. SESSION_SECRET, when set, is used instead. If Redis cannot be reached the
  process makes its own key and says so in the log: web conversations then end when it restarts.
- Redelivery checks (Slack and Teams resend an event they think was lost) and the web chat's rate limits, so
  several gateway workers answer an event once and count a person's messages together. When Redis cannot be
  reached these fall back to the process's own memory (logged once), so the chat keeps answering.
- Rasa's stored conversations (its RedisTrackerStore, key prefix TRACKER_PREFIX): Rasa merges what it saves
  into what is stored, so replacing a conversation's events through its API keeps the old ones. After a report
  is saved or cancelled the gateway deletes the stored conversation itself before Rasa starts it afresh.
"""

from __future__ import annotations

import logging
import secrets
import time
import uuid

import redis
import redis.asyncio as aioredis

from bot.gateway.channels.web.limits import SlidingWindow
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
        self.client = async_client(settings)

    async def __call__(self, sender: str) -> bool:
        try:
            await self.client.delete(tracker_key(sender))
        except redis.RedisError as exc:
            log.error("could not delete a finished report's conversation from Redis: %s", type(exc).__name__)
            return False
        return True


class _Fallback:
    """Logs, once per process, that Redis is unreachable and state is kept in this process only."""

    warned = False

    @classmethod
    def note(cls, what: str, exc: Exception) -> None:
        if not cls.warned:
            cls.warned = True
            log.warning("Redis unreachable (%s): %s kept in this gateway process only", type(exc).__name__, what)


def async_client(settings: Settings) -> aioredis.Redis:
    return aioredis.Redis.from_url(settings.redis_url(), socket_timeout=2, socket_connect_timeout=2)


class SharedEvents:
    """Event ids already handled by any gateway process (kept an hour), so a redelivered event is answered once."""

    def __init__(self, client: aioredis.Redis, prefix: str, keep_seconds: int = 3600, size: int = 10_000):
        from bot.gateway.channels.common import RecentEvents

        self.client, self.prefix, self.keep = client, prefix, keep_seconds
        self.local = RecentEvents(size)

    async def first_time(self, event_id: str) -> bool:
        try:
            return bool(await self.client.set(f"{self.prefix}:{event_id}", 1, nx=True, ex=self.keep))
        except redis.RedisError as exc:
            _Fallback.note("redelivery checks", exc)
            return self.local.first_time(event_id)


class SharedWindow:
    """At most `limit` events per `seconds` for each key, counted across gateway processes (a sorted set per key
    in Redis, trimmed as it is read)."""

    def __init__(self, client: aioredis.Redis, prefix: str, limit: int, seconds: float = 60.0):
        self.client, self.prefix, self.limit, self.seconds = client, prefix, limit, seconds
        self.local = SlidingWindow(limit, seconds)

    async def allow(self, key: str) -> float:
        """0 when allowed (and counted); otherwise the seconds to wait."""
        name, now = f"{self.prefix}:{key}", time.time()
        member = f"{now:.6f}:{uuid.uuid4().hex[:8]}"
        try:
            async with self.client.pipeline(transaction=True) as pipe:
                pipe.zremrangebyscore(name, 0, now - self.seconds)
                pipe.zadd(name, {member: now})
                pipe.zrange(name, 0, -1, withscores=True)
                pipe.expire(name, int(self.seconds) + 1)
                _, _, members, _ = await pipe.execute()
        except redis.RedisError as exc:
            _Fallback.note("rate limits", exc)
            return self.local.allow(key)
        if len(members) <= self.limit:
            return 0.0
        try:  # a refused message does not count: only what was let through fills the window
            await self.client.zrem(name, member)
        except redis.RedisError:
            pass
        return max(0.001, self.seconds - (now - float(members[0][1])))
