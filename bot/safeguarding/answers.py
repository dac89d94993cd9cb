"""How the triage and a policy answer meet: which clauses of an answer sit in a concern's own section,
and when a hesitant bullying or images verdict gives way to a policy answer from elsewhere."""

from __future__ import annotations

from bot.safeguarding.advice import SCREEN_PRINTS
from bot.safeguarding.triage import Verdict

ADVICE_POLICY = "D200"  # the policy whose clauses the safeguarding advice quotes
SECTIONS = {"bullying": "8", "sexual_images": "9"}  # its section for each less urgent kind
HESITANT_BELOW = 0.6


def _section(citation: dict) -> str:
    """The citation's section of the advice's policy ("" for another policy's clause)."""
    if citation.get("policy", ADVICE_POLICY) != ADVICE_POLICY:
        return ""
    return str(citation.get("clause", "")).split(".")[0]


def other_policies(payload: dict | None) -> bool:
    """Does a policy answer cite another policy than the one the advice quotes?"""
    return bool(payload) and any(c.get("policy", ADVICE_POLICY) != ADVICE_POLICY
                                 for c in (payload or {}).get("citations", []))


def clauses_in_section(payload: dict | None, kind: str) -> tuple[str, ...]:
    """The clauses of a policy answer that sit in the kind's section (8 for bullying, 9 for images)."""
    if not payload or not payload.get("covered") or kind not in SECTIONS:
        return ()
    return tuple(c["clause"] for c in payload.get("citations", []) if _section(c) == SECTIONS[kind])


def answered_in_section(payload: dict | None, kind: str) -> tuple[str, ...]:
    """The clauses of the kind's section that answer this very message, when the policy answer leads with one
    ("will school investigate bullying at the weekend?": 8.4); empty when it leads with another section, so a clause
    of the section the search found further down ("a parent is slagging me off": 8.8, third) does not stand in for
    the clauses that fit the asker (8.5 to 8.9)."""
    clauses = clauses_in_section(payload, kind)
    first = (payload or {}).get("citations") or [{}]
    return clauses if clauses and _section(first[0]) == SECTIONS[kind] else ()


def gives_way(verdict: Verdict, payload: dict | None) -> bool:
    """A hesitant bullying or images verdict (the model not sure, and the message about nothing more urgent and
    without the words of either), on a question the policy answers from a section that none of its kinds has, is
    a question rather than a concern: answer it. Danger and disclosures never give way, nor does a verdict the
    message's own words make (its cue words), nor one about a possible sexual image to an answer asking for screen
    prints (D200 8.6)."""
    if verdict.kind not in SECTIONS or any(k not in SECTIONS for k in verdict.also):
        return False
    if any(k in verdict.cues for k in verdict.kinds):
        return False
    if verdict.probabilities.get(verdict.kind, 1.0) >= HESITANT_BELOW:
        return False
    if not payload or not payload.get("covered") or not payload.get("citations"):
        return False
    if "sexual_images" in verdict.kinds and asks_for_copies(payload):
        return False
    return _section(payload["citations"][0]) not in {SECTIONS[k] for k in verdict.kinds}


def asks_for_copies(payload: dict | None) -> bool:
    """Does a policy answer quote the clause asking for screen prints of cyberbullying as evidence (D200 8.6)?"""
    return any(_section(c) and str(c.get("clause")) == SCREEN_PRINTS for c in (payload or {}).get("citations", []))
