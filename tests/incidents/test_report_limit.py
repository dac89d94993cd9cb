"""One person's reports are capped at REPORTS_PER_HOUR: the next is refused, and the DSL alerted once an hour."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.incidents.service import IncidentService, TooManyReports, as_utc
from bot.settings import Settings
from tests.support.incidents import draft


def test_the_sixth_report_in_an_hour_is_refused_and_the_dsl_alerted_once(tmp_path):
    service = IncidentService(Settings(DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}", REPORTS_PER_HOUR=5))
    made = [service.submit(draft(channel_user="web:flood"), f"k{i}") for i in range(5)]
    start = as_utc(made[0].created_at)
    with pytest.raises(TooManyReports) as refused:
        service.submit(draft(channel_user="web:flood"), "k5", now=start + timedelta(minutes=10))
    assert refused.value.made == 5
    with pytest.raises(TooManyReports):
        service.submit(draft(channel_user="web:flood"), "k6", now=start + timedelta(minutes=20))
    alerts = [m for m in service.get(made[-1].reference).notifications if m.subject.startswith("Many reports")]
    assert [m.recipient for m in alerts] == ["dsl@norrisbank.example"]  # the urgent contact, once
    assert "5 reports through the assistant within an hour" in alerts[0].body
    assert "friend request" not in alerts[0].body.split("Dear")[0]  # why it is sent, no details of the reports
    assert len(service.list()) == 5

    assert service.submit(draft(channel_user="web:someone-else"), "other").reference  # others are not limited
    assert service.submit(draft(channel_user="web:flood"), "k5", now=start + timedelta(minutes=61)).reference
    assert service.submit(draft(channel_user="web:flood"), "k0").reference == made[0].reference  # a retry, not new
