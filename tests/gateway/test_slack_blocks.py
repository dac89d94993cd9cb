"""Block Kit rendering of the structured answers (pure functions)."""

from bot.gateway.channels.slack.blocks import message_blocks
from bot.gateway.rasa_client import BotMessage

CITATION = {"policy": "D200", "clause": "5.3", "section": "Social media use - staff", "text": "…",
            "strength_label": "MUST NOT", "label": "D200 5.3"}


def elements(blocks, kind="actions"):
    return [e for b in blocks if b["type"] == kind for e in b["elements"]]


def test_an_answer_has_citations_show_clause_quick_replies_and_feedback():
    message = BotMessage("MUST NOT · D200 5.3 <b>x</b> & y", (CITATION,), ({"title": "Report this", "payload": "/r"},),
                         {"covered": True})
    blocks = message_blocks(message)
    assert blocks[0]["text"]["text"] == "MUST NOT · D200 5.3 &lt;b&gt;x&lt;/b&gt; &amp; y"
    assert "*D200 5.3* · Social media use - staff · MUST NOT" in elements(blocks, "context")[0]["text"]
    ids = [e["action_id"] for e in elements(blocks)]
    assert ids == ["show_clause_0", "quick_reply_0", "feedback_yes", "feedback_no"]
    assert elements(blocks)[0]["value"] == "D200|5.3"


def test_long_options_are_listed_in_full_and_numbered_on_buttons():
    long = "No: staff must not post anything that could identify a pupil, class or the school, including pupils' work."
    blocks = message_blocks(BotMessage("Question 1 of 14: …", (), ({"title": "Yes", "payload": "/a0"},
                                                                  {"title": long, "payload": "/a1"})))
    assert long.replace("'", "'") in blocks[1]["text"]["text"] and "2. No: staff" in blocks[1]["text"]["text"]
    texts = [e["text"]["text"] for e in elements(blocks)]
    assert texts[0] == "1. Yes" and texts[1].startswith("2. No: staff") and len(texts[1]) <= 75
    assert [e["value"] for e in elements(blocks)] == ["/a0", "/a1"]


def test_not_covered_answers_have_no_feedback_buttons():
    blocks = message_blocks(BotMessage("I can't find that in the policy.", (), (), {"covered": False}))
    assert elements(blocks) == []
