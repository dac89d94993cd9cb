"""Web conversation ids: issued by the server, random, and checked on every message.

An id is `<random>.<signature>`; the signature (HMAC-SHA256 with SESSION_SECRET) proves the
gateway issued it, so a client cannot pick or guess someone else's conversation. Nothing is
stored: any gateway with the same secret can check an id.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

from bot.contract import SenderId

_ID = re.compile(r"^([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{22})$")


class ConversationIds:
    def __init__(self, secret: str):
        self.key = (secret or secrets.token_urlsafe(32)).encode()

    def _sign(self, random_part: str) -> str:
        digest = hmac.new(self.key, random_part.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest[:16]).decode().rstrip("=")

    def issue(self) -> str:
        random_part = secrets.token_urlsafe(16)
        return f"{random_part}.{self._sign(random_part)}"

    def sender_for(self, conversation_id: object) -> str | None:
        """The Rasa sender id for a conversation id this gateway issued, else None."""
        if not isinstance(conversation_id, str):
            return None
        match = _ID.match(conversation_id)
        if not match or not hmac.compare_digest(match.group(2), self._sign(match.group(1))):
            return None
        return str(SenderId.web(match.group(1)))
