"""When something happened, read from what a reporter typed: always a moment in the past.

"this morning", "at lunch", "after school", "tonight", "last night", "earlier", "Monday at 3pm",
"last week": the school day's own words, resolved against a clock that is passed in. A period of
the day that has not started yet means the most recent one (yesterday's, or last week's for a
weekday); the current period with its usual time still ahead means "earlier today". Anything else
("12/11/2026 14:30", "2 hours ago") is left to dateparser and checked the same way.

Values are ISO strings: a moment ("2026-11-24T08:45+00:00"), a day ("2026-11-24"), or a week
("week:2026-11-16", the Monday it starts).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
FILLER = re.compile(r"\b(at|on|in|the|earlier|during|around|about|roughly|approx(imately)?|ish|it was|it happened|"
                    r"sometime|some time|just|before|after|time|o'?clock)\b")


@dataclass(frozen=True)
class SchoolDay:
    """The times of the school day that "at lunch" or "after school" stand for (settings)."""

    start: time = time(8, 45)
    lunch: time = time(12, 0)
    end: time = time(15, 15)

    @classmethod
    def parse(cls, start: str, lunch: str, end: str) -> "SchoolDay":
        times = [_clock(value) for value in (start, lunch, end)]
        if not times[0] < times[1] < times[2]:
            raise ValueError("the school day's start, lunch and end must be in that order")
        return cls(*times)

    def periods(self) -> dict[str, tuple[time, time, time]]:
        """Each period's (first minute, end, usual time); an end of 00:00 is midnight."""
        lunch_end = _add(self.lunch, 60)
        return {
            "before school": (time(6), self.start, _add(self.start, -30)),
            "morning": (time(0), time(12), self.start),
            "break": (_add(self.start, 60), self.lunch, _add(self.start, 90)),
            "lunch": (self.lunch, lunch_end, self.lunch),
            "afternoon": (time(12), time(18), max(_add(lunch_end, 60), time(13))),
            "after school": (self.end, time(18), self.end),
            "evening": (time(18), time(0), time(19)),
            "night": (time(18), time(0), time(21)),
        }


PERIOD_WORDS = (  # looked for in this order; the first that matches is taken out of the text
    ("before school", r"before school|first thing"),
    ("after school", r"after school|home ?time|end of (the )?(school )?day"),
    ("lunch", r"lunch ?(time|break)?|dinner ?time"),
    ("break", r"(morning )?break ?(time)?|play ?time"),
    ("morning", r"morning"),
    ("afternoon", r"afternoon"),
    ("evening", r"evening|tonight"),
    ("night", r"night"),
)
DAY_WORDS = (
    ("last night", r"last night"),
    ("day before yesterday", r"(the )?day before yesterday"),
    ("yesterday", r"yesterday"),
    ("today", r"today|this"),
    ("earlier", r"earlier( on)?( today)?"),
    ("last week", r"last week"),
)
CLOCK = re.compile(r"\b(?:at\s+)?(\d{1,2})(?:[:.](\d\d))?\s*(am|pm|a\.m\.|p\.m\.)?(?=\W|$)|\b(noon|midday|midnight)\b")


class UnreadableTime(ValueError):
    """Not a time this module can place."""


class FutureTime(ValueError):
    """A time after now; args[0] is the moment it was read as."""


AGO = re.compile(r"^(?:(just|right) now|now|a (?:moment|minute|few minutes) ago|"
                 r"(an?|one|two|three|four|five|six|a few|few|\d+)\s*(minutes?|mins?|hours?|hrs?|days?|weeks?) ago)$")
NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "a few": 3, "few": 3}
UNITS = {"m": timedelta(minutes=1), "h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1)}


def read_relative(text: str, now: datetime, day: SchoolDay) -> str | None:
    """The value for a school-day phrase, or None when the text is not one (try dateparser then)."""
    ago = AGO.match(" ".join(text.lower().replace("~", "").split()).strip(" .!"))
    if ago:  # counted back in real time, so the night the clocks change is no different
        count = NUMBERS.get(ago.group(2) or "", None) or (int(ago.group(2)) if ago.group(2) else 0)
        moment = now.astimezone(timezone.utc) - count * UNITS[ago.group(3)[0]] if ago.group(3) else now
        if ago.group(3) and ago.group(3)[0] in "dw":
            return moment.astimezone(now.tzinfo).date().isoformat()
        return moment.astimezone(now.tzinfo).isoformat(timespec="minutes")
    words = " " + re.sub(r"[^\w:.' ]+", " ", text.lower()).strip(" .") + " "
    found: dict[str, str] = {}
    for kind, table in (("day", DAY_WORDS), ("period", PERIOD_WORDS)):
        for name, pattern in table:
            match = re.search(rf"\b({pattern})\b", words)
            if match:
                found[kind] = name
                words = words[:match.start()] + " " + words[match.end():]
                break
    weekday = re.search(r"\b(last\s+)?(" + "|".join(WEEKDAYS) + r")s?\b", words)
    if weekday:
        words = words[:weekday.start()] + " " + words[weekday.end():]
    clock = CLOCK.search(words)
    if clock:
        words = words[:clock.start()] + " " + words[clock.end():]
    if FILLER.sub(" ", words).strip() or not (found or weekday or clock):
        return None
    if weekday and found.get("day") not in (None, "earlier"):
        return None  # "yesterday Monday": contradictory, let dateparser try
    local = now.astimezone(now.tzinfo)
    if found.get("day") == "last week":
        if weekday or clock or "period" in found:
            return None
        return "week:" + (local.date() - timedelta(days=local.weekday() + 7)).isoformat()
    period = "night" if found.get("day") == "last night" else found.get("period")
    at = _clock_time(clock, period) if clock else None
    if weekday:
        return _on_weekday(WEEKDAYS.index(weekday.group(2)), bool(weekday.group(1)), period, at, local, day)
    offset = {"last night": 1, "day before yesterday": 2, "yesterday": 1}.get(found.get("day", ""), 0)
    said_today = found.get("day") == "today"
    return _on_day(local.date() - timedelta(days=offset), period, at, local, day, may_roll=offset == 0,
                   strict_clock=said_today and at is not None)


def _on_day(on: date, period: str | None, at: time | None, now: datetime, day: SchoolDay,
            may_roll: bool, strict_clock: bool) -> str:
    zone = now.tzinfo
    if at is not None:
        moment = _local(on, at, zone)
        if _after(moment, now):
            if strict_clock or not may_roll:
                raise FutureTime(moment)
            moment = _local(on - timedelta(days=1), at, zone)
        return moment.isoformat(timespec="minutes")
    if period is None:
        return on.isoformat()  # "earlier", "today": the day, no time
    first, _end, usual = day.periods()[period]
    if on == now.date() and may_roll:
        if _after(_local(on, first, zone), now):  # not started yet today: the most recent one
            return _local(on - timedelta(days=1), usual, zone).isoformat(timespec="minutes")
        if _after(_local(on, usual, zone), now):  # under way, its usual time still ahead
            return on.isoformat()
    return _local(on, usual, zone).isoformat(timespec="minutes")


def _on_weekday(index: int, last: bool, period: str | None, at: time | None, now: datetime,
                day: SchoolDay) -> str:
    back = (now.weekday() - index) % 7 or (7 if last else 0)
    on = now.date() - timedelta(days=back)
    if back == 0:  # today's name: today if that time has passed, else the same day last week
        moment_at = at or (day.periods()[period][2] if period else None)
        if moment_at is None:
            return on.isoformat()
        if _after(_local(on, moment_at, now.tzinfo), now):
            on -= timedelta(days=7)
    return _on_day(on, period, at, now, day, may_roll=False, strict_clock=False)


def _clock_time(match: re.Match, period: str | None) -> time:
    if match.group(4):
        return {"noon": time(12), "midday": time(12), "midnight": time(0)}[match.group(4)]
    hour, minute, half = int(match.group(1)), int(match.group(2) or 0), (match.group(3) or "").replace(".", "")
    if hour > 23 or minute > 59 or (half and not 1 <= hour <= 12):
        raise UnreadableTime(match.group(0))
    if half:
        hour = hour % 12 + (12 if half == "pm" else 0)
    elif hour < 12 and (period in ("afternoon", "after school", "evening", "night") or
                        (period is None and 1 <= hour <= 6)):
        hour += 12  # "at 3" in a school's day, "8 in the evening"
    return time(hour, minute)


def _clock(value: str) -> time:
    try:
        hours, minutes = value.strip().split(":")
        return time(int(hours), int(minutes))
    except ValueError:
        raise ValueError(f"{value!r} is not a time of day like 08:45") from None


def _add(moment: time, minutes: int) -> time:
    total = (moment.hour * 60 + moment.minute + minutes) % (24 * 60)
    return time(total // 60, total % 60)


def _local(on: date, at: time, zone) -> datetime:
    """A wall-clock time at the school, normalised (a time the clocks skip becomes a real one)."""
    naive = datetime.combine(on, at)
    return naive.replace(tzinfo=zone).astimezone(timezone.utc).astimezone(zone)


def _after(moment: datetime, now: datetime) -> bool:
    return moment.astimezone(timezone.utc) > now.astimezone(timezone.utc)


def week_start(value: str) -> date | None:
    return date.fromisoformat(value[5:]) if value.startswith("week:") else None


def zone_of(name: str) -> ZoneInfo:
    return ZoneInfo(name)
