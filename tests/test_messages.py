import json

import pytest

from bot.gateway.channels.web.request import RequestProblem, parse_chat_request
from bot.messages import MessageProblem, clean_message


def body(**fields):
    base = {"conversation_id": "abc-1", "message": "can I friend a parent?", "role": "staff"}
    base.update(fields)
    return json.dumps({k: v for k, v in base.items() if v is not None}).encode()


def test_clean_message_tidies_control_characters_and_spaces():
    assert clean_message("  can\x00 I\tfriend\u200b a parent?\n", 100) == "can I friend a parent?"


@pytest.mark.parametrize("text, code", [("", "empty"), ("\x00\x01 \n", "empty"), ("x" * 101, "too_long"),
                                        (b"bytes", "not_text"), ("bad \udcff", "not_text")])
def test_clean_message_refuses_clearly(text, code):
    with pytest.raises(MessageProblem) as caught:
        clean_message(text, 100)
    assert caught.value.code == code and str(caught.value)


def test_html_stays_as_text():
    assert clean_message("<img src=x onerror=alert(1)>", 100) == "<img src=x onerror=alert(1)>"


def test_a_good_request():
    chat = parse_chat_request(body(), 1000)
    assert (chat.conversation_id, chat.message, chat.role) == ("abc-1", "can I friend a parent?", "staff")


@pytest.mark.parametrize(
    "raw, status, code",
    [
        (b"\xff\xfe\x00", 400, "not_utf8"),
        (b"not json", 400, "not_json"),
        (b"[1, 2]", 400, "not_object"),
        (body(role=None), 422, "missing_fields"),
        (body(role="headteacher"), 422, "bad_role"),
        (body(message=""), 422, "empty"),
        (body(message=42), 422, "not_text"),
        (body(message="x" * 10_000), 413, "too_long"),
        (b"{" + b" " * 70_000 + b"}", 413, "too_large"),
    ],
)
def test_bad_requests_get_a_clear_4xx(raw, status, code):
    with pytest.raises(RequestProblem) as caught:
        parse_chat_request(raw, 1000)
    assert (caught.value.status, caught.value.code) == (status, code)
    assert str(caught.value)
