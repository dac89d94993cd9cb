"""Who a question is about: the asker, or the pupils, parents or staff it names.

"can a pupil go on snapchat during the school day?" asked by a teacher is about pupils' rules (D200 6.1), not
staff's (5.2); "can my son use snapchat at school?" is about a pupil whoever asks; "is miss allowed to add me?"
from a pupil is about staff's (5.3). The rule a question asks about belongs to the first group it names that
acts: "what happens to a teacher who posts…", "pupil in my class tried to add me, what's the rule for them".

The asker's own role stays when the question asks what the asker should do ("a Year 6 added me on Instagram,
what do I do?" is the member of staff's duty, 5.4; "is it ok to accept a friend request from a parent?": 5.3),
when the message tells what happened without asking ("a parent keeps posting nasty stuff about me": what the
member of staff should do, 8.5), when "I" or "we" comes before any group, and when the group named only has
something done to it ("my daughter is getting nasty messages", "a pupil was caught with…").
"""

from __future__ import annotations

import re

_GROUPS = {
    "pupil": r"pupils?|students?|child(ren)?|kids?|sons?|daughters?|y(ea)?rs? ?\d+s?|boys?|girls?|ex-pupils?",
    "staff": r"staff|teachers?|members? of staff|colleagues?|teaching assistants?|tas?|governors?|volunteers?"
             r"|miss|sir|head ?teachers?|heads?",
    "parent": r"parents?|carers?|mums?|dads?|mothers?|fathers?",
}
_ASKER = r"i|i'm|im|i've|ive|we|we're|me"
# The first group word, a child's teacher ("my son's teacher": staff), or the asker, whichever comes first.
_WHO = re.compile(
    r"(?P<teacher_of>\b(child|son|daughter|kid|[a-z]+)'?s\s+((old|class|form)\s+)?(teacher|ta|tutor)\b)|"
    + "|".join(rf"(?P<{role}>\b({words})\b)" for role, words in _GROUPS.items())
    + rf"|(?P<asker>\b({_ASKER})\b)",
    re.I,
)
# The group is on the receiving end: "is being bullied", "was caught", "is getting nasty messages", "got sent".
_DONE_TO = re.compile(
    r"\s*((is|was|are|were|has been|have been|got|gets|getting|being)\s+(being\s+)?"
    r"(\w+ed|bullied|sent|shown|told|given|hurt|caught)\b|(is|was|are|were)\s+getting\b|gets?\b|got\b)",
    re.I,
)
# The question asks what the asker should do: "what do I do", "who should I tell", ", do I need to", "we must".
_ASKS_FOR_THEMSELVES = re.compile(
    r"\b(what|who|how|where|when|why)\s+(do|should|can|could|would|must|shall)\s+(i|we)\b"
    r"|(^|[,.;?!]\s*|\b(so|and|but|then)\s+)(do|should|can|could|must|shall|am|may)\s+(i|we)\b"
    r"|\b(i|we)\s+(need|have|must|should)\b"
    # "is it ok to accept a friend request from a parent?": nobody else is doing the accepting
    r"|^\W*(is|isn'?t|would|will)\s+it\s+(ever\s+|really\s+|still\s+)?(ok|okay|alright|all right|acceptable|allowed|fine|"
    r"appropriate|wrong|a problem|against the rules|against policy)\s+(for me\s+|for us\s+)?to\b",
    re.I,
)


_ASKS = re.compile(
    r"\?|^\W*(can|could|may|might|is|are|was|were|do|does|did|should|shall|must|will|would|has|have|what|whats|who|"
    r"whose|how|when|where|why|which|if)\b|\b(what'?s|what is|what are|whats|is it|is that|is this|are they|allowed|"
    r"rule|rules|policy)\b", re.I)


def subject_role(question: str) -> str | None:
    """The role whose rules the question asks about, when it names a group that acts; else None (the asker's)."""
    if _ASKS_FOR_THEMSELVES.search(question) or not _ASKS.search(question):
        return None  # what the asker should do, or something that happened to them told without a question
    for found in _WHO.finditer(question):
        kind = found.lastgroup
        if kind == "teacher_of":
            return "staff"
        if kind == "asker":
            return None
        if _DONE_TO.match(question, found.end()):
            continue
        return kind
    return None
