"""Rasa custom action: answer from the policy, with citations, via bot.policy.assistant."""

from __future__ import annotations

import logging
import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.asker import role_of
from actions.safeguarding import triage_first, verdict_ahead
from bot.contract import DESCRIBE_INCIDENT, NEXT, REPORT_INCIDENT
from bot.contract import payload as payload_for
from bot.incidents.categories import detect, for_clause
from bot.messages import MessageProblem, clean_message
from bot.policy.answers import Answer
from bot.policy.assistant import shared_assistant
from bot.safeguarding.answers import asks_for_copies, clauses_in_section, other_policies

log = logging.getLogger(__name__)

APOLOGY = (
    "Sorry, I can't look that up right now. Please try again in a minute, or ask the school's "
    "e-safety team. If a child is in immediate danger, call 999 and tell the Designated "
    "Safeguarding Lead now."
)


OFFER = {"pupil": "Would you like to tell the school about this? Press the button, or say \"report it\".",
         None: "Would you like to report this? Press Report this, or say \"report it\"."}


class ActionAnswerPolicyQuestion(Action):
    def name(self) -> str:
        return "action_answer_policy_question"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        offer = (tracker.latest_message.get("intent") or {}).get("name") == DESCRIBE_INCIDENT
        return answer(dispatcher, tracker, offer)


def answer(dispatcher: CollectingDispatcher, tracker: Tracker, offer: bool = False,
           looked_up: tuple[str, Answer] | None = None) -> list[dict]:
    """Answer the latest message from the policy, safeguarding triage first. With `offer` (the person described
    something that happened), the answer ends by offering a report: a report starts only when they take it.
    `looked_up` is the question and answer `look_up` already found for this message."""
    assistant = shared_assistant()
    try:
        text = clean_message(tracker.latest_message.get("text"), assistant.settings.MAX_MESSAGE_CHARS)
    except MessageProblem as problem:
        dispatcher.utter_message(text=str(problem))
        return []
    ahead = verdict_ahead(tracker)  # the triage's model runs while the policy is searched
    question, found = looked_up or look_up(tracker, text)
    triaged = triage_first(dispatcher, tracker, found.payload if found else None, ahead)
    if triaged.concern and not also_answer(found, triaged.kind, triaged.also):  # the advice is the answer
        return [*triaged.events, SlotSet("last_question", question)]  # "will the police be told?" leans on it
    if found is None:
        dispatcher.utter_message(text=APOLOGY)
        return triaged.events
    if not found.payload.get("covered") and not triaged.concern:
        keep_unanswered(assistant.settings, text, role_of(tracker), found.payload.get("topic"))
    buttons = report_buttons(found.payload, text if offer and not triaged.concern else None)
    lines = [found.text]
    if offer and not triaged.concern:  # the advice carries its own report button
        lines.append(OFFER["pupil" if role_of(tracker) == "pupil" else None])
    dispatcher.utter_message(text="\n".join(lines), buttons=buttons + induction_buttons(tracker),
                             json_message=found.payload)
    return [*triaged.events, SlotSet("last_question", question)]


def look_up(tracker: Tracker, text: str) -> tuple[str, Answer | None]:
    """The question the message stands for (read with the question before it when it leans on it) and the policy's
    answer; None when the index or model is broken, which must not silence the bot."""
    try:
        return shared_assistant().ask_after(text, tracker.get_slot("last_question"), role_of(tracker))
    except Exception:
        log.exception("policy lookup failed")
        return text, None


# Small talk and nothing else: a greeting, thanks, goodbye, "what can you do?", "are you a bot?", in any order.
_SMALL_TALK_PIECE = (
    r"hi|hello|hey|hiya|yo|morning|afternoon|evening|good (morning|afternoon|evening|night|day)|hello there|hi there|"
    r"thanks?|thank (you|u)|thankyou|ty|thx|cheers|ta|many thanks|much appreciated|(thanks|thank you) (so much|a lot|"
    r"very much|for (your|the|ur) help)|ok|okay|k|great|brilliant|perfect|cool|lovely|fab|fine|nice|super|got it|"
    r"(that'?s|thats|that is|very|really|so) (helpful|useful|great|brilliant|perfect|clear|fine|ok|okay)|"
    r"(that|it) (helps|helped)|helpful|bye|goodbye|bye bye|see (you|ya)( later)?|talk later|night|"
    r"have a (good|nice) (day|evening|weekend)|i'?m done|that'?s all|help|i need help|options|menu|"
    r"what can (you|u) do|what do (you|u) do|what can i ask( you)?|how does (this|it) work|how do i use (this|you)|"
    r"who are (you|u)|what are (you|u)( for)?|are (you|u) (a )?(bot|robot|human|person|real person|real|ai|computer)|"
    r"who am i (talking|speaking|chatting) to|is this (a )?(bot|robot)|"
    r"(am i|is this) (talking|speaking|chatting) to a (bot|robot|human|person|real person)"
)
SMALL_TALK = re.compile(rf"(?:(?:{_SMALL_TALK_PIECE})(?:\s+|$))+", re.IGNORECASE)


def small_talk(text: str) -> bool:
    """Is the message only small talk ("thanks, that's helpful!", "hi", "what can you do?")?"""
    words = re.sub(r"[^\w\s']+", " ", text).split()
    return not words or bool(SMALL_TALK.fullmatch(" ".join(words) + " "))


def answered_instead(dispatcher: CollectingDispatcher, tracker: Tracker,
                     unanswered_too: bool = False) -> list[dict] | None:
    """A message Rasa's intents took for small talk or a command (an induction step, cancelling a report when none
    is under way) that is really a question the policy answers, alone or read with the question before it ("does
    that apply to TAs too?", "can I go on Facebook on my lunch break?"): answered as one, and its events returned.
    With `unanswered_too`, a question no policy answers gets the not-covered reply ("is Roblox ok for an 8 year
    old?" is not a request to start the induction). None when it is small talk or a button's payload, or the policy
    has no answer (and `unanswered_too` is not set): the caller replies as before."""
    text = str(tracker.latest_message.get("text") or "")
    if text.startswith("/") or small_talk(text):
        return None
    try:
        cleaned = clean_message(text, shared_assistant().settings.MAX_MESSAGE_CHARS)
    except MessageProblem:
        return None
    question, found = look_up(tracker, cleaned)
    if found is None or not (found.payload.get("covered") or unanswered_too):
        return None
    return answer(dispatcher, tracker, looked_up=(question, found))


def keep_unanswered(settings, question: str, role: str | None, topic: str | None) -> None:
    """A question no policy answers is kept, without who asked, for the e-safety team's review (the desk's gaps)."""
    from bot.database import open_database
    from bot.desk.gaps import record_unanswered

    record_unanswered(open_database(settings.database_url()), question, role or "unknown", topic)


def also_answer(answer: Answer | None, kind: str, also: tuple[str, ...] = ()) -> bool:
    """After safeguarding advice, the policy's own answer too when it covers the question and the advice did
    not already quote it, or it cites another of the school's policies: so a false alarm costs a sentence, never
    the answer. Never an answer asking for screen prints (D200 8.6) when a sexual image may be involved; the advice
    (never "not covered") is the answer then."""
    if answer is None or (asks_for_copies(answer.payload) and "sexual_images" in (kind, *also)):
        return False
    return bool(answer.payload.get("covered")) and (
        not clauses_in_section(answer.payload, kind) or other_policies(answer.payload))


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


ASKS_FOR_A_REPORT = re.compile(r"\breport", re.I)  # 5.4 "must be reported", 9.1 "we will report"; not 9.3 (searching)


def report_buttons(payload: dict, offered_for: str | None = None) -> list[dict]:
    """A "Report this" button when the clause that answers (not a related one) asks for a report, with the kind of
    report that clause names, or when a report is offered for something that happened (`offered_for` is what the
    person said: its kind is read from it)."""
    citations = payload.get("citations") or [] if payload.get("covered") else []
    top = citations[0] if citations else None
    asks = top is not None and ASKS_FOR_A_REPORT.search(" ".join([top.get("text", ""), *top.get("items", [])]))
    category = for_clause(top["policy"], top["clause"]) if top is not None and asks else None
    if offered_for is not None:
        category = detect(offered_for) or category
    if category is None:
        return [{"title": "Report this", "payload": payload_for(REPORT_INCIDENT)}] if offered_for is not None else []
    return [{"title": "Report this", "payload": payload_for(REPORT_INCIDENT, incident_category=category.key)}]
