"""Reading when something happened: every phrase at many fixed clocks, never a time after now."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from bot.incidents import form as rf
from bot.incidents.moments import SchoolDay, week_start

LONDON = ZoneInfo("Europe/London")
DAY = SchoolDay()  # 08:45, lunch 12:00, 15:15

CLOCKS = {
    "00:30": datetime(2026, 11, 26, 0, 30, tzinfo=LONDON),
    "07:15": datetime(2026, 11, 26, 7, 15, tzinfo=LONDON),
    "08:59": datetime(2026, 11, 26, 8, 59, tzinfo=LONDON),
    "12:00": datetime(2026, 11, 26, 12, 0, tzinfo=LONDON),
    "15:30": datetime(2026, 11, 26, 15, 30, tzinfo=LONDON),
    "23:59": datetime(2026, 11, 26, 23, 59, tzinfo=LONDON),
    "a Monday": datetime(2026, 11, 23, 10, 0, tzinfo=LONDON),
    "1 January": datetime(2027, 1, 1, 7, 15, tzinfo=LONDON),
    "clocks back, first 01:30": datetime(2026, 10, 25, 1, 30, tzinfo=LONDON),
    "clocks back, second 01:30": datetime(2026, 10, 25, 1, 30, fold=1, tzinfo=LONDON),
    "clocks forward, 03:00": datetime(2026, 3, 29, 3, 0, tzinfo=LONDON),
}
PHRASES = (
    "this morning", "this afternoon", "tonight", "this evening", "at lunch", "lunchtime", "at break",
    "before school", "after school", "earlier", "earlier today", "today", "last night", "yesterday morning",
    "yesterday after school", "Monday", "on Tuesday after school", "last Friday", "Friday at 3pm",
    "Sunday night", "last week", "at 3pm", "about 10:30", "just now", "2 hours ago", "yesterday at 3pm",
    "the day before yesterday", "a few minutes ago", "3 days ago", "12/11/2026",
)


def as_moment(value: str) -> tuple[datetime, datetime]:
    """The earliest and latest instant a stored value can stand for."""
    monday = week_start(value)
    if monday:
        start = datetime.combine(monday, datetime.min.time(), LONDON)
        return start, start + timedelta(days=7)
    if len(value) == 10:
        start = datetime.combine(date.fromisoformat(value), datetime.min.time(), LONDON)
        return start, start
    moment = datetime.fromisoformat(value)
    return moment, moment


@pytest.mark.parametrize("clock", CLOCKS)
@pytest.mark.parametrize("phrase", PHRASES)
def test_every_phrase_at_every_hour_is_in_the_past(phrase, clock):
    now = CLOCKS[clock]
    if phrase == "12/11/2026" and now.year != 2026 or phrase == "12/11/2026" and now.month < 11:
        pytest.skip("a fixed date only means the past after it")
    value = rf.read_when(phrase, LONDON, now, DAY)
    earliest, latest = as_moment(value)
    assert latest.astimezone(timezone.utc) <= now.astimezone(timezone.utc) + rf.FUTURE_GRACE, value
    if week_start(value):
        assert latest.date() <= now.date()
    elif phrase != "12/11/2026":
        assert now - earliest <= timedelta(days=8), f"{phrase!r} at {clock} read as {value}, too long ago"


@pytest.mark.parametrize("phrase, clock, expected", [
    # the current period, its usual time still ahead: earlier today
    ("this morning", "07:15", "2026-11-26"),
    ("this morning", "00:30", "2026-11-26"),
    ("this morning", "08:59", "2026-11-26T08:45+00:00"),
    # a period that has not started yet today: the most recent one
    ("this afternoon", "07:15", "2026-11-25T14:00+00:00"),
    ("tonight", "07:15", "2026-11-25T19:00+00:00"),
    ("tonight", "00:30", "2026-11-25T19:00+00:00"),
    ("tonight", "23:59", "2026-11-26T19:00+00:00"),
    ("at lunch", "08:59", "2026-11-25T12:00+00:00"),
    ("at lunch", "12:00", "2026-11-26T12:00+00:00"),
    ("after school", "12:00", "2026-11-25T15:15+00:00"),
    ("after school", "15:30", "2026-11-26T15:15+00:00"),
    ("before school", "07:15", "2026-11-26"),
    ("last night", "00:30", "2026-11-25T21:00+00:00"),
    ("earlier", "00:30", "2026-11-26"),
    ("this morning at 7am", "07:15", "2026-11-26T07:00+00:00"),
    ("just now", "clocks back, first 01:30", "2026-10-25T01:30+01:00"),
    ("an hour ago", "clocks back, second 01:30", "2026-10-25T01:30+01:00"),
    ("at 3pm", "12:00", "2026-11-25T15:00+00:00"),
    ("at 3pm", "15:30", "2026-11-26T15:00+00:00"),
    # weekday names: the most recent such day, today's only once that time has passed
    ("Monday", "a Monday", "2026-11-23"),
    ("Monday after school", "a Monday", "2026-11-16T15:15+00:00"),
    ("Monday at 9am", "a Monday", "2026-11-23T09:00+00:00"),
    ("last Monday", "a Monday", "2026-11-16"),
    ("on Tuesday after school", "07:15", "2026-11-24T15:15+00:00"),
    ("Friday at 3pm", "1 January", "2026-12-25T15:00+00:00"),
    ("last week", "07:15", "week:2026-11-16"),
    ("last week", "1 January", "week:2026-12-21"),
    ("yesterday at 3pm", "1 January", "2026-12-31T15:00+00:00"),
    # the nights the clocks change
    ("last night", "clocks back, second 01:30", "2026-10-24T21:00+01:00"),
    ("this morning", "clocks back, second 01:30", "2026-10-25"),
    ("yesterday morning", "clocks forward, 03:00", "2026-03-28T08:45+00:00"),
    ("tonight", "clocks forward, 03:00", "2026-03-28T19:00+00:00"),
])
def test_what_each_phrase_means(phrase, clock, expected):
    assert rf.read_when(phrase, LONDON, CLOCKS[clock], DAY) == expected


def test_a_time_said_for_today_that_is_still_ahead_is_refused_not_moved():
    with pytest.raises(rf.AnswerProblem, match="in the future"):
        rf.read_when("this afternoon at 3pm", LONDON, CLOCKS["12:00"], DAY)
    with pytest.raises(rf.AnswerProblem, match="in the future"):
        rf.read_when("today at 4pm", LONDON, CLOCKS["15:30"], DAY)
    with pytest.raises(rf.AnswerProblem, match="in the future"):
        rf.read_when("this morning at 7am", LONDON, CLOCKS["00:30"], DAY)


def test_the_school_day_is_a_setting():
    late_school = SchoolDay.parse("09:30", "13:00", "16:00")
    assert rf.read_when("after school", LONDON, CLOCKS["15:30"], late_school) == "2026-11-25T16:00+00:00"
    assert rf.read_when("at lunch", LONDON, CLOCKS["12:00"], late_school) == "2026-11-25T13:00+00:00"
    with pytest.raises(ValueError, match="order"):
        SchoolDay.parse("12:00", "09:00", "15:00")


def test_a_week_is_shown_and_stored_as_a_week():
    assert rf.shown_when("week:2026-11-16", LONDON) == "the week of Monday 16 November 2026"
    assert rf.moment_of("week:2026-11-16", LONDON) is None


def test_impossible_clock_times_are_refused():
    for text in ("at 25:00", "at 13pm"):
        with pytest.raises(rf.AnswerProblem, match="couldn't read"):
            rf.read_when(text, LONDON, CLOCKS["12:00"], DAY)
