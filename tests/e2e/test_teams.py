"""Microsoft Teams end to end: signed activities to the gateway's /api/messages, the real Rasa and
action server, and replies that reach a local Bot Connector (tests/support/fake_microsoft.py)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import time

import httpx
import pytest

from bot.database import open_database
from bot.gateway.feedback import all_feedback
from bot.incidents.service import IncidentService
from tests.support.fake_microsoft import SigningKey
from tests.support.identities import TEAMS_APP_ID, TEAMS_HEAD, TEAMS_TENANT
from tests.support.waiting import eventually

pytestmark = pytest.mark.stack
BOT = {"id": f"28:{TEAMS_APP_ID}", "name": "Policy Assistant"}
MENTION = "<at>Policy Assistant</at>"
_ids = itertools.count(1)


def activity(fake, text: str = "", *, person: str = "pat", conversation: str | None = None, channel: bool = False,
             **extra) -> dict:
    """A message activity as Teams sends it, from the person `person` (29:<person>, Entra id aad-<person>)."""
    number = next(_ids)
    body = {
        "type": "message", "id": f"1700000000{number:06d}", "timestamp": "2026-11-24T10:00:00.000Z",
        "serviceUrl": fake.service_url, "channelId": "msteams",
        "from": {"id": f"29:{person}", "name": person.title(), "aadObjectId": f"aad-{person}"},
        "conversation": {"id": conversation or f"a:personal-29:{person}", "tenantId": TEAMS_TENANT,
                         "conversationType": "channel" if channel else "personal"},
        "recipient": BOT, "text": text, "textFormat": "plain", "locale": "en-GB",
        "channelData": {"tenant": {"id": TEAMS_TENANT}},
    }
    if channel:
        body["text"] = f"{MENTION} {text}"
        body["entities"] = [{"type": "mention", "mentioned": BOT, "text": MENTION}]
        body["channelData"] |= {"teamsChannelId": "19:staffroom@thread.tacv2", "team": {"id": "19:team@thread.tacv2"}}
    return body | extra


def post(stack, fake, body: dict, token: str | None = "signed") -> httpx.Response:
    headers = {}
    if token == "signed":
        token = fake.token(body["serviceUrl"])
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return stack.http.post("/api/messages", json=body, headers=headers)


def replies(fake, conversation: str, after: int = 0, settle: float = 0.8) -> list[dict]:
    """The activities posted into a conversation after the first `after`, once they stop arriving."""
    found = eventually(lambda: fake.messages_to(conversation)[after:], timeout=60)
    while True:  # a turn can bring several messages
        time.sleep(settle)
        more = fake.messages_to(conversation)[after:]
        if len(more) == len(found):
            return found
        found = more


def submits(calls: list[dict]) -> list[dict]:
    """Every Action.Submit in the cards of these replies."""
    found: list[dict] = []

    def walk(node) -> None:
        if isinstance(node, dict):
            if node.get("type") == "Action.Submit":
                found.append(node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for call in calls:
        walk(call["body"].get("attachments") or [])
    return found


def said(call: dict) -> str:
    """Everything a reply shows: its text and its card."""
    body = call["body"]
    return (body.get("text") or "") + json.dumps(body.get("attachments") or [])


def say(stack, fake, text: str, person: str, **extra) -> str:
    body = activity(fake, text, person=person, **extra)
    before = len(fake.messages_to(body["conversation"]["id"]))
    assert post(stack, fake, body).status_code == 202
    return "\n".join(said(c) for c in replies(fake, body["conversation"]["id"], before))


def in_channel(stack, fake, text: str, person: str, thread: str) -> tuple[dict, list[dict]]:
    """An @mention in a team channel's thread, and what the bot then posted in that thread."""
    body = activity(fake, text, person=person, conversation=thread, channel=True)
    assert post(stack, fake, body).status_code == 202
    return body, replies(fake, thread)


def cards(call: dict) -> list[dict]:
    return [a["content"] for a in call["body"].get("attachments") or []
            if a.get("contentType") == "application/vnd.microsoft.card.adaptive"]


def test_can_i_friend_a_parent_gets_a_card_citing_5_3(running_stack, fake_microsoft):
    body = activity(fake_microsoft, "can I friend a parent?", person="ana")
    began = time.monotonic()
    response = post(running_stack, fake_microsoft, body)
    assert response.status_code == 202 and time.monotonic() - began < 5  # acknowledged; the answer follows
    [reply] = replies(fake_microsoft, body["conversation"]["id"])
    assert reply["auth"].startswith("Bearer bot-token-")  # the bot signed in (MSAL) before writing
    [card] = cards(reply)
    shown = json.dumps(card)
    assert "D200 5.3" in shown and "Show full clause D200 5.3" in shown
    clause = next(a for a in card["actions"] if a["title"] == "Show full clause D200 5.3")
    assert "must not" in json.dumps(clause["card"])  # the quoted clause opens inside the card
    assert any(a.get("data", {}).get("action") == "feedback" for s in card["body"] if s["type"] == "ActionSet"
               for a in s["actions"])
    assert fake_microsoft.token_requests[-1]["tenant"] == TEAMS_TENANT  # single-tenant sign-in


def test_a_mention_in_a_channel_is_answered_in_its_thread(running_stack, fake_microsoft):
    thread = "19:staffroom@thread.tacv2;messageid=1700000000999001"
    body, [reply] = in_channel(running_stack, fake_microsoft, "can staff use social media at work?", "cal", thread)
    assert reply["path"].endswith(f"/activities/{body['id']}")  # a reply to the message: in its thread
    assert "D200" in said(reply)


def about(calls: list[dict], person: str) -> list[dict]:
    """The Bot Connector calls that concern one person (the outbox may be writing to others meanwhile)."""
    return [c for c in calls if person in json.dumps(c)]


def bad_token(fake, body: dict, case: str) -> str | None:
    url = body["serviceUrl"]
    if case == "missing header":
        return None
    if case == "unknown signing key":
        return fake.token(url, key=SigningKey("not-published"))
    if case == "wrong audience":
        return fake.token(url, audience="another-bot")
    if case == "wrong issuer":
        return fake.token(url, issuer="https://sts.windows.net/someone-else/")
    if case == "expired beyond the skew":
        return fake.token(url, expires_in=-(300 + 120))
    if case == "serviceUrl claim differs":
        return fake.token(url.replace("/teams/", "/elsewhere/"))
    if case == "channel not endorsed":
        body["channelId"] = "webchat"  # the key endorses msteams only
        return fake.token(url)
    payload = json.loads(base64.urlsafe_b64decode(fake.token(url).split(".")[1] + "=="))
    kid = fake.keys[-1].kid

    def part(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    if case == "alg none":
        return f"{part({'alg': 'none', 'kid': kid, 'typ': 'JWT'})}.{part(payload)}."
    if case == "HMAC signed with the public key":
        signing_input = f"{part({'alg': 'HS256', 'kid': kid, 'typ': 'JWT'})}.{part(payload)}"
        signature = hmac.new(fake.keys[-1].public_pem(), signing_input.encode(), hashlib.sha256).digest()
        return f"{signing_input}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"
    raise AssertionError(case)


@pytest.mark.parametrize("case", ["missing header", "unknown signing key", "wrong audience", "wrong issuer",
                                  "expired beyond the skew", "alg none", "HMAC signed with the public key",
                                  "serviceUrl claim differs", "channel not endorsed"])
def test_each_bad_token_gets_401_with_no_processing_and_no_outbound_call(running_stack, fake_microsoft, case):
    person = "bad-" + case.replace(" ", "-").lower()
    body = activity(fake_microsoft, "a pupil sent me a friend request", person=person)
    token = bad_token(fake_microsoft, body, case)
    calls = len(fake_microsoft.calls)
    response = post(running_stack, fake_microsoft, body, token=token)
    assert response.status_code == 401, response.text
    time.sleep(1.5)
    assert about(fake_microsoft.calls[calls:], person) == []
    tracker = httpx.get(f"{running_stack.settings.RASA_URL}/conversations/teams:{TEAMS_TENANT}:aad-{person}/tracker",
                        params={"token": running_stack.settings.RASA_TOKEN}, timeout=30).json()
    assert not [e for e in tracker.get("events") or [] if e.get("event") == "user"]  # Rasa never saw it


def test_a_service_url_off_the_allow_list_gets_no_reply(running_stack, fake_microsoft):
    body = activity(fake_microsoft, "can I friend a parent?", person="elsewhere")
    body["serviceUrl"] = "https://smba.attacker.example/teams/"
    calls = len(fake_microsoft.calls)
    response = post(running_stack, fake_microsoft, body, token=fake_microsoft.token(body["serviceUrl"]))
    assert response.status_code == 403
    time.sleep(1)
    assert about(fake_microsoft.calls[calls:], "elsewhere") == []


def test_a_rotated_signing_key_is_accepted_without_a_restart(running_stack, fake_microsoft):
    assert post(running_stack, fake_microsoft, activity(fake_microsoft, "hello", person="rot1")).status_code == 202
    fetches = fake_microsoft.key_fetches
    fake_microsoft.rotate()
    body = activity(fake_microsoft, "can I friend a parent?", person="rot2")
    assert post(running_stack, fake_microsoft, body).status_code == 202  # signed with the new key
    assert fake_microsoft.key_fetches == fetches + 1
    assert "D200 5.3" in said(replies(fake_microsoft, body["conversation"]["id"])[0])


def test_card_buttons_arrive_as_values_and_are_handled(running_stack, fake_microsoft):
    conversation = "a:personal-29:bea"
    answer = say(running_stack, fake_microsoft, "can I friend a parent?", "bea")
    assert "D200 5.3" in answer
    reply_id = "reply-of-the-card"
    for _ in range(2):  # the same person pressing twice counts once
        click = activity(fake_microsoft, person="bea", replyToId=reply_id,
                         value={"action": "feedback", "helpful": True, "clauses": ["D200 5.3"]})
        click.pop("text")
        before = len(fake_microsoft.messages_to(conversation))
        assert post(running_stack, fake_microsoft, click).status_code == 202
        assert "Thank you for the feedback" in said(replies(fake_microsoft, conversation, before)[0])
    saved = [f for f in all_feedback(open_database(running_stack.settings.database_url())) if f.channel == "teams"]
    assert [(f.channel_user, f.helpful, f.clauses) for f in saved] == [(f"teams:{TEAMS_TENANT}:aad-bea", True,
                                                                        ["D200 5.3"])]
    no = next(a["data"] for a in submits(fake_microsoft.messages_to(conversation)) if a.get("title") == "👎 No")
    assert no["question"] == "can I friend a parent?"  # carried to the desk's gaps with "No", without who asked
    click = activity(fake_microsoft, person="bea", replyToId="another-card", value=no)
    click.pop("text")
    before = len(fake_microsoft.messages_to(conversation))
    assert post(running_stack, fake_microsoft, click).status_code == 202
    assert "Thank you for the feedback" in said(replies(fake_microsoft, conversation, before)[0])
    unhelpful = [f for f in all_feedback(open_database(running_stack.settings.database_url()))
                 if f.channel == "teams" and not f.helpful]
    assert [f.question for f in unhelpful] == ["can I friend a parent?"]
    quick = activity(fake_microsoft, person="bea", value={"action": "quick_reply", "payload": "/report_incident"})
    before = len(fake_microsoft.messages_to(conversation))
    assert post(running_stack, fake_microsoft, quick).status_code == 202
    assert "immediate danger" in " ".join(said(c) for c in replies(fake_microsoft, conversation, before)).lower()
    assert "Nothing was saved" in say(running_stack, fake_microsoft, "cancel the report", "bea")


def test_pictures_are_refused_and_never_fetched(running_stack, fake_microsoft):
    body = activity(fake_microsoft, "", person="pic", attachments=[
        {"contentType": "image/png", "contentUrl": f"{fake_microsoft.base}/files/photo.png", "name": "photo.png"}])
    assert post(running_stack, fake_microsoft, body).status_code == 202
    [reply] = replies(fake_microsoft, body["conversation"]["id"])
    assert "haven't opened" in said(reply)
    assert not [c for c in fake_microsoft.calls if c["path"].startswith("/files/")]


def test_a_redelivered_activity_gets_one_reply(running_stack, fake_microsoft):
    body = activity(fake_microsoft, "can I friend a parent?", person="twice")
    assert post(running_stack, fake_microsoft, body).status_code == 202
    assert post(running_stack, fake_microsoft, body).status_code == 200
    time.sleep(3)
    assert len(replies(fake_microsoft, body["conversation"]["id"])) == 1


REPORT = ["no", "yesterday at 3pm", "a Year 6 pupil", "Jamie sent me a friend request on TikTok at 9pm", "yes",
          "Pat Teacher", "pat@school.example"]


def test_a_report_started_in_a_channel_continues_in_the_personal_chat_and_reaches_the_head(running_stack,
                                                                                          fake_microsoft):
    thread = "19:staffroom@thread.tacv2;messageid=1700000000999002"
    _, [note] = in_channel(running_stack, fake_microsoft, "I need to report a pupil who sent me a friend request", "rep",
                           thread)
    assert "personal chat" in said(note) and "friend request" not in said(note)
    [opened] = [c for c in fake_microsoft.calls if c["path"] == "/teams/v3/conversations"
                and c["body"]["members"][0]["id"] == "29:rep"]
    assert opened["body"]["channelData"]["tenant"]["id"] == TEAMS_TENANT
    personal = "a:personal-29:rep"
    assert "immediate danger" in " ".join(said(c) for c in replies(fake_microsoft, personal)).lower()
    for text in REPORT:
        say(running_stack, fake_microsoft, text, "rep")
    confirmation = say(running_stack, fake_microsoft, "yes", "rep")
    assert "Elena Ponsen (Headteacher)" in confirmation

    incidents = IncidentService(running_stack.settings)
    [incident] = [i for i in incidents.list() if i.channel_user == f"teams:{TEAMS_TENANT}:aad-rep"]
    assert incident.channel == "teams" and incident.category == "friend_request"
    assert incident.reporter_name == "Pat Teacher"
    assert not [c for c in fake_microsoft.messages_to(thread) if "Jamie" in said(c)]  # nothing in the channel

    # The outbox worker tells the head teacher in Teams: the reference, not the details.
    head_chat = f"a:personal-{TEAMS_HEAD}"
    [notice] = [c for c in replies(fake_microsoft, head_chat) if incident.reference in said(c)]
    assert "Jamie" not in said(notice) and "TikTok" not in said(notice) and "Pat Teacher" not in said(notice)
    [card] = cards(notice)
    [acknowledge] = [a for a in card["actions"] if a["title"] == "Acknowledge"]

    # Someone the report was not sent to cannot acknowledge it, even with the card's data.
    outsider = activity(fake_microsoft, person="outsider", conversation="a:personal-outsider", value=acknowledge["data"])
    outsider["from"]["aadObjectId"] = "aad-outsider"
    outsider.pop("text")
    assert post(running_stack, fake_microsoft, outsider).status_code == 202
    [refusal] = replies(fake_microsoft, "a:personal-outsider")
    assert "Only the people this report was sent to" in said(refusal)
    assert incidents.get(incident.reference).status == "open"

    # ...who presses "Acknowledge" in Teams.
    click = activity(fake_microsoft, person="headteacher", conversation=head_chat, replyToId="reply-notice",
                     value=acknowledge["data"])
    click["from"]["aadObjectId"] = TEAMS_HEAD
    click.pop("text")
    before = len(fake_microsoft.messages_to(head_chat))
    assert post(running_stack, fake_microsoft, click).status_code == 202
    assert "now marked acknowledged" in said(replies(fake_microsoft, head_chat, before)[0])
    acknowledged = incidents.get(incident.reference)
    assert acknowledged.status == "acknowledged"
    assert (acknowledged.audit[-1].action, acknowledged.audit[-1].actor) == ("acknowledged",
                                                                             f"teams:{TEAMS_TENANT}:{TEAMS_HEAD}")
    assert [c for c in fake_microsoft.calls if c["method"] == "PUT" and c["path"].endswith("/reply-notice")]


def test_installing_the_app_in_a_personal_scope_gets_a_welcome(running_stack, fake_microsoft):
    body = activity(fake_microsoft, person="newcomer", type="conversationUpdate",
                    membersAdded=[BOT, {"id": "29:newcomer"}])
    body.pop("text")
    assert post(running_stack, fake_microsoft, body).status_code == 202
    [welcome] = replies(fake_microsoft, body["conversation"]["id"])
    assert "Can I friend a parent?" in said(welcome)


def test_a_danger_message_gets_999_and_the_dsl_first(running_stack, fake_microsoft):
    body = activity(fake_microsoft, "a child just told me someone is coming to hurt them tonight", person="dee")
    assert post(running_stack, fake_microsoft, body).status_code == 202
    first = replies(fake_microsoft, body["conversation"]["id"])[0]
    assert "999" in said(first) and "Designated Safeguarding Lead" in said(first)
    assert "Make an urgent report" in said(first)


@pytest.mark.parametrize("person, words", [("guest1", "guest account"), ("ghost1", "couldn't check your Teams account")])
def test_guests_and_accounts_teams_will_not_vouch_for_are_refused(running_stack, fake_microsoft, person, words):
    fake_microsoft.guests.add("29:guest1")
    fake_microsoft.unknown_members.add("29:ghost1")
    assert post(running_stack, fake_microsoft, activity(fake_microsoft, "can I friend a parent?",
                                                        person=person)).status_code == 202
    [refusal] = replies(fake_microsoft, f"a:personal-29:{person}")
    assert words in said(refusal)
    settings = running_stack.settings
    tracker = httpx.get(f"{settings.RASA_URL}/conversations/teams:{TEAMS_TENANT}:aad-{person}/tracker",
                        params={"token": settings.RASA_TOKEN}, timeout=30).json()
    assert not [e for e in tracker.get("events") or [] if e.get("event") == "user"]


def test_a_channel_activity_without_conversation_type_is_shared_so_a_report_leaves_it(running_stack, fake_microsoft):
    thread = "19:staffroom@thread.tacv2;messageid=1700000000999101"
    body = activity(fake_microsoft, "I need to report a pupil who sent me a friend request", person="nocty",
                    conversation=thread, channel=True)
    del body["conversation"]["conversationType"]  # a payload that does not say: shared
    assert post(running_stack, fake_microsoft, body).status_code == 202
    [note] = replies(fake_microsoft, thread)
    assert "personal chat" in said(note) and "immediate danger" not in said(note).lower()
    assert "immediate danger" in " ".join(said(c) for c in replies(fake_microsoft, "a:personal-29:nocty")).lower()


def test_when_teams_will_not_open_a_personal_chat_the_channel_is_told_and_nothing_starts(running_stack,
                                                                                         fake_microsoft):
    fake_microsoft.without_app.add("29:noapp")
    thread = "19:staffroom@thread.tacv2;messageid=1700000000999102"
    _, [note] = in_channel(running_stack, fake_microsoft, "I need to report a pupil who sent me a friend request", "noapp",
                           thread)
    assert "couldn't open a personal chat" in said(note) and "web chat" in said(note)
    assert "sent you a personal chat" not in said(note) and "immediate danger" not in said(note).lower()
    assert fake_microsoft.messages_to("a:personal-29:noapp") == []


def test_report_this_pressed_on_a_card_in_a_team_channel_goes_only_to_the_personal_chat(running_stack,
                                                                                       fake_microsoft):
    thread = "19:staffroom@thread.tacv2;messageid=1700000000999103"
    body, answer = in_channel(running_stack, fake_microsoft, "a pupil tried to friend me on instagram, what do I do?",
                              "cardy", thread)
    [report_this] = [a for call in answer for card in cards(call) for s in card["body"] if s["type"] == "ActionSet"
                     for a in s["actions"] if a["title"] == "Report this"]
    assert report_this["data"]["action"] == "quick_reply"
    click = activity(fake_microsoft, person="cardy", conversation=thread, channel=True, replyToId=body["id"],
                     value=report_this["data"])  # Teams sends a card button's data as `value`, with no text
    click.pop("text")
    click.pop("entities")
    before = len(fake_microsoft.messages_to(thread))
    assert post(running_stack, fake_microsoft, click).status_code == 202
    [note] = replies(fake_microsoft, thread, before)
    assert "personal chat" in said(note)
    assert "immediate danger" not in said(note).lower() and "privacy" not in said(note).lower()
    personal = replies(fake_microsoft, "a:personal-29:cardy")
    assert "immediate danger" in " ".join(said(c) for c in personal).lower()
    assert len(fake_microsoft.messages_to(thread)) == before + 1  # the note, and nothing of the report
