"""Rasa custom action: answer from the policy, with citations, via bot.policy.assistant."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.asker import role_of
from actions.safeguarding import triage_first
from bot.contract import NEXT, REPORT_INCIDENT
from bot.contract import payload as payload_for
from bot.incidents.categories import for_clause
from bot.messages import MessageProblem, clean_message
from bot.policy import followups
from bot.policy.answers import Answer
from bot.policy.assistant import shared_assistant
from bot.safeguarding.answers import clauses_in_section

log = logging.getLogger(__name__)

APOLOGY = (
    "Sorry, I can't look that up right now. Please try again in a minute, or ask the school's "
    "e-safety team. If a child is in immediate danger, call 999 and tell the Designated "
    "Safeguarding Lead now."
)


class ActionAnswerPolicyQuestion(Action):
    def name(self) -> str:
        return "action_answer_policy_question"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        assistant = shared_assistant()
        try:
            text = clean_message(tracker.latest_message.get("text"), assistant.settings.MAX_MESSAGE_CHARS)
        except MessageProblem as problem:
            dispatcher.utter_message(text=str(problem))
            return []
        question = followups.resolve(text, tracker.get_slot("last_question"))
        try:
            answer = assistant.ask(question, role_of(tracker))
        except Exception:  # a broken index or model must not silence the bot
            log.exception("policy lookup failed")
            answer = None
        triaged = triage_first(dispatcher, tracker, answer.payload if answer else None)
        if triaged.concern and not also_answer(answer, triaged.kind):  # the advice is the answer; never "not covered"
            return triaged.events
        if answer is None:
            dispatcher.utter_message(text=APOLOGY)
            return triaged.events
        buttons = report_buttons(answer.payload) + induction_buttons(tracker)
        dispatcher.utter_message(text=answer.text, buttons=buttons, json_message=answer.payload)
        return [*triaged.events, SlotSet("last_question", question)]


def also_answer(answer: Answer | None, kind: str) -> bool:
    """After safeguarding advice, the policy's own answer too when it covers the question and the advice did
    not already quote it: so a false alarm costs a sentence, never the answer."""
    return answer is not None and bool(answer.payload.get("covered")) and not clauses_in_section(answer.payload, kind)


def induction_buttons(tracker: Tracker) -> list[dict]:
    """A way back to the induction when this question was asked in the middle of it (only people who
    started one in this conversation are looked up, so other answers never wait for the database)."""
    from actions.induction import induction_service
    from bot.database import DatabaseUnavailable

    if not tracker.get_slot("staff_name"):
        return []
    try:
        if induction_service().in_progress(tracker.sender_id):
            return [{"title": "Back to the induction", "payload": NEXT}]
    except DatabaseUnavailable:
        pass
    return []


def report_buttons(payload: dict) -> list[dict]:
    """A "Report this" button when the answer cites a clause that asks for a report."""
    if not payload.get("covered"):
        return []
    found = (for_clause(c["policy"], c["clause"]) for c in payload.get("citations", []))
    category = next((c for c in found if c is not None), None)
    if category is None:
        return []
    return [{"title": "Report this", "payload": payload_for(REPORT_INCIDENT, incident_category=category.key)}]
