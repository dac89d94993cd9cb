"""Rasa custom actions for the safeguarding induction: thin adapters onto bot.induction.service."""

from __future__ import annotations

import logging
import re
from abc import ABC, abstractmethod
from functools import lru_cache
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.policy_answers import answered_instead
from actions.safeguarding import triage_first
from bot.contract import SenderId
from bot.database import DatabaseUnavailable
from bot.incidents import form as report_form
from bot.incidents.form import AnswerProblem
from bot.induction.service import InductionService, Reply
from bot.settings import Settings

log = logging.getLogger(__name__)
UNAVAILABLE = ("Sorry, I can't reach the induction records right now, so I can't save your progress. Please try "
               "again in a few minutes; your place so far is kept.")


PRIVATE_CHAT_ONLY = ("The safeguarding induction is taken in a private chat with me, not in a channel: your name and "
                     "answers are yours. Send me a direct message (Slack) or open a personal chat with me (Teams) and "
                     "say \"start induction\".")
STAFF_CHANNELS_ONLY = ("The safeguarding induction is taken in Slack or Microsoft Teams, where the school knows who "
                       "you are, so your place in the register is really yours. Please open the assistant there.")


def verified_staff(tracker: Tracker) -> bool:
    """The induction's register must be bound to a real identity: Slack's or Teams' (within the allowed
    workspace or tenant, staff only), never a web chat, where anyone can say they are staff."""
    return SenderId.parse(tracker.sender_id).channel in ("slack", "teams")


@lru_cache(maxsize=1)
def induction_service() -> InductionService:
    return InductionService(Settings.from_env())


NAMES_THE_INDUCTION = re.compile(r"\b(induction|quiz|module|(take|walk) me through|onboard\w*|get started|"
                                 r"where do i (start|begin))\b", re.IGNORECASE)
STEP_WORDS = 4  # outside an induction, a message Rasa took for a step that is this long is a question


def in_an_induction(tracker: Tracker) -> bool:
    """Is the sender part-way through the induction (or might be: its records are down)? Never on the web."""
    if not verified_staff(tracker):
        return False
    try:
        return induction_service().in_progress(tracker.sender_id)
    except DatabaseUnavailable:
        return True


def say(dispatcher: CollectingDispatcher, work) -> list[dict]:
    """Run one induction step and send its replies; a database that is down is an apology."""
    try:
        replies: list[Reply] = work(induction_service())
    except DatabaseUnavailable:
        log.error("induction records unavailable")
        dispatcher.utter_message(text=UNAVAILABLE)
        return []
    for reply in replies:
        dispatcher.utter_message(text=reply.text, buttons=reply.buttons)
    return []


class ActionStartInduction(Action):
    def name(self) -> str:
        return "action_start_induction"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        instead = None if NAMES_THE_INDUCTION.search(tracker.latest_message.get("text") or "") else \
            answered_instead(dispatcher, tracker, unanswered_too=True)  # "can I go on Facebook at lunch?" starts nothing
        if instead is not None:
            return [*instead, FollowupAction("action_listen")]
        triaged = triage_first(dispatcher, tracker)
        if not verified_staff(tracker):
            dispatcher.utter_message(text=STAFF_CHANNELS_ONLY)
            return [*triaged.events, FollowupAction("action_listen")]  # no name is asked, nothing starts
        if SenderId.parse(tracker.sender_id).thread:  # a channel's thread is shared: the name is never asked there
            dispatcher.utter_message(text=PRIVATE_CHAT_ONLY)
            return [*triaged.events, FollowupAction("action_listen")]
        try:
            known = induction_service().known_name(tracker.sender_id)
        except DatabaseUnavailable:
            known = None
        return [*triaged.events, SlotSet("staff_name", known)]


class ValidateInductionNameForm(FormValidationAction):
    def name(self) -> str:
        return "validate_induction_name_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict]:
        triaged = triage_first(dispatcher, tracker)
        if triaged.fresh and triaged.concern:  # advice given; this was not a name
            return [*triaged.events, SlotSet("staff_name", None)]
        return [*triaged.events, *await super().run(dispatcher, tracker, domain)]

    def validate_staff_name(self, value, dispatcher, tracker, domain: DomainDict) -> dict:
        try:
            return {"staff_name": report_form.read_text(str(value or ""), "your full name", 2, 120)}
        except AnswerProblem as problem:
            dispatcher.utter_message(text=str(problem))
            return {"staff_name": None}


class InductionStep(Action, ABC):
    """An action that runs one step of the induction service for the sender and says its replies. Outside an
    induction, a question Rasa's intents took for a step ("even for 2 mins?") is answered from the policy."""

    after_the_name = False  # runs after the name form: the message is the person's name

    @abstractmethod
    def step(self, service: InductionService, tracker: Tracker) -> list[Reply]:
        ...

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        text = tracker.latest_message.get("text") or ""
        if not self.after_the_name and not NAMES_THE_INDUCTION.search(text) and not in_an_induction(tracker):
            instead = answered_instead(dispatcher, tracker, unanswered_too=len(text.split()) >= STEP_WORDS)
            if instead is not None:
                return instead
        triaged = triage_first(dispatcher, tracker)
        if not verified_staff(tracker):  # a button payload typed on the web: nothing is read or written
            dispatcher.utter_message(text=STAFF_CHANNELS_ONLY)
            return triaged.events
        return triaged.events + say(dispatcher, lambda service: self.step(service, tracker))


class ActionBeginInduction(InductionStep):
    after_the_name = True

    def name(self) -> str:
        return "action_begin_induction"

    def step(self, service: InductionService, tracker: Tracker) -> list[Reply]:
        return service.begin(tracker.sender_id, tracker.get_slot("staff_name") or "colleague")


class ActionContinueInduction(InductionStep):
    def name(self) -> str:
        return "action_continue_induction"

    def step(self, service: InductionService, tracker: Tracker) -> list[Reply]:
        return service.advance(tracker.sender_id)


class ActionStopInduction(InductionStep):
    def name(self) -> str:
        return "action_stop_induction"

    def step(self, service: InductionService, tracker: Tracker) -> list[Reply]:
        return service.stop(tracker.sender_id)


class ActionAnswerInductionQuestion(InductionStep):
    def name(self) -> str:
        return "action_answer_induction_question"

    def step(self, service: InductionService, tracker: Tracker) -> list[Reply]:
        return service.answer(tracker.sender_id, chosen_option(tracker))


class ActionConfirmInduction(InductionStep):
    def name(self) -> str:
        return "action_confirm_induction"

    def step(self, service: InductionService, tracker: Tracker) -> list[Reply]:
        return service.confirm(tracker.sender_id)


def chosen_option(tracker: Tracker) -> int:
    """A button sends the option's index; someone typing "2" means the second option; else -1."""
    choice = next((e.get("value") for e in tracker.latest_message.get("entities", [])
                   if e.get("entity") == "quiz_choice"), None)
    typed = (tracker.latest_message.get("text") or "").strip()
    try:
        return int(str(choice)) if choice is not None else int(typed.split()[-1]) - 1
    except (ValueError, IndexError):
        return -1
