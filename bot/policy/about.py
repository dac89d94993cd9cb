"""Questions about a policy itself (when it was written, when it is due for review, whether it is out of
date), answered from its front matter; and which questions the statement of intent and the definitions
may answer (purpose and meaning only: they are never a fallback for a question the policy does not cover)."""

from __future__ import annotations

import datetime as dt
import re

from bot.policy.answers import Answer
from bot.policy.corpus import Policy

DATES = re.compile(
    r"\b(review date|due (for )?(a |its )?review|reviewed|next review|up for review|out of date|up to date|outdated|"
    r"old policy|still (valid|current|in force|the current)|still appl(y|ies)(?=\s*(\?|$|now|today|in \d{4}))|"
    r"current version|latest version|"
    r"expired?|when (was|did) (it|this|the policy|the social media policy)( \w+)? (written|made|published|adopted|"
    r"dated|updated|come in|start)|date of (the |this )?policy|last updated|is (this|it|the policy) "
    r"(current|new|old|valid)|how (recent|current|new|old|up to date) is (this|the|it|d200)\b|in date|overdue|"
    r"(newer|more recent|updated|new) version|still in use|still the (one|policy|version)|(is|it'?s) from (19|20)\d\d|"
    r"what year is|last (looked at|checked)|"
    r"(polic(y|ies)|it|this|d200)\b.{0,20}\b(be|been|get|gets|getting|was|is) (updated|renewed|revised|replaced))\b", re.I)
PURPOSE = re.compile(r"\b(why|purpose|aims?|point|intent|intention|for what|what is (it|this|the policy) for|"
                     r"commit(ted|ment)?|goals?|overview|summar\w*|"
                     r"(polic(y|ies)|it|d200)( is| are)?( all)? about)\b", re.I)  # not "learn about", "complain about"
MEANING = re.compile(r"\b((what|wat|wot) (is|are|does|counts?|do you mean)|what's|whats|wats|mean\w*|defin\w*|count(s)? as|"
                     r"classed as|considered|(is|are) (\w+ ){1,3}(a |an )?(social media|cyber ?bullying)|"
                     r"(does|do) (\w+ ){1,3}count|(treated|covered|included) (as|by|in)|becomes? (\w+ )?(social media|"
                     r"cyber ?bullying)|kind of|types? of|examples?)\b",
                     re.I)


def about_dates(question: str, policies: dict[str, Policy], today: dt.date) -> Answer | None:
    """When a question is about the policies' dates: their dates and review status, from the front matter."""
    if not DATES.search(question):
        return None
    lines, notices = [], []
    for policy in policies.values():
        lines.append(f"{policy.code} {policy.title} ({policy.school}, {policy.cluster}): dated "
                     f"{policy.date_of_policy:%B %Y}, due for review {policy.review_date:%B %Y}.")
        if policy.review_overdue(today):
            notice = (f"That review date has passed, so {policy.code} may be out of date: check with the school office "
                      "that it is still the current version.")
            lines.append(notice)
            notices.append(notice)
        else:
            lines.append("That review date has not passed yet, so this is the current version.")
    payload = {"covered": True, "meta": True, "question": question, "citations": [], "notices": notices}
    return Answer("\n".join(lines), payload)


OTHER_POLICY = re.compile(r"\b(?!social\b|media\b|e-?safety\b|safety\b|online\b|internet\b|this\b|the\b|our\b|your\b|their\b|"
                          r"school'?s?\b|new\b|current\b|whole\b|same\b|cluster'?s?\b)([a-z][a-z-]*) polic(y|ies)\b", re.I)


def other_policy(question: str, titles: list[str]) -> bool:
    """A question about another of the school's policies ("the uniform policy") that is not in the corpus."""
    named = [m[1].lower() for m in OTHER_POLICY.finditer(question)]
    return bool(named) and not any(word in title.lower() for word in named for title in titles)


def may_answer(number: str, section: str, question: str) -> bool:
    """The statement of intent answers questions about purpose; the definitions, questions about meaning."""
    if number == "intent":
        return bool(PURPOSE.search(question))
    if section.lower().startswith("definition"):
        return bool(MEANING.search(question))
    return True
