"""Talking to the running stack's Slack app as Slack does (signed events, block actions), and reading what the
assistant posted back through the fake Web API in the shape /api/chat returns."""

from __future__ import annotations

import itertools
import json
import time
from urllib.parse import urlencode

from tests.support.fake_slack import BOT_USER, TEAM, sign
from tests.support.identities import SLACK_SIGNING_SECRET
from tests.support.waiting import eventually

_ids = itertools.count(1)


def new_event_id() -> str:
    return f"Ev{next(_ids)}"


def post(stack, body: str, content_type: str, headers: dict | None = None):
    signed = sign(SLACK_SIGNING_SECRET, body)
    return stack.http.post("/slack/events", content=body.encode(),
                           headers={"Content-Type": content_type, **signed, **(headers or {})})


def event(stack, kind: dict, event_id: str | None = None, headers: dict | None = None):
    body = json.dumps({"token": "unused", "team_id": TEAM, "api_app_id": "A1", "type": "event_callback",
                       "event_id": event_id or new_event_id(), "event_time": int(time.time()),
                       "authorizations": [{"team_id": TEAM, "user_id": BOT_USER, "is_bot": True}], "event": kind})
    return post(stack, body, "application/json", headers)


def dm(user: str, text: str) -> dict:
    ts = f"{time.time():.6f}"
    return {"type": "message", "channel_type": "im", "channel": f"D{user}", "user": user, "text": text, "ts": ts,
            "event_ts": ts, "team": TEAM}


def action(stack, user: str, channel: str, action_id: str, value: str, message: dict | None = None):
    payload = {"type": "block_actions", "team": {"id": TEAM}, "user": {"id": user, "team_id": TEAM},
               "api_app_id": "A1", "channel": {"id": channel}, "trigger_id": "1.2",
               "container": {"type": "message", "channel_id": channel, "message_ts": (message or {}).get("ts", "1.0")},
               "message": message or {"ts": "1.0", "blocks": []}, "response_url": f"{stack_fake_url(stack)}response",
               "actions": [{"type": "button", "action_id": action_id, "value": value, "block_id": "b",
                            "action_ts": str(time.time())}]}
    return post(stack, urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded")


def stack_fake_url(stack) -> str:
    return stack.settings.SLACK_API_URL


def dm_replies(fake_slack, channel: str) -> list[dict]:
    return fake_slack.calls_to("chat.postMessage", channel=channel)


def say_in_dm(stack, fake_slack, user: str, text: str) -> str:
    before = len(dm_replies(fake_slack, f"D{user}"))
    event(stack, dm(user, text))
    if not eventually(lambda: dm_replies(fake_slack, f"D{user}")[before:]):
        raise AssertionError(f"no reply to {text!r}")
    time.sleep(0.5)  # the rest of this turn's messages
    return "\n".join(r["text"] for r in dm_replies(fake_slack, f"D{user}")[before:])




def as_messages(posted: list[dict]) -> list[dict]:
    """Posted Slack messages as /api/chat shapes them: text, and the quick-reply buttons (title, payload)."""
    return [{"text": body.get("text", ""),
             "buttons": [{"title": e["text"]["text"], "payload": e["value"]} for block in body.get("blocks", [])
                         if block.get("type") == "actions" for e in block["elements"]
                         if e.get("action_id", "").startswith("quick_reply_")],
             "blocks": body.get("blocks", [])}
            for body in posted]


def chat_in_dm(stack, fake_slack, user: str, text: str) -> list[dict]:
    """Say `text` in the person's DM and return the assistant's replies to it."""
    channel = f"D{user}"
    before = len(dm_replies(fake_slack, channel))
    event(stack, dm(user, text))
    if not eventually(lambda: dm_replies(fake_slack, channel)[before:]):
        raise AssertionError(f"no reply to {text!r}")
    time.sleep(0.5)  # the rest of this turn's messages
    return as_messages(dm_replies(fake_slack, channel)[before:])
