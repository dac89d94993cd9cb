"""Safeguarding triage for every message, whatever the conversation is doing: a thin adapter onto
bot.safeguarding. Every action that reads what a person typed calls `triage_first` before anything
else, so advice about danger, a disclosure, sexual images or bullying is the first thing said."""

from __future__ import annotations

import logging
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.asker import role_of
from bot.policy.answers import citation
from bot.policy.assistant import shared_assistant
from bot.safeguarding.advice import advice_for
from bot.safeguarding.answers import ADVICE_POLICY, answered_in_section, gives_way
from bot.safeguarding.cues import cue_kinds
from bot.safeguarding.triage import Verdict, shared_triage

log = logging.getLogger(__name__)
SLOT_CHECKED, SLOT_KIND = "triaged_message", "safeguarding_kind"
# The triage's model runs here while the policy answer is looked up on the action's own thread: both encoders
# release the interpreter while they compute, so on two cores a question is answered about 5 ms sooner.
_ahead = ThreadPoolExecutor(max_workers=4, thread_name_prefix="triage")


@dataclass(frozen=True)
class Triaged:
    kind: str
    events: list[dict]
    fresh: bool  # False when an earlier action of this turn already triaged and advised
    also: tuple[str, ...] = ()  # the other kinds the message is about too (their lines are in the advice)

    @property
    def concern(self) -> bool:
        return self.kind != "none"


def _verdict(text: str) -> Verdict:
    try:
        assistant = shared_assistant()
        settings = assistant.settings
        triage = shared_triage(settings.path(settings.TRIAGE_MODEL_DIR))
        return triage.check(text)
    except Exception:  # the model must never be why a child at risk is missed: fall back to the cue words
        log.exception("safeguarding triage failed; using cue words only")
        cues = cue_kinds(text)
        return Verdict(cues[0] if cues else "none", {}, tuple(cues), tuple(cues[1:]))


def _triaged_already(tracker: Tracker) -> bool:
    """Has an earlier action of this turn triaged the latest message?"""
    message_id = str((tracker.latest_message or {}).get("message_id") or "")
    return bool(message_id) and tracker.get_slot(SLOT_CHECKED) == message_id


def verdict_ahead(tracker: Tracker) -> Future[Verdict] | None:
    """Start triaging the latest message now, for `triage_first` to pick up (None when this turn has been
    triaged already, so nothing is computed twice)."""
    if _triaged_already(tracker):
        return None
    return _ahead.submit(_verdict, str((tracker.latest_message or {}).get("text") or ""))


def _kinds(text: str, answer: dict | None, ahead: Future[Verdict] | None = None) -> tuple[str, tuple[str, ...]]:
    """The verdict's kind and the other kinds it is about too. A hesitant bullying or images verdict gives
    way when the policy clearly answers the question from another section (a question, not a concern)."""
    verdict = ahead.result() if ahead is not None else _verdict(text)
    if gives_way(verdict, answer):
        return "none", ()
    return verdict.kind, verdict.also


def _dsl_name() -> str:
    from actions.incident_report import incident_service

    try:
        name = incident_service().contacts.people["dsl"].name
    except Exception:  # the contacts file is checked at start-up; advice never waits on it
        return ""
    return "" if "safeguarding lead" in name.lower() else f" ({name})"


def _cite(number: str) -> dict | None:
    try:
        policy = shared_assistant().policies[ADVICE_POLICY]
        return dict(citation(policy.clause(number), title=policy.title))
    except Exception:
        return None


def triage_first(dispatcher: CollectingDispatcher, tracker: Tracker, answer: dict | None = None,
                 ahead: Future[Verdict] | None = None) -> Triaged:
    """Triage the latest message once per turn; for a concern, say the advice now (it comes first).
    `answer` is the policy's answer payload to the same message, when there is one: when it leads with a clause of
    the concern's section, its clauses there are quoted, and a hesitant bullying or images verdict gives way to it.
    `ahead` is the verdict `verdict_ahead` started for this message."""
    message = tracker.latest_message or {}
    text, message_id = str(message.get("text") or ""), str(message.get("message_id") or "")
    if _triaged_already(tracker):
        return Triaged(tracker.get_slot(SLOT_KIND) or "none", [], fresh=False)
    kind, also = _kinds(text, answer, ahead)
    if kind != "none":
        numbers = answered_in_section(answer, kind)
        advice = advice_for(kind, role_of(tracker), _dsl_name(), text, _cite, numbers, also)
        dispatcher.utter_message(text=advice.text, buttons=advice.buttons, json_message=advice.payload())
        log.info("safeguarding triage: %s", kind)  # the kind only, never the words
    remembered = [SlotSet(SLOT_CHECKED, message_id), SlotSet(SLOT_KIND, kind)] if message_id else []
    return Triaged(kind, remembered, fresh=True, also=also)
