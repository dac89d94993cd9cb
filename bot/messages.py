"""What we accept as a user's message, and the friendly words when we don't."""

from __future__ import annotations

import re
import unicodedata

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\ufeff]")


ASSISTANT_UNAVAILABLE = (
    "Sorry, the assistant is not available right now. Please try again in a few minutes. "
    "If a child is in immediate danger, call 999 and tell the Designated Safeguarding Lead now."
)


class MessageProblem(ValueError):
    """A message we can't use; ``str()`` is safe to show the person who sent it."""

    def __init__(self, code: str, friendly: str):
        self.code = code
        super().__init__(friendly)


def clean_message(text: object, max_chars: int) -> str:
    """The message with control characters removed and spaces tidied, or MessageProblem."""
    if not isinstance(text, str):
        raise MessageProblem("not_text", "Please send your question as plain text.")
    if "\ufffd" in text or any("\ud800" <= ch <= "\udfff" for ch in text):
        raise MessageProblem("not_text", "Part of that message couldn't be read as text. Please type it again.")
    text = unicodedata.normalize("NFC", _CONTROL.sub(" ", text))
    text = re.sub(r"\s+", " ", text).strip()
    if not text:
        raise MessageProblem("empty", "Please type a question, for example “Can I friend a parent?”.")
    if len(text) > max_chars:
        raise MessageProblem(
            "too_long",
            f"That message is {len(text)} characters long; please keep it under {max_chars}. "
            "A short question in your own words works best.",
        )
    return text
