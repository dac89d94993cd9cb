"""Block Kit for the assistant's structured answers: the same data the web chat renders."""

from __future__ import annotations

from typing import Any

from bot.contract import citation_parts
from bot.gateway.rasa_client import BotMessage
from bot.records import OutboxMessage

SHOW_CLAUSE = "show_clause"
QUICK_REPLY = "quick_reply"
FEEDBACK_YES, FEEDBACK_NO = "feedback_yes", "feedback_no"
ACKNOWLEDGE = "acknowledge_incident"
SECTION_LIMIT = 2900


def escape(text: str) -> str:
    """Slack mrkdwn treats &, < and > as markup: show them as typed."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _button(action_id: str, text: str, value: str, style: str | None = None) -> dict[str, Any]:
    button: dict[str, Any] = {"type": "button", "action_id": action_id,
                              "text": {"type": "plain_text", "text": text[:75], "emoji": True}, "value": value[:2000]}
    if style:
        button["style"] = style
    return button


def message_blocks(message: BotMessage) -> list[dict[str, Any]]:
    text = escape(message.text) or " "
    blocks: list[dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn", "text": text[i:i + SECTION_LIMIT]}}
              for i in range(0, len(text), SECTION_LIMIT)]
    for citation in message.citations:
        label, *rest = citation_parts(citation)
        line = " · ".join([f"*{escape(label)}*", *(escape(part) for part in rest)])
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": line}]})
    buttons = [_button(f"{SHOW_CLAUSE}_{i}", f"Show full clause {c['label']}", f"{c['policy']}|{c['clause']}")
               for i, c in enumerate(message.citations)]
    if any(len(b["title"]) > 75 for b in message.buttons):  # Slack cuts button text at 75: list them in full
        listed = "\n".join(f"{i + 1}. {escape(b['title'])}" for i, b in enumerate(message.buttons))
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": listed[:SECTION_LIMIT]}})
        titles = [f"{i + 1}. {b['title'][:68]}…" if len(b["title"]) > 72 else f"{i + 1}. {b['title']}"
                  for i, b in enumerate(message.buttons)]
    else:
        titles = [b["title"] for b in message.buttons]
    buttons += [_button(f"{QUICK_REPLY}_{i}", t, b["payload"]) for i, (t, b) in enumerate(zip(titles, message.buttons,
                                                                                               strict=True))]
    if buttons:
        blocks.append({"type": "actions", "elements": buttons[:25]})
    if message.data and message.data.get("covered") and message.citations:
        cited = ",".join(c["label"] for c in message.citations)
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": "Helpful?"}]})
        blocks.append({"type": "actions", "elements": [_button(FEEDBACK_YES, "👍 Yes", cited),
                                                       _button(FEEDBACK_NO, "👎 No", cited)]})
    return blocks


def fallback_text(message: BotMessage) -> str:
    """Plain text for notifications and clients that cannot show blocks."""
    return message.text[:3000] or "(no text)"


def notification_blocks(message: OutboxMessage, reference: str) -> list[dict[str, Any]]:
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*{message.subject}*"}},
        {"type": "section", "text": {"type": "plain_text", "text": message.body[:2900]}},
        {"type": "actions", "elements": [{"type": "button", "action_id": ACKNOWLEDGE, "style": "primary",
                                          "text": {"type": "plain_text", "text": "Acknowledge"}, "value": reference}]},
    ]
