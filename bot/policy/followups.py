"""Short follow-ups ("what about parents?") read in the light of the previous question."""

from __future__ import annotations

import re

_LEAD = re.compile(
    r"^\s*(?:and\s+)?(?:what|how)\s+about\s+(?:for\s+|with\s+)?|^\s*(?:and|same)\s+(?:for\s+|with\s+)?"
    r"|^\s*(?:and\s+)?what\s+if\s+(?:it(?:'s| is| was)\s+|they(?:'re| are)\s+)?",
    re.IGNORECASE,
)
_PEOPLE = (
    r"ex-pupils?|ex-students?|former pupils?|former students?|pupils?|students?|children|child|kids?"
    r"|parents?|carers?|parents/carers|mums?|dads?|staff|teachers?|colleagues?|governors?|volunteers?"
)
_PERSON_PHRASE = re.compile(rf"\b(?:an?\s+|the\s+|my\s+|our\s+)?(?:{_PEOPLE})\b", re.IGNORECASE)
MAX_WORDS = 7
SHORT = 9  # words: a message this short may lean on the previous question
_BACK = re.compile(
    r"\b(that|this|it|its|they|them|their|those|these|he|she|him|her|too|also|either|instead|then|same|there|"
    r"one|ones|else|still|tho|though)\b|^\s*(why|how come|what if|even|only|but|or|so|if|when|who (do|should) (i|we) tell|"
    r"what happens|does that|is that|are they)\b", re.IGNORECASE)


def is_followup(text: str) -> bool:
    """A short message that leans on the previous question ("and ex-pupils?")."""
    return len(text.split()) <= MAX_WORDS and bool(_LEAD.match(text))


def leans_on(text: str) -> bool:
    """A short message that points back ("does that apply to TAs too?", "why?", "even at weekends?")."""
    return len(text.split()) <= SHORT and bool(_BACK.search(text))


def topic_of(text: str) -> str:
    """What a short message asks about, without its leaning-back opening ("and what about the uniform?": "the
    uniform?")."""
    return (_LEAD.sub("", text, count=1).strip() or text) if is_followup(text) else text


def with_context(text: str, previous: str) -> str:
    """A short message read together with the question before it."""
    return f"{previous.rstrip('?.! ')}: {text}"


def resolve(text: str, previous: str | None) -> str:
    """The full question a follow-up ("and ex-pupils?") stands for; otherwise the text itself (whether another
    short message is read with the question before it is decided on the answers: PolicyAssistant.ask_after)."""
    if not previous or not is_followup(text):
        return text
    topic = _LEAD.sub("", text, count=1).strip().rstrip("?.! ").strip()
    if not topic:
        return previous
    if _PERSON_PHRASE.fullmatch(topic) and _PERSON_PHRASE.search(previous):
        return _PERSON_PHRASE.sub(topic, previous, count=1)
    return f"{previous.rstrip('?.! ')} {topic}?"
