"""The one-line plain answer an answer leads with, assembled from the clause's own words.

The line is the clause's sentence (or list item) closest to the question, with the strength of that
sentence, not of the whole clause: D200 5.3 says staff *must not* friend pupils and *should carefully
consider* friending parents, so "can I friend a parent?" leads with "Think carefully first". A leading
"They" is replaced by the clause's own subject and a bare "also" dropped; nothing else is changed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.policy.corpus import Clause
from bot.policy.wording import sentences_of, strength_of

LABELS = {"must_not": "No", "must": "Required", "should_not": "Best not", "should": "Recommended",
          "may": "Allowed", "information": ""}
CONSIDER = re.compile(r"\b(carefully )?consider\b|\bthink (carefully )?about\b", re.I)
SUBJECT = re.compile(r"^(?P<subject>(?:\w+\s+){0,5}?\w+)\s+(?:\*\*)?(?:must|should|may|will|can|cannot|are|is)\b", re.I)
PRONOUN = re.compile(r"^(They|It)\s+", re.I)
CONNECTIVE = re.compile(r"^(However|Instead|Also),\s+", re.I)
ANAPHOR = re.compile(r"^(This|These|That)\b")
ALSO = re.compile(r"\b(must|should|may|will|can)( not| never)? also\b", re.I)


@dataclass(frozen=True)
class Lead:
    text: str  # "Think carefully first: members of staff should carefully consider … (D200 5.3)"
    sentence: str  # the clause's words it was built from
    strength: str  # that sentence's strength (the clause's own when the sentence states no rule)


def _plain(text: str) -> str:
    return text.replace("**", "").strip()


def _lower_first(text: str) -> str:
    first = text.split(" ", 1)[0]
    return text[0].lower() + text[1:] if first[1:] == first[1:].lower() else text


def lead_for(clause: Clause, sentence: str, label: str) -> Lead:
    """The lead line for `clause`, built from `sentence` (one of its parts; "" for the whole clause)."""
    sentence = _plain(sentence or clause.text)
    is_item = sentence in clause.items
    strength = strength_of(sentence)
    if strength == "information" and is_item:
        strength = clause.strength
    words = sentence
    sentences = [_plain(s) for s in sentences_of(clause.text)]
    if ANAPHOR.match(sentence) and sentence in sentences[1:]:  # "This includes …" says more of the one before
        before = sentences[sentences.index(sentence) - 1]
        words, strength = f"{before} {sentence}", strength_of(f"{before} {sentence}")
    if is_item:
        words = f"{_plain(clause.text).rstrip(':.')}: {sentence}"
    subject = SUBJECT.match(_plain(clause.text))
    if PRONOUN.match(words) and subject and not PRONOUN.match(subject["subject"]):
        words = PRONOUN.sub(subject["subject"] + " ", words, count=1)
    words = ALSO.sub(lambda m: m[1] + (m[2] or ""), CONNECTIVE.sub("", words)).rstrip(". ")
    kind = "Think carefully first" if strength == "should" and CONSIDER.search(words) else LABELS[strength]
    text = f"{kind}: {_lower_first(words)} ({label})" if kind else f"{words} ({label})"
    return Lead(text, sentence, strength if strength != "information" or is_item else clause.strength)
