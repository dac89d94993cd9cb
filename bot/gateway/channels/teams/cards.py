"""Adaptive Cards for Teams: the same structured answers the web chat and Slack render.

Text that comes from people or from the policy goes into TextRuns, which Teams shows as typed
(no Markdown, no links made from it). Buttons that need the assistant are Action.Submit: their
clicks arrive as an activity whose `value` is the button's data (see `ACTION` below).
"""

from __future__ import annotations

from botbuilder.core import CardFactory, MessageFactory
from botbuilder.schema import Activity, Attachment

from bot.contract import citation_parts
from bot.gateway.rasa_client import BotMessage

ACTION = "action"  # key in every Action.Submit's data: what the click means
QUICK_REPLY, FEEDBACK, ACKNOWLEDGE = "quick_reply", "feedback", "acknowledge"
CARD_VERSION = "1.5"
ACTIONS_PER_SET = 5  # Teams shows at most six actions in a row; keep each set readable on a phone


def plain(text: str, **style) -> dict:
    """A block of text shown exactly as written."""
    return {"type": "RichTextBlock", "inlines": [{"type": "TextRun", "text": text or " ", **style}]}


def submit(title: str, data: dict, style: str | None = None) -> dict:
    action = {"type": "Action.Submit", "title": title[:80], "data": data}
    if style:
        action["style"] = style
    return action


def action_sets(actions: list[dict]) -> list[dict]:
    return [{"type": "ActionSet", "actions": actions[i:i + ACTIONS_PER_SET]}
            for i in range(0, len(actions), ACTIONS_PER_SET)]


def card(body: list[dict], actions: list[dict] | None = None) -> Attachment:
    content = {"$schema": "http://adaptivecards.io/schemas/adaptive-card.json", "type": "AdaptiveCard",
               "version": CARD_VERSION, "body": body, "msteams": {"width": "Full"}}
    if actions:
        content["actions"] = actions
    return CardFactory.adaptive_card(content)


def citation_line(citation: dict) -> str:
    return " · ".join(citation_parts(citation))


def asked(message: BotMessage) -> dict:
    """The question an answer answered, carried by its "No" button to the desk's gaps (never who asked)."""
    question = (message.data or {}).get("question")
    return {"question": question[:300]} if isinstance(question, str) and question else {}


def answer_card(message: BotMessage) -> Attachment:
    body: list[dict] = [plain(message.text)]
    for notice in (message.data or {}).get("notices") or []:
        body.append(plain(str(notice), isSubtle=True, italic=True))
    for citation in message.citations:
        body.append({"type": "Container", "style": "emphasis", "spacing": "Small",
                     "items": [plain(citation_line(citation), weight="Bolder", size="Small")]})
    body += action_sets([submit(b["title"], {ACTION: QUICK_REPLY, "payload": b["payload"]}) for b in message.buttons])
    if message.data and message.data.get("covered") and message.citations:
        clauses = [c["label"] for c in message.citations]
        body.append(plain("Helpful?", isSubtle=True, size="Small"))
        body += action_sets([submit("👍 Yes", {ACTION: FEEDBACK, "helpful": True, "clauses": clauses}),
                             submit("👎 No", {ACTION: FEEDBACK, "helpful": False, "clauses": clauses,
                                             **asked(message)})])
    # "Show full clause" opens the quoted clause inside the card: no round trip, nothing to lose.
    shows = [{"type": "Action.ShowCard", "title": f"Show full clause {c['label']}"[:80],
              "card": {"type": "AdaptiveCard", "version": CARD_VERSION,
                       "body": [plain(f"{c['label']} · {c.get('section', '')}", weight="Bolder"),
                                plain(c.get("text", ""))]}}
             for c in message.citations if c.get("text")]
    return card(body, shows)


def needs_card(message: BotMessage) -> bool:
    return bool(message.citations or message.buttons or (message.data or {}).get("notices"))


def answer_activity(message: BotMessage) -> Activity:
    """A message for Teams: plain text alone, or the text (for notifications) and a card."""
    if not needs_card(message):
        activity = MessageFactory.text(message.text or " ")
    else:
        activity = MessageFactory.attachment(answer_card(message), text=None)
        activity.summary = message.text[:200]
    activity.text_format = "plain"
    return activity


def text_activity(text: str) -> Activity:
    activity = MessageFactory.text(text)
    activity.text_format = "plain"
    return activity


def notification_card(subject: str, body: str, reference: str) -> Attachment:
    return card([plain(subject, weight="Bolder", size="Medium"), plain(body)],
                [submit("Acknowledge", {ACTION: ACKNOWLEDGE, "reference": reference}, style="positive")])
