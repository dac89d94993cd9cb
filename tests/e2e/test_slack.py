"""Slack end to end: signed requests to the gateway's real bolt app, Rasa and the action server on
loopback, and a local fake of Slack's Web API that records what the app sends."""

from __future__ import annotations

import json
import time
from urllib.parse import urlencode

import httpx
import pytest

from bot.incidents.service import IncidentService
from tests.support.fake_slack import BOT_ID, BOT_USER, TEAM, sign
from tests.support.identities import SLACK_SIGNING_SECRET
from tests.support.slack_chat import action, dm, event, new_event_id, post, say_in_dm
from tests.support.waiting import eventually

pytestmark = pytest.mark.stack


def blocks_text(blocks: list[dict]) -> str:
    return json.dumps(blocks, ensure_ascii=False)


def test_a_dm_is_answered_with_blocks_citing_5_3(running_stack, fake_slack):
    response = event(running_stack, dm("UDM1", "can I friend a parent?"))
    assert response.status_code == 200
    [reply] = fake_slack.wait_for(lambda m, b: m == "chat.postMessage" and b.get("channel") == "DUDM1")
    blocks = reply[1]["blocks"]
    assert "D200 5.3" in blocks_text(blocks) and "SHOULD · D200 5.3" in reply[1]["text"]
    buttons = [e for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert {"show_clause_0", "feedback_yes", "feedback_no"} <= {b["action_id"] for b in buttons}


def test_a_mention_is_answered_in_its_thread(running_stack, fake_slack):
    ts = f"{time.time():.6f}"
    event(running_stack, {"type": "app_mention", "channel": "CSTAFF", "user": "UMEN", "ts": ts, "event_ts": ts,
                          "text": f"<@{BOT_USER}> can I friend a parent?", "team": TEAM})
    [reply] = fake_slack.wait_for(lambda m, b: m == "chat.postMessage" and b.get("channel") == "CSTAFF")
    assert reply[1]["thread_ts"] == ts and "D200 5.3" in blocks_text(reply[1]["blocks"])


def test_the_policy_slash_command_answers(running_stack, fake_slack):
    body = urlencode({"command": "/policy", "text": "can I friend a parent?", "user_id": "UCMD", "team_id": TEAM,
                      "channel_id": "CSTAFF", "response_url": f"{fake_slack.url}response/cmd1", "trigger_id": "t"})
    began = time.monotonic()
    response = post(running_stack, body, "application/x-www-form-urlencoded")
    assert response.status_code == 200 and time.monotonic() - began < 3  # acknowledged within Slack's 3 s
    [reply] = fake_slack.wait_for(lambda m, b: m == "cmd1")
    assert "D200 5.3" in blocks_text(reply[1]["blocks"]) and reply[1]["response_type"] == "ephemeral"


def test_show_full_clause_and_feedback_buttons(running_stack, fake_slack):
    action(running_stack, "UBTN", "DUBTN", "show_clause_0", "D200|5.3")
    [shown] = fake_slack.wait_for(lambda m, b: m == "chat.postMessage" and b.get("channel") == "DUBTN")
    assert "Members of staff must not" in shown[1]["text"]
    message = {"ts": "1700000000.000100", "blocks": []}
    for _ in range(2):  # the same person clicking twice counts once
        action(running_stack, "UBTN", "DUBTN", "feedback_yes", "D200 5.3", message)
    assert fake_slack.wait_for(lambda m, b: m == "chat.postEphemeral" and b.get("user") == "UBTN")
    from bot.database import open_database
    from bot.gateway.feedback import all_feedback

    eventually(lambda: all_feedback(open_database(running_stack.settings.database_url())), timeout=10)
    time.sleep(1)
    saved = [f for f in all_feedback(open_database(running_stack.settings.database_url())) if f.channel_user.endswith("UBTN")]
    assert len(saved) == 1 and saved[0].helpful is True and saved[0].clauses == ["D200 5.3"]


@pytest.mark.parametrize("case", ["bad-signature", "missing-signature", "older-than-five-minutes", "empty-timestamp",
                                  "non-numeric-timestamp", "far-future-timestamp", "no-timestamp"])
def test_unsigned_or_stale_requests_are_refused_without_side_effects(running_stack, fake_slack, case):
    before = len(fake_slack.calls)
    body = json.dumps({"type": "event_callback", "team_id": TEAM, "event_id": f"Bad{new_event_id()}",
                       "event": dm("UBAD", "can I friend a parent?")})
    now = int(time.time())
    headers = {"bad-signature": {"X-Slack-Request-Timestamp": str(now), "X-Slack-Signature": "v0=" + "0" * 64},
               "missing-signature": {"X-Slack-Request-Timestamp": str(now)},
               "older-than-five-minutes": sign(SLACK_SIGNING_SECRET, body, timestamp=now - 6 * 60),
               "empty-timestamp": {**sign(SLACK_SIGNING_SECRET, body), "X-Slack-Request-Timestamp": ""},
               "non-numeric-timestamp": {**sign(SLACK_SIGNING_SECRET, body), "X-Slack-Request-Timestamp": "soon"},
               "far-future-timestamp": sign(SLACK_SIGNING_SECRET, body, timestamp=now + 10 ** 9),
               "no-timestamp": {"X-Slack-Signature": sign(SLACK_SIGNING_SECRET, body)["X-Slack-Signature"]}}[case]
    log = running_stack.run_dir / "logs" / "gateway.log"
    logged = log.stat().st_size
    response = running_stack.http.post("/slack/events", content=body.encode(),
                                       headers={"Content-Type": "application/json", **headers})
    assert response.status_code == 401
    time.sleep(2)
    assert fake_slack.calls[before:] == []
    assert "Traceback" not in log.read_text(errors="replace")[logged:]


def test_a_retried_event_gets_one_reply_and_the_bots_own_message_none(running_stack, fake_slack):
    kind = dm("URETRY", "can I friend a parent?")
    event(running_stack, kind, event_id="EvRetry1")
    event(running_stack, kind, event_id="EvRetry1", headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "timeout"})
    assert fake_slack.wait_for(lambda m, b: m == "chat.postMessage" and b.get("channel") == "DURETRY")
    own = dm(BOT_USER, "my own words") | {"bot_id": BOT_ID, "channel": "DUOWN"}
    other_bot = dm("UOTHERBOT", "another bot") | {"bot_id": "BOTHER", "subtype": "bot_message", "channel": "DUOWN"}
    event(running_stack, own)
    event(running_stack, other_bot)
    time.sleep(4)
    assert len(fake_slack.calls_to("chat.postMessage", channel="DURETRY")) == 1
    assert fake_slack.calls_to("chat.postMessage", channel="DUOWN") == []


REPORT = ["no", "yesterday at 3pm", "a Year 6 pupil", "Jamie sent me a friend request on TikTok at 9pm", "yes",
          "Pat Teacher", "pat@school.example"]


def test_a_report_started_in_a_channel_continues_in_a_dm_and_is_saved(running_stack, fake_slack):
    ts = f"{time.time():.6f}"
    event(running_stack, {"type": "app_mention", "channel": "CSTAFFROOM", "user": "UREP", "ts": ts, "event_ts": ts,
                          "text": f"<@{BOT_USER}> I need to report a pupil who sent me a friend request",
                          "team": TEAM})
    [note] = fake_slack.wait_for(lambda m, b: m == "chat.postEphemeral" and b.get("channel") == "CSTAFFROOM")
    assert note[1]["user"] == "UREP" and "direct message" in note[1]["text"]
    assert fake_slack.wait_for(lambda m, b: m == "chat.postMessage" and b.get("channel") == "DUREP")
    for text in REPORT:
        say_in_dm(running_stack, fake_slack, "UREP", text)
    saved = say_in_dm(running_stack, fake_slack, "UREP", "yes")
    assert "saved as INC-" in saved
    reference = saved.split("saved as ")[1].split()[0].rstrip(".")
    incident = IncidentService(running_stack.settings).get(reference)
    assert incident.channel_user == f"slack:{TEAM}:UREP" and incident.reporter_role == "staff"
    channel_posts = fake_slack.calls_to("chat.postMessage", channel="CSTAFFROOM")
    assert not [p for p in channel_posts if "Jamie" in json.dumps(p)]  # no details in the channel

    # The head teacher is told in Slack: reference, kind and urgency, never the description.
    [notice] = fake_slack.wait_for(lambda m, b: m == "chat.postMessage" and b.get("channel") == "UHEAD"
                                   and reference in b.get("text", ""))
    assert "Jamie" not in json.dumps(notice[1]) and "TikTok" not in json.dumps(notice[1])
    ack = [e for b in notice[1]["blocks"] if b["type"] == "actions" for e in b["elements"]][0]
    assert ack["action_id"] == "acknowledge_incident" and ack["value"] == reference

    # Someone the report was not sent to cannot acknowledge it, even with the button's value.
    action(running_stack, "UOUTSIDER", "DUOUTSIDER", "acknowledge_incident", reference,
           {"ts": "1700000001.000100", "blocks": notice[1]["blocks"]})
    [refusal] = fake_slack.wait_for(lambda m, b: m == "chat.postEphemeral" and b.get("user") == "UOUTSIDER")
    assert "Only the people this report was sent to" in refusal[1]["text"]
    assert IncidentService(running_stack.settings).get(reference).status == "open"

    action(running_stack, "UHEAD", "DUHEAD", "acknowledge_incident", reference,
           {"ts": "1700000001.000200", "blocks": notice[1]["blocks"]})
    assert fake_slack.wait_for(lambda m, b: m == "chat.update" and b.get("ts") == "1700000001.000200")
    acknowledged = IncidentService(running_stack.settings).get(reference)
    assert acknowledged.status == "acknowledged"
    assert (acknowledged.audit[-1].action, acknowledged.audit[-1].actor) == ("acknowledged", f"slack:{TEAM}:UHEAD")


def test_a_429_from_slack_is_retried_after_retry_after(running_stack, fake_slack):
    fake_slack.rate_limited["DULIMIT"] = 1
    event(running_stack, dm("ULIMIT", "can I friend a parent?"))
    [reply] = fake_slack.wait_for(lambda m, b: m == "chat.postMessage" and b.get("channel") == "DULIMIT")
    assert [b for m, b in fake_slack.calls if m == "429:chat.postMessage" and b.get("channel") == "DULIMIT"]
    assert "D200 5.3" in blocks_text(reply[1]["blocks"])


def test_socket_mode_receives_events_and_answers(running_stack, fake_slack):
    """The gateway with SLACK_APP_TOKEN connects out over a websocket: no public URL needed."""
    import dataclasses

    from fastapi.testclient import TestClient

    from bot.gateway.app import create_app
    from tests.support.fake_slack import FakeSocketMode

    socket = FakeSocketMode()
    fake_slack.socket_url = socket.url
    settings = dataclasses.replace(running_stack.settings, SLACK_APP_TOKEN="xapp-test-token", SLACK_SIGNING_SECRET="")
    try:
        with TestClient(create_app(settings)):
            assert socket.connected.wait(20)
            body = {"token": "unused", "team_id": TEAM, "api_app_id": "A1", "type": "event_callback",
                    "event_id": "EvSocket1", "event_time": int(time.time()), "event": dm("USOCK", "can I friend a parent?"),
                    "authorizations": [{"team_id": TEAM, "user_id": BOT_USER, "is_bot": True}]}
            socket.send({"envelope_id": "env-1", "type": "events_api", "accepts_response_payload": False,
                         "retry_attempt": 0, "retry_reason": "", "payload": body})
            [reply] = fake_slack.wait_for(lambda m, b: m == "chat.postMessage" and b.get("channel") == "DUSOCK")
            assert "D200 5.3" in blocks_text(reply[1]["blocks"])
            assert {"envelope_id": "env-1"} in [{k: v for k, v in r.items() if k == "envelope_id"} for r in socket.received]
            assert fake_slack.calls_to("apps.connections.open")
    finally:
        socket.stop()


def test_a_file_sent_in_a_dm_is_refused_and_never_fetched(running_stack, fake_slack):
    shared = dm("UFILE", "here is the picture") | {
        "subtype": "file_share", "files": [{"id": "F1", "mimetype": "image/jpeg", "url_private": f"{fake_slack.url}F1"}]}
    event(running_stack, shared)
    [reply] = fake_slack.wait_for(lambda m, b: m == "chat.postMessage" and b.get("channel") == "DUFILE")
    assert "can't accept files or pictures" in reply[1]["text"] and "Designated Safeguarding Lead" in reply[1]["text"]
    assert not [m for m, _ in fake_slack.calls if "F1" in m or m.startswith("files.")]  # never fetched


def test_a_danger_message_in_a_dm_gets_999_and_the_dsl_first(running_stack, fake_slack):
    event(running_stack, dm("UDANGER", "a child just told me someone is coming to hurt them tonight"))
    [first, *_] = fake_slack.wait_for(lambda m, b: m == "chat.postMessage" and b.get("channel") == "DUDANGER")
    assert "999" in first[1]["text"] and "Designated Safeguarding Lead" in first[1]["text"]
    assert "Make an urgent report" in blocks_text(first[1]["blocks"])


@pytest.mark.parametrize("how", ["another workspace", "slack connect"])
def test_people_from_workspaces_not_on_the_allow_list_are_refused(running_stack, fake_slack, how):
    user = "UFOREIGN1" if how == "another workspace" else "UFOREIGN2"
    kind = {**dm(user, "can I friend a parent?"), "user_team": "T0SOMEWHERE"}
    if how == "another workspace":
        body = json.dumps({"token": "unused", "team_id": "T0SOMEWHERE", "api_app_id": "A1", "type": "event_callback",
                           "event_id": new_event_id(), "event_time": int(time.time()), "event": kind})
        assert post(running_stack, body, "application/json").status_code == 200
    else:  # a Slack Connect user writing in our workspace: the event's team is ours, theirs is user_team
        assert event(running_stack, kind).status_code == 200
    [refusal] = fake_slack.wait_for(lambda m, b: m == "chat.postEphemeral" and b.get("user") == user)
    assert "Heatons Cluster's own staff" in refusal[1]["text"]
    settings = running_stack.settings
    for team in ("T0SOMEWHERE", TEAM):  # the refusal is made before anything reaches Rasa
        tracker = httpx.get(f"{settings.RASA_URL}/conversations/slack:{team}:{user}/tracker",
                            params={"token": settings.RASA_TOKEN}, timeout=30).json()
        assert not [e for e in tracker.get("events") or [] if e.get("event") == "user"]
    assert not fake_slack.calls_to("chat.postMessage", channel=f"D{user}")


@pytest.mark.parametrize("user, words", [("UGUEST", "guest account"), ("UNOBODY", "couldn't check your Slack account")])
def test_guests_and_accounts_slack_will_not_vouch_for_are_refused(running_stack, fake_slack, user, words):
    fake_slack.guests.add("UGUEST")
    fake_slack.unknown.add("UNOBODY")
    assert event(running_stack, dm(user, "can I friend a parent?")).status_code == 200
    [refusal] = fake_slack.wait_for(lambda m, b: m == "chat.postEphemeral" and b.get("user") == user)
    assert words in refusal[1]["text"]
    settings = running_stack.settings
    tracker = httpx.get(f"{settings.RASA_URL}/conversations/slack:{TEAM}:{user}/tracker",
                        params={"token": settings.RASA_TOKEN}, timeout=30).json()
    assert not [e for e in tracker.get("events") or [] if e.get("event") == "user"]
    assert not fake_slack.calls_to("chat.postMessage", channel=f"D{user}")


def test_slack_text_is_cleaned_and_held_to_the_same_length_limit(running_stack, fake_slack):
    limit = running_stack.settings.MAX_MESSAGE_CHARS
    event(running_stack, dm("ULONG", "can I friend a parent? " * (limit // 10)))
    [reply] = fake_slack.wait_for(lambda m, b: m == "chat.postMessage" and b.get("channel") == "DULONG")
    assert f"please keep it under {limit}" in reply[1]["text"]
    event(running_stack, dm("UCTRL", "can I\x00 friend\x1b a\u200b parent?"))
    [answer] = fake_slack.wait_for(lambda m, b: m == "chat.postMessage" and b.get("channel") == "DUCTRL")
    assert "D200 5.3" in answer[1]["text"]


def test_when_rasa_cannot_read_a_channel_message_it_is_treated_as_a_report():
    import asyncio

    from bot.cli.stack import free_port
    from bot.gateway.channels.common import is_report
    from bot.gateway.rasa_client import RasaClient

    down = RasaClient(f"http://127.0.0.1:{free_port()}", 5, token="t")  # nothing listens there
    try:
        assert asyncio.run(is_report(down, "a pupil sent me a friend request")) is True
    finally:
        asyncio.run(down.close())


def ephemeral_click(stack, user: str, channel: str, value: str):
    """A click on a button of an ephemeral message (a /policy answer), in the shape Slack sends it: the container
    says is_ephemeral, and there is no `message`."""
    payload = {"type": "block_actions", "team": {"id": TEAM}, "user": {"id": user, "team_id": TEAM},
               "api_app_id": "A1", "channel": {"id": channel}, "trigger_id": "1.2",
               "container": {"type": "message", "message_ts": "1.0", "channel_id": channel, "is_ephemeral": True},
               "response_url": f"{stack.settings.SLACK_API_URL}response",
               "actions": [{"type": "button", "action_id": "quick_reply_0", "value": value, "block_id": "b",
                            "action_ts": str(time.time())}]}
    return post(stack, urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded")


def test_report_this_on_an_ephemeral_answer_in_a_channel_goes_to_the_dm_only(running_stack, fake_slack):
    from bot.contract import REPORT_INCIDENT, payload

    before = len(fake_slack.calls)
    assert ephemeral_click(running_stack, "UEPH", "CPUBLIC", payload(REPORT_INCIDENT, incident_category="friend_request")
                           ).status_code == 200
    [note] = fake_slack.wait_for(lambda m, b: m == "chat.postEphemeral" and b.get("channel") == "CPUBLIC")
    assert note[1]["user"] == "UEPH" and "direct message" in note[1]["text"]
    assert fake_slack.wait_for(lambda m, b: m == "chat.postMessage" and b.get("channel") == "DUEPH")
    time.sleep(1)
    public = [c for c in fake_slack.calls[before:] if c[0] == "chat.postMessage" and c[1].get("channel") == "CPUBLIC"]
    assert public == []


def test_a_quick_reply_on_an_ephemeral_answer_is_answered_to_that_person_alone(running_stack, fake_slack):
    before = len(fake_slack.calls)
    ephemeral_click(running_stack, "UEPQ", "CPUBLIC2", "can I friend a parent?")
    [answer] = fake_slack.wait_for(lambda m, b: m == "chat.postEphemeral" and b.get("channel") == "CPUBLIC2")
    assert answer[1]["user"] == "UEPQ" and "D200 5.3" in answer[1]["text"]
    public = [c for c in fake_slack.calls[before:] if c[0] == "chat.postMessage" and c[1].get("channel") == "CPUBLIC2"]
    assert public == []


def test_changed_feedback_counts_the_last_vote_and_says_so_in_the_thread(running_stack, fake_slack):
    from bot.database import open_database
    from bot.gateway.feedback import all_feedback

    message = {"ts": "1700000000.000200", "thread_ts": "1700000000.000111", "blocks": []}
    action(running_stack, "UVOTE", "CVOTES", "feedback_yes", "D200 5.3", message)
    fake_slack.wait_for(lambda m, b: m == "chat.postEphemeral" and b.get("user") == "UVOTE")
    action(running_stack, "UVOTE", "CVOTES", "feedback_no", "D200 5.3", message)
    thanks = fake_slack.wait_for(lambda m, b: m == "chat.postEphemeral" and b.get("user") == "UVOTE", count=2)
    assert [t[1]["thread_ts"] for t in thanks] == ["1700000000.000111"] * 2  # in the thread, not the channel
    assert thanks[-1][1]["text"] == "Thank you: I've changed your feedback to not helpful."

    def saved():
        return [f for f in all_feedback(open_database(running_stack.settings.database_url()))
                if f.channel_user.endswith("UVOTE")]

    [vote] = eventually(lambda: [f for f in saved() if f.helpful is False])
    assert len(saved()) == 1 and vote.clauses == ["D200 5.3"]


@pytest.mark.parametrize("question", ["can my son use snapchat at school", "can a pupil go on snapchat during the school day"])
def test_a_question_about_pupils_asked_by_staff_cites_the_pupils_rule(running_stack, fake_slack, question):
    key = f"cmd-{abs(hash(question))}"
    body = urlencode({"command": "/policy", "text": question, "user_id": "USUBJ", "team_id": TEAM,
                      "channel_id": "CSTAFF", "response_url": f"{fake_slack.url}response/{key}", "trigger_id": "t"})
    post(running_stack, body, "application/x-www-form-urlencoded")
    [reply] = fake_slack.wait_for(lambda m, b: m == key)
    assert reply[1]["text"].split("·")[1].strip().startswith("D200 6.1"), reply[1]["text"]
