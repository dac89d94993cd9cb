"""The kinds of report the policy asks for, the clauses behind each, and what each needs asked.

Who is told about each kind comes from the contacts file (bot.incidents.contacts), not from here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.incidents.slots import OPTIONAL, QUESTIONS


@dataclass(frozen=True)
class Category:
    key: str
    label: str
    clauses: tuple[str, ...]
    extra_questions: tuple[str, ...]  # which of OPTIONAL this kind needs
    pattern: str  # words in a message that suggest this category
    guidance: str = ""  # what the policy says, told to the reporter when the category is known
    not_when: str = ""  # ... unless these words show the message is about someone else


CATEGORIES: tuple[Category, ...] = (
    Category(
        "child_at_risk", "A child at risk of harm: danger, abuse, neglect or self-harm", ("10.1",),
        ("incident_where", "incident_people"),
        r"(?!x)x",  # chosen by the safeguarding triage, never by keywords here
        "A child at risk is always urgent: the Designated Safeguarding Lead is told at once. If anyone is in "
        "immediate danger, call 999 first.",
    ),
    Category(
        "sexting", "Sexting or sharing nudes", ("9.1", "9.2", "9.3"), ("incident_where", "incident_people"),
        r"\b(sexting|nudes?|naked|sexual (image|photo|picture|video)s?|explicit (image|photo|picture)s?|indecent)\b",
        "This goes straight to the Designated Safeguarding Lead (D200 9.1). Do not ask for, open, save, "
        "copy or forward any image, not even to report it, and do not send me one: describe it in words.",
    ),
    Category(
        "friend_request", "A pupil or ex-pupil trying to friend or contact staff", ("5.4", "6.3"),
        ("incident_people", "incident_evidence"),
        r"\b(friend(ed)? request|friend(ed)? me|added me|follow(ed|ing)? me|requested to follow|tried to friend)\b",
        "D200 5.4 and 6.3: a pupil or ex-pupil trying to friend or contact staff is reported to the head "
        "teacher. Do not accept or reply.",
        r"\b(from|by) (a |an |one of the |my |our )?(parent|parents|mum|mom|dad|carer|colleague|friend|governor)s?\b",
    ),
    Category(
        "staff_contact", "A member of staff contacting a pupil or ex-pupil", ("6.4",), ("incident_people", "incident_evidence"),
        r"\b(teacher|staff|member of staff|coach|ta)\b.{0,40}\b(messag|contact|friend|follow|dm)",
        "D200 6.4: staff trying to friend or contact pupils or ex-pupils through social media are reported "
        "to the head teacher.",
    ),
    Category(
        "cyberbullying", "Cyberbullying", ("8.2", "8.3", "8.4", "8.5", "8.6"),
        ("incident_where", "incident_people", "incident_evidence"),
        r"\b(bull(y|ied|ying)|cyber ?bull\w*|harass\w*|troll\w*|nasty (messages|comments)|picking on|abus(e|ive) messages?)\b",
    ),
    Category(
        "inappropriate_content", "Inappropriate content seen on a school computer or on school premises",
        ("6.8", "7.3"), ("incident_where",),
        r"\b(inappropriate (content|site|website|video|material)|porn\w*|unsuitable (site|website|content)|"
        r"saw something on (a|the) school (computer|laptop|ipad|tablet))\b",
        "D200 6.8 and 7.3: inappropriate content accessed on school premises is reported to the network "
        "manager and the head teacher straight away, so the site can be blocked.",
    ),
    Category(
        "firewall", "Trying to get round the school's firewall or filters", ("7.2",), ("incident_where", "incident_people"),
        r"\b(firewall|vpn|proxy|get round the (filter|block)|bypass\w*|circumvent\w*|unblock\w*)\b",
        "D200 7.2: attempts to get round the network's firewall can lead to exclusion and a ban from school "
        "computers. The network manager and head teacher are told.",
    ),
    Category(
        "damaging_post", "A post online that damages the school, its staff or pupils", ("5.6", "6.6"),
        ("incident_people", "incident_evidence"),
        r"\b(post(ed)?|comment(ed)?|review|tweet(ed)?)\b.{0,60}\b(about|against) (the )?(school|teacher|staff|head)",
    ),
    Category(
        "other", "Something else about social media or being online", ("2.1",),
        ("incident_where", "incident_people", "incident_evidence"), r"(?!x)x",
    ),
)
BY_KEY = {c.key: c for c in CATEGORIES}

CYBERBULLYING_OUTSIDE_SCHOOL = (
    "Because this happened outside school, D200 8.3 and 8.4 apply: families decide whether to report it to "
    "the site, to CEOP or to the police, and the school does not investigate it, but it will work with the "
    "pupils to repair relationships and prevent more bullying. I'm still taking the report so the school knows."
)


def questions_for(category_key: str | None) -> list[str]:
    """The form's questions for a category, in asking order (all of them while it is unknown)."""
    extras = BY_KEY[category_key].extra_questions if category_key in BY_KEY else OPTIONAL
    return [q for q in QUESTIONS if q not in OPTIONAL or q in extras] + ["incident_confirmed"]


def detect(text: str) -> Category | None:
    """The category a message plainly points at, or None when it is not clear."""
    lowered = text.lower()
    for category in CATEGORIES:
        if re.search(category.pattern, lowered) and not (category.not_when and re.search(category.not_when, lowered)):
            return category
    return None


def from_answer(text: str) -> Category | None:
    """Read a reply to "what kind of report is this?": a key, a button title, a number or words."""
    lowered = text.strip().lower()
    for index, category in enumerate(CATEGORIES, start=1):
        if lowered in {category.key, category.key.replace("_", " "), category.label.lower(), str(index)}:
            return category
    if re.search(r"\b(something else|other|none of (these|those|them))\b", lowered):
        return BY_KEY["other"]
    return detect(text)


def for_clause(policy: str, clause: str) -> Category | None:
    """The category a cited clause is about, for the "Report this" button (D200 only)."""
    if policy != "D200":
        return None
    for category in CATEGORIES:
        if category.key != "other" and clause in category.clauses:
            return category
    return None
