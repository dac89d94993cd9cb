"""Answer quality as users meet it: every question of a set sent through /api/chat of a running stack.

The same path as a person in the web chat (gateway, Rasa's NLU and dialogue, the actions, the triage),
so the figures count what retrieval alone cannot see: a question turned into a report form, a follow-up
read without its first question, safeguarding advice standing in front of the answer.

A set is JSON lines with `q`, `role`, `expect` (clause numbers any of which is right; `[]` when the
policy does not cover it; `["meta"]` for questions about the policy itself; `"statement"` for the
statement of intent) and, for follow-ups, `follow_up_of` (the earlier question, asked first in the same
conversation).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx


@dataclass(frozen=True)
class Row:
    question: str
    role: str
    expect: tuple[str, ...]
    follow_up_of: str = ""


@dataclass(frozen=True)
class Reply:
    clauses: tuple[str, ...]  # the answer's clauses, best first (empty when not covered)
    covered: bool
    meta: bool  # answered from the policy's own details (dates, who it is for)
    report_started: bool


@dataclass(frozen=True)
class ChatQuality:
    questions: int
    first_questions: int  # questions asked at the start of a conversation (the rest are follow-ups)
    hit_at_1: float  # covered questions whose first clause is right
    hit_at_3: float
    not_covered_refused: float  # not-covered questions given the not-covered reply
    wrongly_refused: float  # covered questions given the not-covered reply
    meta_right: float | None  # questions about the policy itself answered from its details (None: no such question)
    follow_ups_right: float | None  # follow-ups whose first clause is right, or refused when the policy does not
    # answer them (None: no follow-ups in the set)
    reports_started: int  # questions that opened a report form


def load_rows(path: Path) -> list[Row]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            raw = json.loads(line)
            rows.append(Row(str(raw["q"]), str(raw.get("role") or "staff"), tuple(str(e) for e in raw["expect"]),
                            str(raw.get("follow_up_of") or "")))
    return rows


def matches(clause: str, expected: str) -> bool:
    if expected == "statement":
        return clause == "intent"
    return clause == expected or clause.startswith(expected + ".")


def read_reply(messages: list[dict]) -> Reply:
    """What the person was told: the policy answer (after any safeguarding advice), or not covered."""
    started = any(m.get("report") == "started" for m in messages)
    meta = any(m.get("meta") for m in messages)
    answers = [m for m in messages if m.get("covered") is not None and not m.get("safeguarding")]
    advice = [m for m in messages if m.get("safeguarding") and m.get("citations")]
    chosen = answers[0] if answers else advice[0] if advice else None
    if chosen is None:
        return Reply((), False, meta, started)
    clauses = tuple(str(c.get("clause")) for c in chosen.get("citations", []))
    return Reply(clauses, bool(chosen.get("covered")) and bool(clauses), meta, started)


def ask_all(base_url: str, rows: list[Row]) -> list[Reply]:
    """One fresh conversation per question; a follow-up's first question is asked first in it."""
    replies = []
    with httpx.Client(base_url=base_url, timeout=60) as http:
        for row in rows:
            started = http.post("/api/conversations")
            started.raise_for_status()  # a refused conversation (the gateway's rate limits) stops the run, said plainly
            conversation = started.json()["conversation_id"]
            if row.follow_up_of:
                http.post("/api/chat", json={"conversation_id": conversation, "message": row.follow_up_of,
                                             "role": row.role})
            response = http.post("/api/chat", json={"conversation_id": conversation, "message": row.question,
                                                    "role": row.role})
            replies.append(read_reply(response.json().get("messages", []) if response.status_code == 200 else []))
    return replies


def share(items: list, test: Callable[[Any], bool]) -> float:
    return sum(1 for i in items if test(i)) / len(items) if items else 0.0


def score(rows: list[Row], replies: list[Reply]) -> ChatQuality:
    pairs = list(zip(rows, replies, strict=True))
    firsts = [(r, a) for r, a in pairs if not r.follow_up_of]
    covered = [(r, a) for r, a in firsts if r.expect and r.expect != ("meta",)]
    uncovered = [a for r, a in firsts if not r.expect]
    meta = [a for r, a in firsts if r.expect == ("meta",)]
    follow = [(r, a) for r, a in pairs if r.follow_up_of]

    def refused(reply: Reply) -> bool:
        return not reply.covered and not reply.report_started

    def right(pair: tuple[Row, Reply], k: int = 1) -> bool:
        row, reply = pair
        return reply.covered and any(matches(c, e) for c in reply.clauses[:k] for e in row.expect)

    return ChatQuality(
        questions=len(pairs),
        first_questions=len(firsts),
        hit_at_1=share(covered, right),
        hit_at_3=share(covered, lambda p: right(p, 3)),
        not_covered_refused=share(uncovered, refused),
        wrongly_refused=share(covered, lambda p: not p[1].covered),
        meta_right=share(meta, lambda a: a.meta) if meta else None,
        follow_ups_right=share(follow, lambda p: right(p) if p[0].expect else refused(p[1])) if follow else None,
        reports_started=sum(1 for _, a in pairs if a.report_started),
    )
