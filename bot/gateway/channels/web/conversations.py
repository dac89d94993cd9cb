"""Web conversation ids: issued by the server, random, and checked on every message.

An id is `<random>.<issued>.<signature>`; the signature (HMAC-SHA256 with SESSION_SECRET) over the random part
and the time it was issued proves the gateway issued it then, so a client cannot pick or guess someone else's
conversation, nor make one younger. A conversation expires WEB_CONVERSATION_MAX_HOURS after it began, or after
WEB_CONVERSATION_IDLE_MINUTES without a message (idle times are kept in this process's memory: a restarted gateway
counts a conversation's idle time from its next message). An expired id is refused (`expired`), so the page
starts a new conversation and says so.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import threading
import time
from collections.abc import Callable

from bot.contract import SenderId

_ID = re.compile(r"^([A-Za-z0-9_-]{22})\.([0-9a-z]{1,12})\.([A-Za-z0-9_-]{22})$")
FOREVER = float("inf")


class Expired(Exception):
    """A conversation id this gateway issued, too old or idle too long; `sender` is its Rasa sender id."""

    def __init__(self, sender: str):
        super().__init__("conversation expired")
        self.sender = sender


class ConversationIds:
    def __init__(self, secret: str, idle_minutes: float = FOREVER, max_hours: float = FOREVER,
                 clock: Callable[[], float] = time.time):
        self.key = (secret or secrets.token_urlsafe(32)).encode()
        self.idle, self.longest, self.clock = idle_minutes * 60, max_hours * 3600, clock
        self.last_seen: dict[str, float] = {}
        self.ended: dict[str, None] = {}  # in the order they were ended
        self._lock = threading.Lock()

    def _sign(self, random_part: str, issued: str) -> str:
        digest = hmac.new(self.key, f"{random_part}.{issued}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest[:16]).decode().rstrip("=")

    def issue(self) -> str:
        random_part, issued = secrets.token_urlsafe(16), _base36(int(self.clock()))
        return f"{random_part}.{issued}.{self._sign(random_part, issued)}"

    def sender_for(self, conversation_id: object) -> str | None:
        """The Rasa sender id for a live conversation id this gateway issued; None for one it did not issue;
        raises Expired for one it issued that is too old or was idle too long (and forgets it)."""
        if not isinstance(conversation_id, str):
            return None
        match = _ID.match(conversation_id)
        if not match or not hmac.compare_digest(match.group(3), self._sign(match.group(1), match.group(2))):
            return None
        sender, now = str(SenderId.web(match.group(1))), self.clock()
        with self._lock:
            seen = self.last_seen.get(sender, now)
            if sender in self.ended or now - int(match.group(2), 36) > self.longest or now - seen > self.idle:
                self.last_seen.pop(sender, None)
                raise Expired(sender)
            self.last_seen[sender] = now
            if len(self.last_seen) > 10_000:  # forget conversations idle past the limit, then the oldest
                live = sorted((v, k) for k, v in self.last_seen.items() if now - v <= self.idle)
                self.last_seen = {k: v for v, k in live[-5_000:]}
        return sender


    def forget(self, sender: str) -> None:
        """An ended conversation: its id is refused from now on, as expired."""
        with self._lock:
            self.last_seen.pop(sender, None)
            self.ended[sender] = None
            while len(self.ended) > 10_000:  # the oldest ended ids have long expired anyway
                del self.ended[next(iter(self.ended))]


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
        if not number:
            return out
