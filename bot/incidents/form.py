"""Reading and checking the answers of the incident report conversation (no Rasa here).

Each `read_*` takes what the person typed and returns the value to keep, or raises
`AnswerProblem` with a friendly message saying what to type instead.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.incidents import moments
from bot.incidents.categories import BY_KEY
from bot.incidents.moments import SchoolDay
from bot.incidents.service import IncidentDraft
from bot.incidents.slots import BY_NAME, CORRECTION_ORDER

FUTURE_GRACE = timedelta(minutes=5)
TIME_GIVEN = re.compile(r"\d[:.]\d\d|\d\s*(am|pm)\b|\b(morning|afternoon|evening|tonight|night|noon|midday|midnight|"
                        r"ago|now|just now|lunch ?time|break ?time|o'?clock)\b", re.I)
ROLE_WORDS = {
    "ex-pupil": r"\b(ex[- ]?pupils?|former (pupil|student)s?|old (pupil|student)s?|ex[- ]?students?|left the school)\b",
    "pupil": r"\b(pupils?|students?|child(ren)?|kids?|sons?|daughters?|boys?|girls?|year \d+|classmates?|friends?)\b",
    "staff": r"\b(staff|teachers?|ta|teaching assistants?|coach|head ?teacher|colleagues?|member of staff|volunteers?)\b",
    "parent": r"\b(parents?|carers?|mum|mom|dad|mother|father|guardians?|step ?(mum|dad))\b",
    "unknown": r"\b(don'?t know|not sure|unknown|anonymous|stranger|someone i don'?t know)\b",
}
REPORTER_ROLES = {"staff": r"\b(staff|teacher|ta|colleague|volunteer|governor)\b",
                  "parent": r"\b(parent|carer|mum|mom|dad|guardian)\b",
                  "pupil": r"\b(pupil|student|child|i'?m in year)\b"}
LOCATIONS = {
    "premises": r"\b(on (school )?premises|in school|at school|in (the )?(classroom|playground|lesson|ict suite)|"
                r"on (a|the) school)\b",
    "school_day": r"\b(school day|school hours|during (the )?day|at break|lunch ?time|in (a )?lesson)\b",
    "outside": r"\b(outside|at home|evening|weekend|night|holiday|after school|out of school)\b",
    "not_sure": r"\b(not sure|don'?t know|unsure)\b",
}
LOCATION_LABELS = {"premises": "on school premises", "school_day": "during the school day, not on premises",
                   "outside": "outside school and the school day", "not_sure": "not sure"}
IMAGE = re.compile(r"data:image/|\.(jpe?g|png|gif|heic|webp|bmp|mp4|mov)\b|\b(imgur|snapchat\.com/add)\b", re.I)
DANGER = re.compile(
    r"\b(in danger|immediate danger|danger right now|going to (hurt|kill)|hurt (him|her|them)sel(f|ves)|"
    r"kill (him|her|them)sel(f|ves)|suicid\w*|self[- ]harm\w*|run(ning)? away|missing|meet(ing)? (a|an|some) "
    r"(stranger|adult|man|woman)|being (abused|hurt) (now|right now))\b", re.I)
CANCEL = re.compile(r"^\W*(cancel|stop|quit|abort|never ?mind|forget it|don'?t (send|save) it)"
                    r"( (it|this|that|the report|my report|reporting))?\W*$", re.I)


LINK = re.compile(r"\b(https?://|www\.)\S+|\b\S+\.(com|co\.uk|org|net|io|ly|me|app)/\S*", re.I)
CANCEL_CONFIRMED = re.compile(r"\bcancel (the|my) (whole )?report\b", re.I)
CARRY_ON = re.compile(r"^\W*(no,? )?(carry on|keep going|continue|go on|don'?t cancel)\W*$", re.I)


class AnswerProblem(ValueError):
    """The answer cannot be used; str() is the message for the person."""


REPORT_WORDS = re.compile(r"\b(report|reporting|log (a|an|this|it|my)|make an? (complaint|report)|raise (a|an|my) "
                          r"(concern|issue)|tell the school about)\b", re.I)
QUESTION = re.compile(r"^\W*(who|what|where|when|which|why|how|should|shall|is|are|am|does|do|did|will|would|"
                      r"must|have|has|whose)\b", re.I)


def asks_to_report(text: str) -> bool:
    """Whether a message asks to make a report ("I need to report something", "report it"), rather than asking a
    question about one ("who do I report it to?", "can I report a parent's post?": answered, with the Report
    this button one tap away) or describing what happened."""
    return bool(REPORT_WORDS.search(text)) and not QUESTION.match(text) and not text.rstrip().endswith("?")


def has_link(text: str) -> bool:
    """A web address (an email address is not one): links are never taken in a report, they may lead to images."""
    return bool(LINK.search(text))


def cancel_confirmed(text: str) -> bool:
    """"Cancel the whole report" (the confirmation button, or said outright): cancel now, without asking."""
    return bool(CANCEL_CONFIRMED.search(text))


def carries_on(text: str) -> bool:
    """"No, carry on": the answer to "Cancel the whole report?" that keeps the report going."""
    return bool(CARRY_ON.match(text))


def is_question(text: str) -> bool:
    """A question asked in the middle of a report ("do I have to give my name?"), not an answer to one."""
    asking = QUESTION.match(text) or re.match(r"^\W*(can|could|may|might)\b", text, re.I)
    return bool(asking) and text.rstrip().endswith("?") and len(text.split()) >= 3


def is_cancel(text: str) -> bool:
    return bool(CANCEL.match(text or ""))


def mentions_danger(text: str) -> bool:
    return bool(DANGER.search(text or ""))


def has_image(text: str) -> bool:
    return bool(IMAGE.search(text or ""))


def read_yes_no(text: str) -> bool:
    lowered = text.strip().lower()
    if re.match(r"^(y|yes|yeah|yep|yup|correct|right|true|it is|they are|send|save|confirm\w*|ok(ay)?)\b", lowered):
        return True
    if re.match(r"^(n|no|nope|nah|not|false|none|nobody|no one|i don'?t think so)\b", lowered):
        return False
    raise AnswerProblem("Please answer yes or no.")


def read_when(text: str, zone: ZoneInfo, now: datetime | None = None, day: SchoolDay | None = None) -> str:
    """An ISO date and time in the school's zone, a day, a week, or "not sure"; never in the future.

    `now` is the clock (the current time when not given), so the reading never depends on the hour it runs.
    """
    if re.search(r"\b(not sure|don'?t know|can'?t remember|unsure|no idea)\b", text, re.I):
        return "not sure"
    now = (now or datetime.now(zone)).astimezone(zone)
    try:
        value = moments.read_relative(text, now, day or SchoolDay())
    except moments.FutureTime as future:
        raise AnswerProblem(f"That's in the future ({shown_when(future.args[0].isoformat(), zone)}). "
                            "When did it happen?") from None
    except moments.UnreadableTime:
        value = None
    if value is not None:
        return value
    return _read_with_dateparser(text, zone, now)


def _read_with_dateparser(text: str, zone: ZoneInfo, now: datetime) -> str:
    import dateparser

    parsed = dateparser.parse(text, languages=["en"], settings={
        "PREFER_DATES_FROM": "past", "DATE_ORDER": "DMY", "TIMEZONE": str(zone), "RETURN_AS_TIMEZONE_AWARE": True,
        "RELATIVE_BASE": now.replace(tzinfo=None), "STRICT_PARSING": False,
    })
    if parsed is None:
        raise AnswerProblem(
            "I couldn't read that as a date. Try something like \"yesterday at 3pm\", \"this morning\", "
            "\"Monday 14:30\" or \"12/11/2026\". If you don't know, say \"not sure\"."
        )
    parsed = parsed.astimezone(zone)
    if parsed > now + FUTURE_GRACE:
        raise AnswerProblem(f"That's in the future ({shown_when(parsed.isoformat(), zone)}). When did it happen?")
    if parsed < now - timedelta(days=366 * 5):
        raise AnswerProblem("That's more than five years ago. Please check the date, or say \"not sure\".")
    if not TIME_GIVEN.search(text):
        return parsed.date().isoformat()  # a day without a time: keep it that way, not "at 00:00"
    return parsed.isoformat(timespec="minutes")


def moment_of(value: str, zone: ZoneInfo) -> datetime | None:
    """The stored answer as an aware datetime (a bare day is midnight at the school; a week has none)."""
    if value == "not sure" or moments.week_start(value):
        return None
    moment = datetime.fromisoformat(value)
    return moment.replace(tzinfo=zone) if moment.tzinfo is None else moment


def shown_when(value: str, zone: ZoneInfo) -> str:
    if value == "not sure":
        return "not sure"
    monday = moments.week_start(value)
    if monday:
        return "the week of " + monday.strftime("%A %d %B %Y")
    moment = moment_of(value, zone)
    if moment is None:  # "not sure" and weeks are shown above; moment_of has no other None
        raise ValueError(f"no moment in {value!r}")
    moment = moment.astimezone(zone)
    return moment.strftime("%A %d %B %Y") if len(value) == 10 else moment.strftime("%A %d %B %Y at %H:%M")


def _matches(table: dict[str, str], text: str) -> list[str]:
    return [key for key, pattern in table.items() if re.search(pattern, text, re.I)]


def read_where(text: str) -> str:
    found = _matches(LOCATIONS, text)
    if not found:
        raise AnswerProblem("Was it on school premises, during the school day but elsewhere, or outside school? "
                            "Or say \"not sure\".")
    return found[0]


def read_people(text: str) -> tuple[str, ...]:
    roles, rest = [], text
    for role, pattern in ROLE_WORDS.items():  # "ex-pupil" is looked for first, then taken out
        if re.search(pattern, rest, re.I):
            roles.append(role)
            rest = re.sub(pattern, " ", rest, flags=re.I)
    if not roles:
        raise AnswerProblem("Who was involved? Say their roles, for example \"a pupil\", \"an ex-pupil\", "
                            "\"a member of staff\" or \"a parent\". Names are optional.")
    return tuple(roles)


def read_text(text: str, what: str, shortest: int, longest: int) -> str:
    cleaned = " ".join(text.split())
    if has_image(cleaned):
        raise AnswerProblem("Please don't send pictures, videos or links to them, here or anywhere: describe "
                            f"it in words instead. {what.capitalize()}?")
    if len(cleaned) < shortest:
        raise AnswerProblem(f"Please tell me a little more: {what}?")
    if len(cleaned) > longest:
        raise AnswerProblem(f"That's longer than I can keep ({len(cleaned)} characters; {longest} at most). "
                            "Please shorten it.")
    return cleaned


def read_reporter_role(text: str) -> str:
    found = _matches(REPORTER_ROLES, text)
    return found[0] if found else "other"


def read_evidence(text: str) -> str:
    lowered = text.lower()
    if re.search(r"\b(screen ?shots?|screen prints?|saved|kept|took)\b", lowered) and not lowered.startswith("no"):
        return "yes"
    return "yes" if read_yes_no(text) else "no"


def correction_target(text: str, asked: list[str]) -> str | None:
    """The question someone wants to answer again ("change the date" -> incident_when)."""
    for slot in CORRECTION_ORDER:
        if slot in asked and re.search(BY_NAME[slot].correction, text, re.I):
            return slot
    return None


def summary(slots: dict, zone: ZoneInfo) -> str:
    category = BY_KEY[slots.get("incident_category") or "other"]
    lines = ["Here is your report. Please check it before I send it:",
             f"- Kind of report: {category.label}",
             f"- Anyone in immediate danger: {'YES (urgent)' if slots.get('incident_danger') else 'no'}",
             f"- When: {shown_when(slots['incident_when'], zone) if slots.get('incident_when') else '-'}"]
    if slots.get("incident_where"):
        lines.append(f"- Where: {LOCATION_LABELS[slots['incident_where']]}")
    if slots.get("incident_people"):
        lines.append(f"- Who was involved: {slots['incident_people']}")
    lines.append(f"- What happened: {slots.get('incident_description') or '-'}")
    if slots.get("incident_evidence"):
        lines.append(f"- Evidence saved: {slots['incident_evidence']}")
    lines.append(f"- Reported by: {slots.get('reporter_name')} ({slots.get('reporter_role')}), "
                 f"contact: {slots.get('reporter_contact')}")
    lines.append("Shall I send it? Say \"yes\" to send, \"change\" and what to change (for example "
                 "\"change the date\"), or \"cancel\" to stop with nothing saved.")
    return "\n".join(lines)


def draft_from_slots(slots: dict, channel: str, channel_user: str, zone: ZoneInfo) -> IncidentDraft:
    when = slots["incident_when"]
    people = slots.get("incident_people")
    return IncidentDraft(
        category=slots["incident_category"],
        occurred_text=shown_when(when, zone),
        occurred_at=moment_of(when, zone),
        location=slots.get("incident_where"),
        people_roles=read_people(people) if people else (),
        people_text=people,
        description=slots["incident_description"],
        evidence_saved=slots.get("incident_evidence"),
        immediate_danger=bool(slots.get("incident_danger")),
        reporter_name=slots["reporter_name"],
        reporter_role=slots["reporter_role"],
        reporter_contact=slots["reporter_contact"],
        channel=channel,
        channel_user=channel_user,
    )
