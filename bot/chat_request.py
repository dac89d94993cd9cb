"""Validating a POST /api/chat body into something safe to pass to Rasa."""

from __future__ import annotations

import json
from dataclasses import dataclass

from bot.messages import MessageProblem, clean_message
from bot.retrieval import ROLES

MAX_BODY_BYTES = 64 * 1024
FIELDS = ("conversation_id", "message", "role")
SHAPE = "The request must be a JSON object with conversation_id, message and role."


class RequestProblem(ValueError):
    def __init__(self, status: int, code: str, friendly: str):
        self.status, self.code = status, code
        super().__init__(friendly)


@dataclass(frozen=True)
class ChatRequest:
    conversation_id: str
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
        raise RequestProblem(400, "not_json", SHAPE) from None
    if not isinstance(data, dict):
        raise RequestProblem(400, "not_object", SHAPE)
    missing = [k for k in FIELDS if k not in data]
    if missing:
        raise RequestProblem(422, "missing_fields", f"Missing field(s): {', '.join(missing)}.")
    if data["role"] not in ROLES:
        raise RequestProblem(422, "bad_role", f"role must be one of: {', '.join(ROLES)}.")
    try:
        message = clean_message(data["message"], max_chars)
    except MessageProblem as problem:
        raise RequestProblem(413 if problem.code == "too_long" else 422, problem.code, str(problem)) from None
    return ChatRequest(data["conversation_id"], message, data["role"])
