"""Validating a POST /api/chat body into something safe to pass to Rasa."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from bot.messages import MessageProblem, clean_message
from bot.retrieval import ROLES

MAX_BODY_BYTES = 64 * 1024
_SENDER = re.compile(r"^[A-Za-z0-9_.:@-]{1,128}$")


class RequestProblem(ValueError):
    def __init__(self, status: int, code: str, friendly: str):
        self.status, self.code = status, code
        super().__init__(friendly)


@dataclass(frozen=True)
class ChatRequest:
    sender_id: str
    message: str
    role: str


def parse_chat_request(body: bytes, max_chars: int) -> ChatRequest:
    if len(body) > MAX_BODY_BYTES:
        raise RequestProblem(413, "too_large", f"That request is too large; messages must be under {max_chars} characters.")
    try:
        data = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise RequestProblem(400, "not_utf8", "The request must be UTF-8 encoded JSON.") from None
    except json.JSONDecodeError:
        raise RequestProblem(400, "not_json", "The request must be a JSON object with sender_id, message and role.") from None
    if not isinstance(data, dict):
        raise RequestProblem(400, "not_object", "The request must be a JSON object with sender_id, message and role.")
    missing = [k for k in ("sender_id", "message", "role") if k not in data]
    if missing:
        raise RequestProblem(422, "missing_fields", f"Missing field(s): {', '.join(missing)}.")
    sender = data["sender_id"]
    if not isinstance(sender, str) or not _SENDER.match(sender):
        raise RequestProblem(
            422, "bad_sender_id", "sender_id must be 1 to 128 letters, digits or the characters _ . : @ -"
        )
    if data["role"] not in ROLES:
        raise RequestProblem(422, "bad_role", f"role must be one of: {', '.join(ROLES)}.")
    try:
        message = clean_message(data["message"], max_chars)
    except MessageProblem as problem:
        raise RequestProblem(413 if problem.code == "too_long" else 422, problem.code, str(problem)) from None
    return ChatRequest(sender, message, data["role"])
