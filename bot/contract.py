"""The contract between Rasa and the Python around it, typed in one place.

Intent names and the button payloads that trigger them, the sender id every channel gives Rasa
(`web:…`, `slack:TEAM:USER[:thread:TS]`, `teams:TENANT:USER[:thread:HASH]`), and the structured
answer the actions send as `json_message` for each channel to render. tests/test_domain.py checks
that every intent named here exists in domain.yml.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal, TypedDict

# Intents Python code sends as button payloads or reads from Rasa's parse.
ASK_POLICY = "ask_policy"
REPORT_INCIDENT = "report_incident"
DESCRIBE_INCIDENT = "describe_incident"
SUBMIT_REPORT = "submit_report"
CANCEL_REPORT = "cancel_report"
START_INDUCTION = "start_induction"
CONTINUE_INDUCTION = "continue_induction"
STOP_INDUCTION = "stop_induction"
CONFIRM_INDUCTION = "confirm_induction"
ANSWER_INDUCTION_QUESTION = "answer_induction_question"
INTENTS = (ASK_POLICY, REPORT_INCIDENT, DESCRIBE_INCIDENT, SUBMIT_REPORT, CANCEL_REPORT, START_INDUCTION,
           CONTINUE_INDUCTION, STOP_INDUCTION, CONFIRM_INDUCTION, ANSWER_INDUCTION_QUESTION)


def payload(intent: str, **entities: str) -> str:
    """A button payload Rasa reads as `intent` with `entities`, e.g. /report_incident{"incident_category": "sexting"}."""
    if intent not in INTENTS:
        raise ValueError(f"unknown intent {intent!r}")
    return f"/{intent}" + (json.dumps(entities) if entities else "")


def intent_of_payload(text: str) -> str | None:
    """The intent a button payload names, or None for typed text."""
    if not text.startswith("/"):
        return None
    name = text[1:].split("{", 1)[0].strip()
    return name if name in INTENTS else None


REPORT = payload(REPORT_INCIDENT)
SUBMIT = payload(SUBMIT_REPORT)
CANCEL = payload(CANCEL_REPORT)
NEXT = payload(CONTINUE_INDUCTION)
STOP = payload(STOP_INDUCTION)
CONFIRM = payload(CONFIRM_INDUCTION)
START = payload(START_INDUCTION)

Channel = Literal["web", "slack", "teams"]
CHANNELS: tuple[str, ...] = ("web", "slack", "teams")


@dataclass(frozen=True)
class SenderId:
    """Who Rasa is talking to: a channel, the workspace or tenant (not for web), a person, and a thread."""

    channel: str
    person: str
    space: str = ""
    thread: str = ""

    @classmethod
    def web(cls, token: str) -> "SenderId":
        return cls("web", token)

    @classmethod
    def slack(cls, team: str, user: str, thread: str | None = None) -> "SenderId":
        return cls("slack", user, team, thread or "")

    @classmethod
    def teams(cls, tenant: str, user: str, thread: str | None = None) -> "SenderId":
        return cls("teams", user, tenant, thread or "")

    @classmethod
    def parse(cls, text: str | None) -> "SenderId":
        """Read a sender id back; anything unrecognised is a web conversation of that name."""
        text = text or "unknown"
        channel, _, rest = text.partition(":")
        if channel == "web" and rest:
            return cls.web(rest)
        if channel in ("slack", "teams"):
            parts = rest.split(":")
            if len(parts) >= 2 and all(parts[:2]):
                thread = parts[3] if len(parts) == 4 and parts[2] == "thread" else ""
                return cls(channel, parts[1], parts[0], thread)
        return cls("web", text)

    def without_thread(self) -> "SenderId":
        """The person across their threads (for feedback, acknowledgements and the audit trail)."""
        return SenderId(self.channel, self.person, self.space)

    def __str__(self) -> str:
        if self.channel == "web":
            return f"web:{self.person}"
        return f"{self.channel}:{self.space}:{self.person}" + (f":thread:{self.thread}" if self.thread else "")


class Citation(TypedDict):
    """One cited clause, as every channel shows it."""

    policy: str
    clause: str
    section: str
    text: str
    strength: str
    strength_label: str
    label: str


class AnswerPayload(TypedDict, total=False):
    """The structured answer an action sends as json_message; the text it sends says the same."""

    covered: bool
    question: str
    citations: list[Citation]
    notices: list[str]
    safety: str | None
    contact: Citation | None


def citation_parts(citation: Citation | dict) -> list[str]:
    """What a citation line shows, in order: "D200 5.3", the section, the strength ("MUST NOT")."""
    parts = [str(citation.get("label", "")), str(citation.get("section", "")), str(citation.get("strength_label", ""))]
    return [p for p in parts if p]
