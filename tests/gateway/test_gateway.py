"""The gateway against a stand-in for Rasa's REST channel (httpx.MockTransport)."""

import json
import re
import time

import httpx
import pytest
from fastapi.testclient import TestClient

from bot.gateway.app import create_app
from bot.settings import Settings

CITATION = {"policy": "D200", "clause": "5.3", "section": "Social media use - staff", "text": "…",
            "strength": "must_not", "strength_label": "MUST NOT", "label": "D200 5.3"}


def client_for(handler, settings: Settings | None = None) -> tuple[TestClient, list]:
    seen = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return handler(request)

    app = create_app(settings or Settings(SESSION_SECRET="test-secret", RASA_TOKEN="gateway-token"),
                     transport=httpx.MockTransport(record))
    return TestClient(app), seen


def conversation(client: TestClient) -> str:
    response = client.post("/api/conversations")
    assert response.status_code == 201
    return response.json()["conversation_id"]


def rasa_reply(request: httpx.Request) -> httpx.Response:
    if request.url.path == "/webhooks/gateway/webhook":
        return httpx.Response(200, json=[
            {"recipient_id": "x", "text": "MUST NOT · D200 5.3"},
            {"recipient_id": "x", "custom": {"covered": True, "citations": [CITATION], "notices": ["review"]}},
            {"recipient_id": "x", "text": "Anything else?", "buttons": [{"title": "Yes", "payload": "/ask_help"}]},
        ])
    return httpx.Response(200, text="ok")


def test_chat_passes_role_and_namespaced_sender_and_joins_text_with_citations():
    client, seen = client_for(rasa_reply)
    with client:
        conversation_id = conversation(client)
        response = client.post("/api/chat", json={"conversation_id": conversation_id, "message": "can I friend a parent?",
                                                  "role": "staff"})
    assert response.status_code == 200
    sent = json.loads(seen[0].content)
    assert sent == {"sender": f"web:{conversation_id.split('.')[0]}", "message": "can I friend a parent?",
                    "metadata": {"role": "staff", "channel": "web"}}
    first, second = response.json()["messages"]
    assert first["text"] == "MUST NOT · D200 5.3" and first["citations"] == [CITATION]
    assert first["covered"] is True and first["notices"] == ["review"]
    assert second == {"text": "Anything else?", "citations": [], "buttons": [{"title": "Yes", "payload": "/ask_help"}]}


@pytest.mark.parametrize(
    "payload, status",
    [(b"", 400), (b"\xff\xfe", 400), (b'{"message": "hi"}', 422),
     (json.dumps({"conversation_id": "a", "message": "hi", "role": "admin"}).encode(), 422),
     (json.dumps({"conversation_id": "a", "message": "x" * 10_000, "role": "parent"}).encode(), 413),
     (json.dumps({"conversation_id": "chosen-by-me", "message": "hi", "role": "parent"}).encode(), 401),
     (json.dumps({"conversation_id": "A" * 22 + "." + "B" * 22, "message": "hi", "role": "parent"}).encode(), 401)],
)
def test_bad_input_is_a_clear_4xx_and_never_reaches_rasa(payload, status):
    client, seen = client_for(rasa_reply)
    with client:
        response = client.post("/api/chat", content=payload, headers={"content-type": "application/json"})
    assert response.status_code == status
    assert response.json()["message"] and response.json()["messages"][0]["text"]
    assert seen == []


@pytest.mark.parametrize(
    "handler",
    [
        lambda r: (_ for _ in ()).throw(httpx.ConnectError("refused")),
        lambda r: httpx.Response(500, text="boom"),
        lambda r: httpx.Response(200, text="<html>"),
        lambda r: httpx.Response(200, json={"not": "a list"}),
        lambda r: httpx.Response(200, json=[]),
    ],
    ids=["down", "500", "not-json", "not-list", "no-reply"],
)
def test_rasa_trouble_is_a_friendly_apology(handler):
    client, _ = client_for(handler)
    with client:
        response = client.post("/api/chat", json={"conversation_id": conversation(client), "message": "hi",
                                                  "role": "parent"})
    assert response.status_code == 503
    assert "999" in response.json()["messages"][0]["text"]


def test_healthz_reports_each_dependency():
    def handler(request):
        return httpx.Response(200) if request.url.port == 5005 else httpx.Response(503)

    client, _ = client_for(handler, Settings(SESSION_SECRET="test-secret", RASA_TOKEN="gateway-token",
                                            DATABASE_URL="postgresql+psycopg://nobody@127.0.0.1:1/none"))
    with client:
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "degraded", "rasa": "up", "action_server": "down", "database": "down"}


def test_the_page_and_its_assets_come_from_the_gateway_only():
    client, _ = client_for(rasa_reply)
    with client:
        page = client.get("/")
        script = client.get("/static/chat.js")
        styles = client.get("/static/chat.css")
        embed = client.get("/embed.js")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert 'maxlength="1000"' in page.text and "0 / 1000 characters" in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert script.status_code == styles.status_code == embed.status_code == 200
    assert not re.search(r"innerHTML|outerHTML|insertAdjacentHTML|document.write", script.text)
    assert "textContent" in script.text
    for text in (page.text, script.text, styles.text, embed.text):
        assert not re.search(r"https?://(?!ASSISTANT-ADDRESS)", text)  # no third-party address anywhere


def test_conversation_ids_are_random_and_signed():
    client, _ = client_for(rasa_reply)
    with client:
        first, second = conversation(client), conversation(client)
    assert first != second and first.count(".") == 2
    other, _ = client_for(rasa_reply, Settings(SESSION_SECRET="another-secret"))
    with other:
        response = other.post("/api/chat", json={"conversation_id": first, "message": "hi", "role": "parent"})
    assert response.status_code == 401 and "reload the page" in response.json()["message"]


class Clock:
    def __init__(self, now: float = 1_800_000_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_a_conversation_expires_when_idle_or_too_old_and_cannot_be_made_younger():
    from bot.gateway.channels.web.conversations import ConversationIds, Expired

    clock = Clock()
    ids = ConversationIds("secret", idle_minutes=60, max_hours=12, clock=clock)
    talking = ids.issue()
    sender = ids.sender_for(talking)
    assert sender and sender.startswith("web:")
    for _ in range(13):  # a message every 59 minutes keeps it alive, until 12 hours after it began
        clock.now += 59 * 60
        if clock.now - 1_800_000_000.0 > 12 * 3600:
            with pytest.raises(Expired):
                ids.sender_for(talking)
            break
        assert ids.sender_for(talking) == sender
    else:
        pytest.fail("never expired")

    idle = ids.issue()
    ids.sender_for(idle)
    clock.now += 61 * 60
    with pytest.raises(Expired) as expired:
        ids.sender_for(idle)
    assert expired.value.sender.startswith("web:")

    random_part, issued, signature = ids.issue().split(".")
    assert ids.sender_for(f"{random_part}.{int(issued, 36) + 1:x}.{signature}") is None  # re-dated: not ours


def test_an_expired_conversation_is_refused_so_the_page_starts_a_new_one_and_rasa_forgets_it():
    client, seen = client_for(rasa_reply, Settings(SESSION_SECRET="test-secret", RASA_TOKEN="gateway-token",
                                                   WEB_CONVERSATION_IDLE_MINUTES=0.0))
    with client:
        old = conversation(client)
        first = client.post("/api/chat", json={"conversation_id": old, "message": "hi", "role": "parent"})
        time.sleep(0.01)  # idle for longer than zero minutes
        again = client.post("/api/chat", json={"conversation_id": old, "message": "hi", "role": "parent"})
    assert first.status_code == 200
    assert again.status_code == 401 and again.json()["error"] == "conversation_expired"
    assert "a new one has started" in again.json()["message"]
    forgotten = [r for r in seen if r.method == "PUT" and r.url.path.endswith("/tracker/events")]
    assert len(forgotten) == 1


def test_ending_a_conversation_clears_it_in_rasa_and_retires_its_id():
    client, seen = client_for(rasa_reply)
    with client:
        old = conversation(client)
        assert client.post("/api/chat", json={"conversation_id": old, "message": "hi", "role": "staff"}).status_code == 200
        ended = client.post("/api/conversations/end", json={"conversation_id": old})
        again = client.post("/api/chat", json={"conversation_id": old, "message": "hi", "role": "staff"})
        forged = client.post("/api/conversations/end", json={"conversation_id": "abc.def.ghi"})
        empty = client.post("/api/conversations/end", content=b"{}", headers={"Content-Type": "application/json"})
    assert ended.status_code == 200 and ended.json() == {"ended": True}
    puts = [r for r in seen if r.method == "PUT"]
    assert len(puts) == 2 and all(r.url.path.endswith("/tracker/events") for r in puts)  # ended, then refused
    assert again.status_code == 401 and again.json()["error"] == "conversation_expired"
    assert forged.status_code == 401 and empty.status_code == 422


def test_rate_limits_per_conversation_and_per_address():
    client, seen = client_for(rasa_reply, Settings(SESSION_SECRET="s", CHAT_LIMIT_PER_CONVERSATION=3,
                                                   CHAT_LIMIT_PER_ADDRESS=6))
    with client:
        one = conversation(client)
        codes = [client.post("/api/chat", json={"conversation_id": one, "message": "hi", "role": "parent"}).status_code
                 for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        two = conversation(client)  # the address has now used 6 of its 6
        refused = client.post("/api/chat", json={"conversation_id": two, "message": "hi", "role": "parent"})
        assert client.post("/api/conversations").status_code == 429
    assert refused.status_code == 429 and "wait" in refused.json()["message"]
    assert int(refused.headers["retry-after"]) >= 1
    assert len([r for r in seen if r.url.path == "/webhooks/gateway/webhook"]) == 3


def test_web_feedback_is_stored_once_per_answer(tmp_path):
    from bot.database import open_database
    from bot.gateway.feedback import all_feedback

    url = f"sqlite:///{tmp_path / 'feedback.sqlite3'}"
    client, _ = client_for(rasa_reply, Settings(SESSION_SECRET="s", DATABASE_URL=url))
    with client:
        conversation_id = conversation(client)
        body = {"conversation_id": conversation_id, "helpful": False, "clauses": ["D200 5.3"], "answer": "a1"}
        assert client.post("/api/feedback", json=body).status_code == 201
        assert client.post("/api/feedback", json=body).status_code == 201  # a double click counts once
        assert client.post("/api/feedback", json=body | {"helpful": "no"}).status_code == 422
        assert client.post("/api/feedback", json=body | {"conversation_id": "made-up"}).status_code == 401
    saved = all_feedback(open_database(url))
    assert [(f.channel, f.helpful, f.clauses) for f in saved] == [("web", False, ["D200 5.3"])]
    assert saved[0].channel_user == "web:" + conversation_id.split(".")[0]


def test_every_message_to_rasa_carries_the_gateways_token():
    client, seen = client_for(rasa_reply)
    with client:
        one = conversation(client)
        assert client.post("/api/chat", json={"conversation_id": one, "message": "hi", "role": "parent"}).status_code == 200
    [sent] = [r for r in seen if r.url.path == "/webhooks/gateway/webhook"]
    assert sent.headers["x-policybot-gateway-token"] == "gateway-token"


def test_security_headers_framing_only_by_the_schools_sites_and_no_openapi():
    settings = Settings(SESSION_SECRET="s", RASA_TOKEN="t", EMBED_ALLOWED_ORIGINS="https://norrisbank.example javascript:x")
    app = create_app(settings, transport=httpx.MockTransport(rasa_reply))
    with TestClient(app) as client:
        page = client.get("/")
        assert client.get("/openapi.json").status_code == 404
    csp = page.headers["content-security-policy"]
    assert "frame-ancestors 'self' https://norrisbank.example" in csp and "javascript" not in csp
    assert "camera=()" in page.headers["permissions-policy"] and "strict-transport-security" not in page.headers
    with TestClient(app, base_url="https://assistant.example") as secure:
        assert secure.get("/").headers["strict-transport-security"].startswith("max-age=")
    with TestClient(create_app(Settings(SESSION_SECRET="s"), transport=httpx.MockTransport(rasa_reply))) as plain:
        assert "frame-ancestors 'self';" in plain.get("/").headers["content-security-policy"] + ";"


@pytest.mark.parametrize("command", ["/restart", "/session_start", '/inform{"incident_category": "sexting"}', " /back"])
def test_rasa_commands_typed_as_text_get_a_normal_reply_and_never_reach_rasa(command):
    client, seen = client_for(rasa_reply)
    with client:
        one = conversation(client)
        response = client.post("/api/chat", json={"conversation_id": one, "message": command, "role": "pupil"})
    assert response.status_code == 200
    [message] = response.json()["messages"]
    assert "can't run commands" in message["text"]
    assert not [r for r in seen if r.url.path == "/webhooks/gateway/webhook"]


def test_button_payloads_still_reach_rasa():
    client, seen = client_for(rasa_reply)
    with client:
        one = conversation(client)
        client.post("/api/chat", json={"conversation_id": one, "message": "/report_incident", "role": "staff"})
    assert len([r for r in seen if r.url.path == "/webhooks/gateway/webhook"]) == 1
