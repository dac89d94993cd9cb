"""Who a question is about: the asker, or the pupils, parents or staff it names.

"can a pupil go on snapchat during the school day?" asked by a teacher is about pupils' rules (D200 6.1), not
staff's (5.2); "can my son use snapchat at school?" is about a pupil whoever asks. The rule a question asks about
is read from its subject: the people named right after its opening verb ("can a pupil", "are teachers allowed",
"should parents"). "I", "me" and anything unclear leave the asker's own role.
"""

from __future__ import annotations

import re

_GROUPS = {
    "pupil": r"pupils?|students?|child(ren)?|kids?|sons?|daughters?|year \d+s?|boys?|girls?|ex-pupils?",
    "staff": r"staff|teachers?|members? of staff|colleagues?|teaching assistants?|tas?|governors?|volunteers?",
    "parent": r"parents?|carers?|mums?|dads?|mothers?|fathers?",
}
_OPENING = r"^\W*(can|could|may|might|should|shall|is|are|was|were|do|does|did|must|will|would|have|has)\s+"
_DETERMINER = r"((a|an|the|my|our|your|his|her|their|any|all|some|other)\s+)?"
SUBJECT = {role: re.compile(_OPENING + _DETERMINER + r"(" + words + r")\b", re.I) for role, words in _GROUPS.items()}
POSSESSIVE_STAFF = re.compile(_OPENING + r"(my|our)\s+(child'?s|son'?s|daughter'?s|kids?'?)\s+(teacher|class teacher)", re.I)


def subject_role(question: str) -> str | None:
    """The role whose rules the question asks about, when its subject names one; else None."""
    if POSSESSIVE_STAFF.search(question):  # "can my son's teacher follow him?": about staff
        return "staff"
    found = [role for role, pattern in SUBJECT.items() if pattern.search(question)]
    return found[0] if len(found) == 1 else None
