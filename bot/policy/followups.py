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
    r"|head ?teachers?|heads?|deputy heads?|deputies|TAs?|teaching assistants?|lunchtime (?:staff|supervisors?)"
    r"|supply (?:staff|teachers?)|network manager|DSL|designated safeguarding lead|office staff|old teachers?"
)
_PERSON_PHRASE = re.compile(rf"\b(?:an?\s+|the\s+|my\s+|our\s+)?(?:{_PEOPLE})\b", re.IGNORECASE)
MAX_WORDS = 7
SHORT = 9  # words: a message this short may lean on the previous question
_BACK = re.compile(
    r"\b(that|this|it|its|they|them|their|those|these|he|she|him|her|too|also|either|instead|then|same|there|"
    r"one|ones|else|still|tho|though)\b|^\s*(why|how come|what if|even|only|but|or|so|if|when|who (do|should) (i|we) tell|"
    r"what happens|does that|is that|are they)\b", re.IGNORECASE)


_POINTER = re.compile(r"\b(it|its|they|them|their|those|these|he|she|him|her|that|this)\b", re.IGNORECASE)
_NOT_POINTING = re.compile(  # "is it ok ...", "this policy": words that point at nothing said before
    r"\b(is|was|isn'?t) it (ok|okay|alright|allowed|fine|legal|illegal|true|possible|wrong|right|safe|against)\b"
    r"|\bit'?s (ok|okay|alright|fine)\b|\b(this|the|our|that) (policy|school|schools)\b", re.IGNORECASE)


_GROUPS = (("pupil", re.compile(r"pupil|student|child|kid", re.I)), ("parent", re.compile(r"parent|carer|mum|dad", re.I)))


def _group(person: str) -> str:
    """Pupils (ex-pupils too), parents, or the school's adults (staff, governors, volunteers, the head)."""
    return next((name for name, words in _GROUPS if words.search(person)), "adult")


def is_followup(text: str) -> bool:
    """A short message that leans on the previous question ("and ex-pupils?")."""
    return len(text.split()) <= MAX_WORDS and bool(_LEAD.match(text))


def leans_on(text: str) -> bool:
    """A short message that points back ("does that apply to TAs too?", "why?", "even at weekends?")."""
    return len(text.split()) <= SHORT and bool(_BACK.search(text))


def points_back(text: str) -> bool:
    """A short message whose pronoun stands for something said before ("who do I report it to?", "what could
    happen to him?"); not "is it ok to ...", nor a message that names the policy it asks about."""
    if len(text.split()) > SHORT or re.search(r"\bpolicy\b", text, re.IGNORECASE):
        return False
    return bool(_POINTER.search(_NOT_POINTING.sub(" ", text)))


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
        same = [m for m in _PERSON_PHRASE.finditer(previous) if _group(m.group(0)) == _group(topic)]
        if same:  # "what about the head?" after "can I add my child's teacher?": the teacher is who changes
            owner = re.search(r"(?:\b(?:my|our|your|a|the)\s+)?\b(?!(?:who|what|it|that|there|where|here|he|she|how|when)'s)"
                              r"\w+'s\s+$", previous[:same[0].start()], re.IGNORECASE)
            start = owner.start() if owner else same[0].start()  # "my child's teacher" is replaced whole
            return previous[:start] + topic + previous[same[0].end():]
        return _PERSON_PHRASE.sub(topic, previous, count=1)
    return f"{previous.rstrip('?.! ')} {topic}?"
