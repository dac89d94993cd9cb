"""What a reporter is told once their report is saved: the truth about who has been told, and what happens next.

A notice waits in the outbox until the worker delivers it, so the receipt never says "sent": it says who will be
told and how, and, when no way of telling someone is set up, that nobody has been told automatically and who to
tell in person. What happens next names the Designated Safeguarding Lead from the contacts file and, for parents
and pupils, the outside services the kind of report calls for (CEOP, Report Remove, Childline).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.incidents.contacts import Contacts, Person
from bot.records import Incident

CEOP = "CEOP (www.ceop.police.uk), the police's child online protection service"
REPORT_REMOVE = "Report Remove from Childline and the IWF (www.childline.org.uk/remove)"
CHILDLINE = "Childline on 0800 1111"
HOW = {"email": "email", "slack": "Slack", "teams": "Teams"}


def reachable_on(person: Person, channels_on: Collection[str]) -> list[str]:
    """The set-up channels a person can be told on."""
    addresses = {"email": person.email, "slack": person.slack_user, "teams": person.teams_user}
    return [channel for channel, address in addresses.items() if address and channel in channels_on]


def _names(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def who_is_told(people: list[Person], channels_on: Collection[str]) -> str:
    told = [(p.name, reachable_on(p, channels_on)) for p in people]
    reached = [f"{name} (by {_names([HOW[c] for c in ways])})" for name, ways in told if ways]
    unreached = [name for name, ways in told if not ways]
    lines = []
    if reached:
        lines.append(f"{_names(reached)} will be told as soon as the notice is delivered.")
    if unreached:
        lines.append(f"This assistant has no way set up yet to tell {_names(unreached)}, so nobody has been told "
                     f"automatically: please tell {_names(unreached)} yourself, or the school office.")
    return " ".join(lines)


def what_happens_next(category: str, role: str, urgent: bool, dsl: Person, deputies: list[str] | None = None) -> str:
    if role == "pupil":
        text = ("What happens next: a grown-up at school will read your report and help. If you feel worried, "
                f"talk to a grown-up you trust, or call {CHILDLINE} (free, any time).")
        if category == "sexting":
            text += f" If a picture of you is online, {REPORT_REMOVE} can help get it taken down."
        return text
    if role == "parent":
        text = ("What happens next: the school will look at your report and may contact you using the details "
                f"you gave; {dsl.name} is told about anything that puts a child at risk.")
        if category == "cyberbullying":
            text += (" If it happened outside the school day you can also report it to the site or app, and to "
                     f"{CEOP} or the police (D200 8.3).")
        if category == "sexting":
            text += (f" If a nude image of a child under 18 is online, {REPORT_REMOVE} can help get it taken down; "
                     f"if an adult asked for or shared it, report it to {CEOP} or the police.")
        if category == "child_at_risk":
            text += f" If an adult has contacted a child online in a sexual way, you can also report it to {CEOP}."
        return text
    text = f"What happens next: {dsl.name} and the people above decide what is done, and may contact you."
    if deputies:
        text += f" If {dsl.name} is away, {_names(deputies)} will pick it up."
    if urgent or category in ("child_at_risk", "sexting"):
        text += (" Don't investigate or question anyone yourself; write down what you saw and heard, and give it to "
                 f"{dsl.name}.")
    return text


def receipt(reference: str, category: str, role: str, urgent: bool, people: list[Person], contacts: Contacts,
            channels_on: Collection[str]) -> str:
    dsl = contacts.dsl
    parts = [f"Thank you. Your report is saved as {reference}.", who_is_told(people, channels_on),
             what_happens_next(category, role, urgent, dsl, [p.name for p in contacts.escalation([])]),
             "Keep the reference: the school will use it if they contact you. The details are now cleared from "
             "this chat."]
    if urgent:
        parts.insert(0, f"If you haven't yet: call 999 and tell {dsl.name} in person now.")
    return " ".join(p for p in parts if p)


def status_line(incident: Incident, zone: ZoneInfo, escalate_minutes: int) -> str:
    """What a reporter is told about their own report: when it was made and whether anyone has picked it up, never
    its content or who read it."""
    def when(moment: datetime) -> str:
        return moment.astimezone(zone).strftime("%d %b at %H:%M")

    made = f"{incident.reference}, made on {when(incident.created_at)}"
    marks = {e.action: e.at for e in incident.audit}
    if incident.status == "closed":
        return f"{made}: the school has dealt with it and closed it (on {when(marks.get('closed', incident.updated_at))})."
    if incident.status == "acknowledged":
        return (f"{made}: the school has seen it and is dealing with it (acknowledged on "
                f"{when(marks.get('acknowledged', incident.updated_at))}).")
    waiting = f"{made}: not acknowledged yet."
    if incident.urgent:
        waiting += (" It is URGENT: if nobody acknowledges it within {} minutes it goes to the next contact. If a child "
                    "is in danger now, call 999.").format(escalate_minutes)
    return waiting
