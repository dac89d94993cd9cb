"""Greetings, thanks and "what can you do?": the domain's responses, after the safeguarding triage,
so "hi, my friend wants to hurt herself" is never answered with just a hello."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.policy_answers import answered_instead
from actions.safeguarding import triage_first

RESPONSES = {"greet": "utter_greet", "goodbye": "utter_goodbye", "thank": "utter_you_are_welcome",
             "ask_help": "utter_help", "bot_challenge": "utter_iamabot"}


class ActionReplyToChitchat(Action):
    def name(self) -> str:
        return "action_reply_to_chitchat"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        instead = answered_instead(dispatcher, tracker)  # "does that apply to TAs too?" is no thank-you
        if instead is not None:
            return instead
        triaged = triage_first(dispatcher, tracker)
        if not triaged.concern:
            intent = str((tracker.latest_message.get("intent") or {}).get("name") or "")
            dispatcher.utter_message(response=RESPONSES.get(intent, "utter_help"))
        return triaged.events
