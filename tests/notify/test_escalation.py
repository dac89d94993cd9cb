"""Reports nobody picks up: URGENT ones unacknowledged after URGENT_ESCALATE_MINUTES and ones whose notice failed
go to the contacts file's `escalate` people, once, with an audit entry; /healthz says degraded meanwhile."""

from __future__ import annotations

import logging
from datetime import timedelta

import httpx
from fastapi.testclient import TestClient

from bot.cli.stack import free_port
from bot.gateway.app import create_app
from bot.incidents.service import IncidentService, as_utc
from bot.notify.escalation import escalate_due, problems
from bot.notify.outbox import Outbox
from bot.settings import Settings
from tests.support.incidents import draft


def settings_for(tmp_path, **more) -> Settings:
    return Settings(DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}", URGENT_ESCALATE_MINUTES=15, **more)


def urgent_report(service: IncidentService, key: str = "u1"):
    return service.submit(draft(category="child_at_risk", immediate_danger=True,
                                description="He said someone will hurt him tonight"), key)


def test_an_urgent_report_nobody_acknowledges_goes_to_the_next_contact_once(tmp_path, caplog):
    settings = settings_for(tmp_path)
    service = IncidentService(settings)
    incident = urgent_report(service)
    made = as_utc(incident.created_at)
    assert escalate_due(service.db, settings, service.contacts, made + timedelta(minutes=14)) == []
    assert problems(service.db, settings, made + timedelta(minutes=14)).any is False

    with caplog.at_level(logging.WARNING, logger="bot.notify.escalation"):
        [done] = escalate_due(service.db, settings, service.contacts, made + timedelta(minutes=16))
    assert (done.reference, done.reason, done.told) == (incident.reference, "unacknowledged",
                                                         ("Elena Ponsen (Headteacher)",))
    assert f"ATTENTION: report {incident.reference} is URGENT and not acknowledged after 15 minutes" in caplog.text
    assert "hurt" not in caplog.text
    stored = service.get(incident.reference)
    escalations = [m for m in stored.notifications if m.subject.startswith("ESCALATED")]
    assert [m.recipient for m in escalations] == ["headteacher@norrisbank.example"]
    assert "not been acknowledged" in escalations[0].body and "hurt" not in escalations[0].body
    assert [e.action for e in stored.audit][-1] == "escalated"
    assert service.verify_audit().intact
    assert escalate_due(service.db, settings, service.contacts, made + timedelta(minutes=60)) == []  # once
    assert problems(service.db, settings, made + timedelta(minutes=16)).urgent_unacknowledged == 1

    service.change_status(incident.reference, "acknowledged", "dsl")
    assert problems(service.db, settings, made + timedelta(minutes=60)).any is False


def test_an_acknowledged_or_ordinary_report_is_never_escalated(tmp_path):
    settings = settings_for(tmp_path)
    service = IncidentService(settings)
    urgent = urgent_report(service)
    service.change_status(urgent.reference, "acknowledged", "dsl")
    service.submit(draft(), "ordinary")
    later = as_utc(urgent.created_at) + timedelta(days=2)
    assert escalate_due(service.db, settings, service.contacts, later) == []


def test_a_notice_the_outbox_gives_up_on_is_escalated_and_shows_on_healthz(tmp_path):
    closed_port = free_port()  # nothing listens: every delivery is refused
    settings = settings_for(tmp_path, SMTP_HOST="127.0.0.1", SMTP_PORT=closed_port, OUTBOX_MAX_ATTEMPTS=1,
                            SESSION_SECRET="s", RASA_TOKEN="t")
    service = IncidentService(settings)
    incident = service.submit(draft(category="cyberbullying"), "b1")
    assert Outbox(settings).deliver_due() == 0
    [failed] = service.get(incident.reference).notifications
    assert failed.status == "failed"

    now = as_utc(incident.created_at) + timedelta(minutes=1)
    [done] = escalate_due(service.db, settings, service.contacts, now)
    assert done.reason == "undelivered" and done.told == ("Elena Ponsen (Headteacher)",)
    escalation = service.get(incident.reference).notifications[-1]
    assert "could not be delivered to Senior Leadership Team" in escalation.body

    app = create_app(settings, transport=httpx.MockTransport(lambda request: httpx.Response(200)))
    with TestClient(app) as client:
        health = client.get("/healthz")
    assert health.status_code == 200
    assert health.json() == {"status": "degraded", "rasa": "up", "action_server": "up", "database": "up",
                             "reports": {"urgent_unacknowledged": 0, "notices_failed": 1}}


def test_without_escalation_contacts_the_log_says_to_tell_the_dsl_in_person(tmp_path, caplog):
    contacts = tmp_path / "contacts.yml"
    contacts.write_text("people:\n  dsl: {name: Ann Lee (DSL), email: dsl@school.example}\n"
                        "routes:\n  other: [dsl]\nurgent: [dsl]\n", encoding="utf-8")
    settings = settings_for(tmp_path, CONTACTS_FILE=str(contacts))
    service = IncidentService(settings)
    incident = urgent_report(service)
    with caplog.at_level(logging.WARNING, logger="bot.notify.escalation"):
        [done] = escalate_due(service.db, settings, service.contacts, as_utc(incident.created_at) + timedelta(hours=1))
    assert done.told == () and "names nobody under `escalate`: tell the DSL in person" in caplog.text


def test_make_run_repeats_the_workers_escalations_on_its_own_output(tmp_path):
    from bot.cli.stack import needing_a_person

    log = tmp_path / "worker.log"
    log.write_text("INFO outbox worker started\nWARNING ATTENTION: report INC-2026-0001 is URGENT and not ack", "utf-8")
    assert needing_a_person(log, 0) == ([], len("INFO outbox worker started\n"))  # half a line waits
    with log.open("a", encoding="utf-8") as more:
        more.write("nowledged after 15 minutes; escalated to Deputy DSL\nINFO sent email notification 3\n")
    lines, offset = needing_a_person(log, len("INFO outbox worker started\n"))
    assert lines == ["WARNING ATTENTION: report INC-2026-0001 is URGENT and not acknowledged after 15 minutes; "
                     "escalated to Deputy DSL"]
    assert needing_a_person(log, offset) == ([], offset)
