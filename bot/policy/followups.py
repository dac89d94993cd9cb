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


_POINTER = re.compile(  # pronouns that stand for something said before (not possessives: "can staff use their phones?")
    r"\b(it|they|them|those|these|he|she|him)\b"
    r"|\b(that|this)\b(?=\s*[?.!,]|\s*$|\s+(is|was|one|happens?|means?|applies|apply|counts?|ok|okay|allowed|true|right|"
    r"for|too|also|then|again)\b)"
    r"|\bher\b(?=\s*[?.!,]|\s*$|\s+(to|about|if|on|too|then|again|back)\b)", re.IGNORECASE)
_NOT_POINTING = re.compile(  # "is it ok to ...", "this school": words that point at nothing said before (a message
    # naming the policy is read on its own anyway: points_back)
    r"\b(is|was|isn'?t) it (ok|okay|alright|allowed|fine|legal|illegal|true|possible|wrong|right|safe|against)"
    r"(?=\s+(to|if|for|that|when)\b)|\bit'?s (ok|okay|alright|fine)(?=\s+(to|if|for|that|when)\b)"
    r"|\b(this|the|our|that) (school|schools)\b", re.IGNORECASE)
# A person named in the previous question who can be swapped for the follow-up's: not a word that only describes a
# thing ("the staff room", "head lice", "a heads up", "the head of year").
_NOT_A_PERSON_AFTER = re.compile(
    r"\s+(room|rooms|wifi|toilets?|lice|up|of|office|meetings?|car park|area|computers?|laptops?|accounts?|email|"
    r"emails|page|handbook|code|training|list|login|network|briefing|bulletin)\b", re.IGNORECASE)
_OWNER = re.compile(  # "my child's " or "Mr Smith's " before the person: replaced with them by "the head"
    r"(?:\b(?:my|our|your|a|the)\s+|\b(?:mr|mrs|miss|ms|dr)\.?\s+)?\b"
    r"(?!(?:who|what|why|how|when|where|there|here|that|it|he|she|everyone|someone|somebody|nobody|one)['’]s)"
    r"\w+['’]s\s+$", re.IGNORECASE)


_GROUPS = (("pupil", re.compile(r"pupil|student|child|kid", re.I)), ("parent", re.compile(r"parent|carer|mum|dad", re.I)))


def _group(person: str) -> str:
    """Pupils (ex-pupils too), parents, or the school's adults (staff, governors, volunteers, the head)."""
    return next((name for name, words in _GROUPS if words.search(person)), "adult")


def _person_slots(previous: str) -> list[re.Match[str]]:
    """The people the previous question names, in order, leaving out words that describe a thing there."""
    slots = []
    for m in _PERSON_PHRASE.finditer(previous):
        bare_head = re.fullmatch(r"heads?", m.group(0), re.IGNORECASE)  # "the head" is a person, "head" alone rarely
        if _NOT_A_PERSON_AFTER.match(previous, m.end()) or bare_head:
            continue
        slots.append(m)
    return slots


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
    slots = _person_slots(previous)
    if _PERSON_PHRASE.fullmatch(topic) and slots:
        same = [m for m in slots if _group(m.group(0)) == _group(topic)]
        slot = (same or slots)[0]  # "what about the head?" after "can I add my child's teacher?": the teacher changes
        owner = _OWNER.search(previous[:slot.start()]) if same and re.match(r"(the|my|our|a|an)\s", topic, re.I) else None
        start = owner.start() if owner else slot.start()  # "my child's teacher" is replaced whole by "the head"
        return previous[:start] + topic + previous[slot.end():]
    return f"{previous.rstrip('?.! ')} {topic}?"
