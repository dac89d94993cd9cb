"""Turn a search result into what the assistant says: quoted clause, citation, notices.

The same ``Answer`` feeds every channel: ``text`` for plain-text channels and the
structured ``payload`` (sent as Rasa's ``json_message``) that channels render.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.policy.corpus import Clause, Policy
from bot.policy.lead import lead_for
from bot.policy.wording import STRENGTH_LABELS

if TYPE_CHECKING:  # numpy and the retrieval stack stay out of processes that only word answers (the gateway's desk)
    from bot.policy.retrieval import SearchResult


@dataclass(frozen=True)
class Answer:
    text: str
    payload: dict

    def cited(self) -> list[str]:
        """The clauses the answer quotes ("D200 5.3"), best first; none when it says the policy does not cover it."""
        if not self.payload.get("covered"):
            return []
        return [f"{c['policy']} {c['clause']}" for c in self.payload.get("citations", [])]


def citation(clause: Clause, strength: str | None = None, title: str = "") -> dict:
    """A clause as channels show it; `strength` is the answering sentence's when it differs from the clause's;
    `title` is its policy's."""
    strength = strength or clause.strength
    return {
        "policy": clause.policy,
        "policy_title": title,
        "clause": clause.number,
        "section": clause.section,
        "text": clause.text,
        "items": list(clause.items),
        "strength": strength,
        "strength_label": STRENGTH_LABELS[strength],
        "clause_strength": clause.strength,
        "label": cite(clause),
    }


def cite(clause: Clause) -> str:
    if clause.number == "intent":
        return f"{clause.policy}, {clause.section}"
    return f"{clause.policy} {clause.number}"


def review_notice(policy: Policy, today: dt.date) -> str | None:
    if not policy.review_overdue(today):
        return None
    due = policy.review_date.strftime("%B %Y")
    return (
        f"{policy.code} {policy.title} was due for review in {due}. "
        "Check with the school office that this is still the current version."
    )


def _related(result: SearchResult, within: float, floor: float) -> list[Clause]:
    best = result.hits[0]
    return [h.clause for h in result.hits[1:3] if h.score >= max(floor, best.score - within)]


def compose(
    result: SearchResult,
    policies: dict[str, Policy],
    today: dt.date,
    related_within: float = 0.1,
    covered_at: float = 0.0,
) -> Answer:
    if not result.covered or not result.hits:
        nearest = result.hits[0].clause if result.hits else None
        return not_covered(result.question, policies, today, nearest.policy if nearest else None,
                           f"{nearest.policy} {nearest.section}" if nearest else None)
    best = result.hits[0].clause
    lead = lead_for(best, result.hits[0].sentence, cite(best))
    related = _related(result, related_within, covered_at)
    policy = policies[best.policy]
    notices = [n for n in {review_notice(policies[c.policy], today) for c in [best, *related]} if n]
    safety = policy.notes.get(best.number.split(".")[0])
    lines = [
        lead.text,
        f"{STRENGTH_LABELS[lead.strength]} · {cite(best)} ({best.section})",
        f"“{best.text}”",
        *(f"• {item}" for item in best.items),
    ]
    if safety:
        lines.insert(0, safety)
    if related:
        lines.append("Related: " + "; ".join(f"{cite(c)} ({STRENGTH_LABELS[c.strength]})" for c in related))
    lines += notices
    payload = {
        "covered": True,
        "question": result.question,
        "citations": [citation(best, lead.strength, policy.title),
                      *(citation(c, title=policies[c.policy].title) for c in related)],
        "lead": lead.text,
        "sentence": lead.sentence,
        "notices": sorted(notices),
        "safety": safety,
    }
    return Answer("\n".join(lines), payload)


def not_covered(question: str, policies: dict[str, Policy], today: dt.date, nearest: str | None = None,
                topic: str | None = None) -> Answer:
    """The policies do not answer: say so, and name who to ask: the contact of the policy nearest the question
    when it names one (its front matter's contact_clause), or else the first policy's that does."""
    names = ", ".join(f"{p.code} {p.title}" for p in policies.values())
    ordered = sorted(policies.values(), key=lambda p: p.code != nearest)
    contact_policy = next((p for p in ordered if p.contact_clause), None)
    text = f"I can't find that in the school's policies ({names}), so I won't guess."
    contact = None
    if contact_policy:
        clause = contact_policy.clause(contact_policy.contact_clause)
        contact = citation(clause, title=contact_policy.title)
        text += f" Please ask {contact_policy.contact_name} ({cite(clause)}): “{clause.text}”"
    payload = {"covered": False, "question": question, "citations": [], "contact": contact, "notices": []}
    if topic:
        payload["topic"] = topic  # the policy section nearest the question (how the desk groups the gaps)
    return Answer(text, payload)
