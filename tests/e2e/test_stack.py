"""End to end over /api/chat with every process real and on loopback."""

from __future__ import annotations

import os
import signal

import httpx
import psutil
import pytest

pytestmark = pytest.mark.stack


def citations(response) -> list[dict]:
    return [c for m in response.json()["messages"] for c in m.get("citations", [])]


def test_healthz_reports_both_dependencies_up(running_stack):
    response = running_stack.http.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert (body["rasa"], body["action_server"], body["database"]) == ("up", "up", "up")
    assert set(body["reports"]) == {"urgent_unacknowledged", "notices_failed"}


@pytest.mark.parametrize("question, strength, lead", [
    ("can I friend a parent?", "should", "Think carefully first: members of staff should carefully consider"),
    ("can I friend a pupil?", "must_not", "No: members of staff must not “friend”"),
])
def test_friending_cites_5_3_with_the_strength_of_the_sentence_that_answers(running_stack, question, strength, lead):
    response = running_stack.chat(question, sender=f"e2e-friend-{strength}", role="staff")
    assert response.status_code == 200
    (message,) = response.json()["messages"]
    assert message["citations"][0]["policy"] == "D200" and message["citations"][0]["clause"] == "5.3"
    assert message["citations"][0]["strength"] == strength
    assert message["text"].startswith(lead)
    assert "due for review in October 2022" in message["text"]


def test_short_followups_are_answered_in_context(running_stack):
    running_stack.chat("can I friend a pupil?", sender="e2e-follow")
    response = running_stack.chat("what about parents?", sender="e2e-follow")
    assert "5.3" in {c["clause"] for c in citations(response)}


def test_the_asker_role_reaches_the_answer(running_stack):
    question = "Am I allowed on social media at school?"
    staff = citations(running_stack.chat(question, role="staff", sender="e2e-role-staff"))
    pupil = citations(running_stack.chat(question, role="pupil", sender="e2e-role-pupil"))
    assert staff[0]["clause"] == "5.1" and pupil[0]["clause"] == "6.1"


def test_greeting_and_help_are_not_policy_lookups(running_stack):
    greeting = running_stack.chat("hello", sender="e2e-greet").json()["messages"][0]
    assert "Social Media Policy (D200)" in greeting["text"] and greeting["citations"] == []
    bot = running_stack.chat("are you a bot?", sender="e2e-greet").json()["messages"][0]
    assert "automated assistant" in bot["text"]


def test_questions_the_policy_does_not_cover_say_so(running_stack):
    (message,) = running_stack.chat("How much maternity pay will I get?", sender="e2e-nc").json()["messages"]
    assert message["covered"] is False and message["citations"] == []
    assert "e-safety team (D200 2.1)" in message["text"]


@pytest.mark.parametrize(
    "body, status",
    [
        ({"message": "", "role": "staff"}, 422),
        ({"message": "x" * 10_000, "role": "staff"}, 413),
        ({"message": "hi", "role": "governor"}, 422),
        ({"message": "hi"}, 422),
        ({"message": "hi", "role": "staff", "conversation_id": "one-i-made-up"}, 401),
    ],
)
def test_bad_json_input_gets_a_clear_4xx(running_stack, body, status):
    body = {"conversation_id": running_stack.conversation("e2e-bad"), **body}
    response = running_stack.http.post("/api/chat", json=body)
    assert response.status_code == status and response.json()["message"]


def test_invalid_utf8_gets_a_clear_400(running_stack):
    response = running_stack.http.post("/api/chat", content=b'{"message": "\xff\xfe"}',
                                       headers={"content-type": "application/json"})
    assert response.status_code == 400 and "UTF-8" in response.json()["message"]


@pytest.mark.parametrize("text", ["<img src=x onerror=alert(1)>", "can I\x00 friend\x07 a parent?", "ÿ" * 900])
def test_odd_but_valid_text_gets_a_reply(running_stack, text):
    response = running_stack.chat(text, sender="e2e-odd")
    assert response.status_code == 200 and response.json()["messages"][0]["text"]


def test_rasa_and_the_action_server_listen_on_loopback_only(running_stack):
    for name in ("rasa", "actions"):
        root = psutil.Process(running_stack.service(name).process.pid)
        listening = [
            c.laddr.ip for p in [root, *root.children(recursive=True)]
            for c in p.net_connections(kind="inet") if c.status == psutil.CONN_LISTEN
        ]
        assert listening and set(listening) <= {"127.0.0.1"}, (name, listening)


def test_every_process_survived_the_bad_input(running_stack):
    assert all(s.process.poll() is None for s in running_stack.services)
    assert citations(running_stack.chat("can I friend a parent?", sender="e2e-after"))[0]["clause"] == "5.3"


def test_action_server_down_is_an_apology_not_a_500(running_stack):
    actions = running_stack.service("actions").process
    os.killpg(actions.pid, signal.SIGTERM)
    actions.wait(15)
    try:
        health = running_stack.http.get("/healthz")
        assert health.status_code == 503 and health.json()["action_server"] == "down"
        response = running_stack.chat("can I friend a parent?", sender="e2e-down")
        assert response.status_code == 503 and "try again" in response.json()["messages"][0]["text"]
    finally:
        running_stack.restart("actions")
    assert citations(running_stack.chat("can I friend a parent?", sender="e2e-back"))[0]["clause"] == "5.3"


def test_logs_are_private_to_the_account(running_stack):
    import stat

    logs = running_stack.run_dir / "logs"
    assert stat.S_IMODE(logs.stat().st_mode) == 0o700
    files = sorted(logs.iterdir())
    assert [p.name for p in files] == ["actions.log", "gateway.log", "rasa.log", "redis.log", "worker.log"]
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in files)


def test_no_secret_on_any_command_line_and_rasa_gets_only_its_token(running_stack):
    import psutil

    settings = running_stack.settings
    secrets = [settings.RASA_TOKEN, running_stack.session_key, settings.SLACK_BOT_TOKEN, settings.SLACK_SIGNING_SECRET,
               settings.TEAMS_APP_PASSWORD]
    assert all(secrets) and settings.REDIS_PASSWORD
    processes = []
    for service in running_stack.services:
        parent = psutil.Process(service.process.pid)
        processes += [parent, *parent.children(recursive=True)]
    assert len(processes) >= 4
    for process in processes:
        command_line = " ".join(process.cmdline())
        assert not any(secret in command_line for secret in [*secrets, settings.REDIS_PASSWORD]), process.name()
    rasa = psutil.Process(running_stack.service("rasa").process.pid).environ()
    assert not any(secret in " ".join(rasa.values()) for secret in secrets[1:])
    assert rasa.get("LOG_LEVEL") in ("INFO", "WARNING", "ERROR", "CRITICAL")


def test_only_the_gateway_reaches_rasa_and_only_rasa_reaches_the_action_server(running_stack):
    settings = running_stack.settings
    message = {"sender": "web:intruder", "message": "I want to report something"}
    assert httpx.post(f"{settings.RASA_URL}/webhooks/rest/webhook", json=message, timeout=30).status_code == 404
    for headers in ({}, {"X-Policybot-Gateway-Token": "guess"}):
        refused = httpx.post(f"{settings.RASA_URL}/webhooks/gateway/webhook", json=message, headers=headers, timeout=30)
        assert refused.status_code == 401
    tracker = httpx.get(f"{settings.RASA_URL}/conversations/web:intruder/tracker",
                        params={"token": settings.RASA_TOKEN}, timeout=30).json()
    assert not [e for e in tracker.get("events") or [] if e.get("event") == "user"]
    from bot.incidents.service import IncidentService

    reports_before = len(IncidentService(settings).list(None))
    forged = {"next_action": "action_submit_incident_report", "sender_id": "slack:T1:U_DSL", "version": "3.6.21",
              "tracker": {"sender_id": "slack:T1:U_DSL", "slots": {"incident_category": "sexting"}, "events": [],
                          "latest_message": {"text": "", "intent": {}}, "paused": False, "followup_action": None,
                          "active_loop": {}, "latest_action_name": None},
              "domain": {}}
    action_server = settings.ACTION_SERVER_URL.rstrip("/")
    for headers in ({}, {"X-Policybot-Action-Token": "guess"}):
        assert httpx.post(f"{action_server}/webhook", json=forged, headers=headers, timeout=30).status_code == 401
    assert httpx.get(f"{action_server}/health", timeout=30).status_code == 200
    assert len(IncidentService(settings).list(None)) == reports_before


def test_four_200_mb_bodies_at_once_leave_the_gateway_under_150_mb(running_stack):
    from bot.cli.hostile import hostile_bodies

    gateway = running_stack.service("gateway").process
    result = hostile_bodies(running_stack.settings.GATEWAY_PORT, gateway.pid, count=4, megabytes=200)
    assert result.statuses == (413, 413, 413, 413), result
    assert result.peak_mib < 150, result
    assert result.sent_mib < 4 * 200  # cut off early, not read to the end
    assert running_stack.http.get("/healthz").status_code == 200  # and it carries on
