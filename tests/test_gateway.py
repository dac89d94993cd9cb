"""The gateway against a stand-in for Rasa's REST channel (httpx.MockTransport)."""

import json

import httpx
import pytest
from fastapi.testclient import TestClient

from bot.gateway import create_app
from bot.settings import Settings

CITATION = {"policy": "D200", "clause": "5.3", "section": "Social media use - staff", "text": "…",
            "strength": "must_not", "strength_label": "MUST NOT", "label": "D200 5.3"}


def client_for(handler) -> tuple[TestClient, list]:
    seen = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return handler(request)

    app = create_app(Settings(), transport=httpx.MockTransport(record))
    return TestClient(app), seen


def rasa_reply(request: httpx.Request) -> httpx.Response:
    if request.url.path == "/webhooks/rest/webhook":
        return httpx.Response(200, json=[
            {"recipient_id": "x", "text": "MUST NOT · D200 5.3"},
            {"recipient_id": "x", "custom": {"covered": True, "citations": [CITATION], "notices": ["review"]}},
            {"recipient_id": "x", "text": "Anything else?", "buttons": [{"title": "Yes", "payload": "/ask_help"}]},
        ])
    return httpx.Response(200, text="ok")


def test_chat_passes_role_and_namespaced_sender_and_joins_text_with_citations():
    client, seen = client_for(rasa_reply)
    with client:
        response = client.post("/api/chat", json={"sender_id": "abc", "message": "can I friend a parent?", "role": "staff"})
    assert response.status_code == 200
    sent = json.loads(seen[0].content)
    assert sent == {"sender": "web:abc", "message": "can I friend a parent?", "metadata": {"role": "staff", "channel": "web"}}
    first, second = response.json()["messages"]
    assert first["text"] == "MUST NOT · D200 5.3" and first["citations"] == [CITATION]
    assert first["covered"] is True and first["notices"] == ["review"]
    assert second == {"text": "Anything else?", "citations": [], "buttons": [{"title": "Yes", "payload": "/ask_help"}]}


@pytest.mark.parametrize(
    "payload, status",
    [(b"", 400), (b"\xff\xfe", 400), (b'{"message": "hi"}', 422),
     (json.dumps({"sender_id": "a", "message": "hi", "role": "admin"}).encode(), 422),
     (json.dumps({"sender_id": "a", "message": "x" * 10_000, "role": "parent"}).encode(), 413)],
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
        response = client.post("/api/chat", json={"sender_id": "a", "message": "hi", "role": "parent"})
    assert response.status_code == 503
    assert "999" in response.json()["messages"][0]["text"]


def test_healthz_reports_each_dependency():
    def handler(request):
        return httpx.Response(200) if request.url.port == 5005 else httpx.Response(503)

    client, _ = client_for(handler)
    with client:
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "degraded", "rasa": "up", "action_server": "down"}


def test_the_page_is_served_and_escapes_by_construction():
    client, _ = client_for(rasa_reply)
    with client:
        response = client.get("/")
    assert response.status_code == 200 and "text/html" in response.headers["content-type"]
    assert "innerHTML" not in response.text and "textContent" in response.text
