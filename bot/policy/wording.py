"""What a clause's wording tells us: who it is for and how strong the rule is."""

from __future__ import annotations

import re

STRENGTH_LABELS = {
    "must_not": "MUST NOT",
    "must": "MUST",
    "should_not": "SHOULD NOT",
    "should": "SHOULD",
    "may": "MAY",
    "information": "INFORMATION",
}
AUDIENCES = ("staff", "pupils", "parents")

_AUDIENCE_WORDS = {
    "staff": r"staff|teachers?|employees?|volunteers",
    "pupils": r"pupils?|students?|children|child|ex-pupils?",
    "parents": r"parents?|carers?|families|parents/carers",
}
# Checked strongest first: the strongest wording in a clause sets its strength.
_STRENGTH_PATTERNS = (
    ("must_not", r"\bmust\s+(?:not|never)\b|\bmay\s+not\b|\bcannot\b|\bnot\s+(?:be\s+)?permitted\b"),
    ("must", r"\bmust\b|\bis\s+required\s+to\b"),
    ("should_not", r"\bshould\s+(?:not|never)\b|\bshould\s+avoid\b|(?:^|[–:-]\s*)do\s+not\b|\bdon't\b"),
    ("should", r"\bshould\b|\bwe\s+(?:encourage|advise)\b"),
    ("may", r"\b(?:staff|teachers|pupils|parents|carers|you|they)\s+may\b"),
)


def _normalise(text: str) -> str:
    text = text.replace("**", "").replace("’", "'").replace("‘", "'")
    return text.replace("“", '"').replace("”", '"').lower()


def strength_of(text: str) -> str:
    """The rule strength a clause's wording carries, strongest first."""
    lowered = _normalise(text)
    for strength, pattern in _STRENGTH_PATTERNS:
        if re.search(pattern, lowered):
            return strength
    return "information"


def audience_of(text: str, default: tuple[str, ...]) -> tuple[str, ...]:
    """Who a clause is addressed to.

    A section heading that names an audience decides it; otherwise the subject
    of the clause (its first words); otherwise everyone.
    """
    if default:
        return default
    return named_audiences(" ".join(text.split()[:8])) or ("everyone",)


def named_audiences(text: str) -> tuple[str, ...]:
    """The audiences a short phrase (a heading, a clause's subject) names."""
    lowered = _normalise(text)
    return tuple(a for a in AUDIENCES if re.search(rf"\b(?:{_AUDIENCE_WORDS[a]})\b", lowered))


def sentences_of(text: str) -> list[str]:
    """A clause's sentences; empty when it has only one."""
    parts = [p.strip() for p in re.split(r"(?<=[.;!?])\s+(?=[A-Z“\"'])", text) if p.strip()]
    return parts if len(parts) > 1 else []


PERSON = re.compile(r"\b([A-Z][a-z]+) ([A-Z][a-z]{2,})\b")


def people_named(text: str, common: set[str]) -> set[str]:
    """Surnames of the people a text names ("Matt Codling" gives "codling"): two capitalised words neither of
    which the corpus ever writes in lower case (`common` holds the words it does)."""
    return {m[2].lower() for m in PERSON.finditer(text) if m[1].lower() not in common and m[2].lower() not in common}


def lower_case_words(texts: list[str]) -> set[str]:
    return {w for t in texts for w in re.findall(r"\b[a-z][a-z-]*\b", t)}
