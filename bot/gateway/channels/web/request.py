"""Validating a POST /api/chat body into something safe to pass to Rasa."""

from __future__ import annotations

import json
from dataclasses import dataclass

from bot.messages import MessageProblem, clean_message
from bot.roles import ROLES

MAX_BODY_BYTES = 64 * 1024
FIELDS = ("conversation_id", "message", "role")
SHAPE = "The request must be a JSON object with conversation_id, message and role."
FEEDBACK_SHAPE = "Feedback needs conversation_id, helpful (true or false) and clauses."
END_SHAPE = "The request must be a JSON object with the conversation_id to end."


class RequestProblem(ValueError):
    def __init__(self, status: int, code: str, friendly: str):
        self.status, self.code = status, code
        super().__init__(friendly)


@dataclass(frozen=True)
class ChatRequest:
    conversation_id: str
    message: str
    role: str


@dataclass(frozen=True)
class FeedbackRequest:
    conversation_id: str
    helpful: object
    clauses: object
    answer: str
    question: str | None = None  # the question answered, sent with "not helpful" (kept without who asked)


def _json_object(body: bytes, shape: str, too_large: str) -> dict:
    if len(body) > MAX_BODY_BYTES:
        raise RequestProblem(413, "too_large", too_large)
    try:
        data = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise RequestProblem(400, "not_utf8", "The request must be UTF-8 encoded JSON.") from None
    except (json.JSONDecodeError, RecursionError):
        raise RequestProblem(400, "not_json", shape) from None
    if not isinstance(data, dict):
        raise RequestProblem(400, "not_object", shape)
    return data


def parse_feedback_request(body: bytes) -> FeedbackRequest:
    """A POST /api/feedback body; its helpful and clauses are checked by the feedback service like every channel's."""
    data = _json_object(body, FEEDBACK_SHAPE, "That request is too large.")
    if "conversation_id" not in data or "helpful" not in data or "clauses" not in data:
        raise RequestProblem(422, "bad_feedback", FEEDBACK_SHAPE)
    return FeedbackRequest(str(data["conversation_id"])[:200], data["helpful"], data["clauses"],
                           str(data.get("answer", ""))[:40],
                           data["question"][:300] if isinstance(data.get("question"), str) else None)


def parse_end_request(body: bytes) -> str:
    """A POST /api/conversations/end body: the conversation id to end."""
    data = _json_object(body, END_SHAPE, "That request is too large.")
    if not isinstance(data.get("conversation_id"), str):
        raise RequestProblem(422, "bad_end", END_SHAPE)
    return data["conversation_id"][:200]


def parse_chat_request(body: bytes, max_chars: int) -> ChatRequest:
    data = _json_object(body, SHAPE, f"That request is too large; messages must be under {max_chars} characters.")
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
