"""What a notification says: the reference, the kind of report and its urgency, never the details.

The details stay in the incident system; the person told looks them up on the desk (a link when DESK_URL is
set) or with `policybot incidents show REF`.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.incidents.categories import BY_KEY
from bot.incidents.contacts import Person
from bot.records import Incident, OutboxMessage


def subject_for(incident: Incident) -> str:
    urgency = "URGENT: " if incident.urgent else ""
    return f"{urgency}New report {incident.reference}: {BY_KEY[incident.category].label}"


def desk_link(desk_url: str, incident: Incident) -> str:
    """The report's page on the desk (DESK_URL), or "" when the desk's address is not set."""
    return f"{desk_url.rstrip('/')}/reports/{incident.reference}" if desk_url else ""


def body_for(incident: Incident, person: Person, zone: ZoneInfo, channel: str = "email", desk_url: str = "") -> str:
    """The notice, worded for where it is read: a letter by email; in Slack or Teams a short message whose
    Acknowledge button does what the email's command does. With the desk's address, a link to the report there
    (behind its sign-in; the link itself says nothing)."""
    category = BY_KEY[incident.category]
    received = incident.created_at.astimezone(zone).strftime("%d %b %Y at %H:%M")
    facts = [
        f"Reference: {incident.reference}",
        f"Kind of report: {category.label}",
        f"Urgency: {'URGENT - someone may be in immediate danger' if incident.urgent else 'normal'}",
        f"Received: {received}",
    ]
    if channel == "email":
        lines = [
            f"Dear {person.name},",
            "",
            f"A new report has been made through the policy assistant and routed to you under the Social Media "
            f"Policy (D200 {', '.join(category.clauses)}).",
            "",
            *facts,
            "",
            "The details are kept in the incident system, not in this email. To read the report:",
            *([f"    on the safeguarding desk: {desk_link(desk_url, incident)}", "or"] if desk_url else []),
            f"    policybot incidents show {incident.reference}",
            f"and to acknowledge it:  policybot incidents ack {incident.reference}",
        ]
    else:
        lines = [
            f"A new report has been routed to you under the Social Media Policy (D200 {', '.join(category.clauses)}).",
            *facts,
            "The details are kept in the incident system, not in this message: read them "
            + (f"on the safeguarding desk, {desk_link(desk_url, incident)}, or " if desk_url else "")
            + f"with `policybot incidents show {incident.reference}`. Press Acknowledge below when you have picked "
              "it up.",
        ]
    if incident.urgent:
        lines += ["", "The reporter was told to call 999 and to tell the Designated Safeguarding Lead in person now."]
    return "\n".join(lines) + "\n"


WHY = {
    "unacknowledged": "This URGENT report has not been acknowledged by the people it was sent to, "
                      "{minutes} minutes after it was made. You are the next contact: please make sure someone "
                      "is dealing with it now.",
    "undelivered": "A notice about this report could not be delivered to {names}. You are the next contact: "
                   "please make sure they know, or deal with it yourself.",
    "burst": "One person has made {count} reports through the assistant within an hour; further reports from them "
             "are refused for now. Please check whether someone needs help, or whether the reports are misuse.",
}


def alert_for(incident: Incident, person: Person, zone: ZoneInfo, reason: str, channel: str = "email",
              desk_url: str = "", **facts: object) -> tuple[str, str]:
    """Subject and body of an escalation or alert about `incident`: why the person is told, then the usual notice."""
    subject = {"burst": f"Many reports from one person (latest {incident.reference})"}.get(
        reason, f"ESCALATED: {subject_for(incident)}")
    return subject, WHY[reason].format(**facts) + "\n\n" + body_for(incident, person, zone, channel, desk_url)


def messages_for(incident: Incident, people: list[Person], zone: ZoneInfo, reason: str | None = None,
                 at: datetime | None = None, desk_url: str = "", **facts: object) -> list[OutboxMessage]:
    """One outbox row for each person and each channel they can be reached on: the notice of a new report, or
    (with `reason`) an escalation or alert about it, due at `at`."""
    due = at or incident.created_at
    messages = []
    for person in people:
        for channel, address in (("email", person.email), ("slack", person.slack_user),
                                 ("teams", person.teams_user)):
            subject, body = (alert_for(incident, person, zone, reason, channel, desk_url, **facts) if reason
                             else (subject_for(incident), body_for(incident, person, zone, channel, desk_url)))
            if address:
                messages.append(OutboxMessage(
                    incident_id=incident.id, channel=channel, recipient=address, recipient_name=person.name,
                    subject=subject, body=body, status="pending", attempts=0, next_attempt_at=due, created_at=due,
                ))
    return messages
