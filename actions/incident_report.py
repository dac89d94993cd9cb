"""Rasa custom actions for incident reports: start, validate, confirm, submit, cancel.

Thin adapters: reading answers is bot.incidents.form, saving is bot.incidents.service. Nothing a reporter
types is logged. After a report is saved or cancelled its slots are cleared and the gateway is
told to forget the conversation, so no details stay in Rasa's tracker.
"""

from __future__ import annotations

import logging
import re
import uuid
from functools import lru_cache
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.asker import role_of
from actions.policy_answers import answer, answered_instead
from actions.safeguarding import SLOT_KIND, triage_first
from bot.contract import CANCEL, SUBMIT, SenderId, intent_of_payload
from bot.database import DatabaseUnavailable
from bot.incidents import form as report_form
from bot.incidents.categories import (
    BY_KEY,
    CATEGORIES,
    CYBERBULLYING_OUTSIDE_SCHOOL,
    QUESTIONS,
    detect,
    from_answer,
    questions_for,
)
from bot.incidents.form import AnswerProblem
from bot.incidents.moments import SchoolDay
from bot.incidents.receipt import reachable_on, receipt, status_line
from bot.incidents.service import IncidentService, TooManyReports
from bot.incidents.slots import REPORT_SLOTS
from bot.notify.outbox import default_notifiers
from bot.policy.assistant import shared_assistant
from bot.safeguarding.advice import URGENT
from bot.safeguarding.answers import asks_for_copies
from bot.safeguarding.cues import cue_kinds
from bot.settings import Settings

log = logging.getLogger(__name__)

STARTING = "report_starting"
FORM_SLOTS = (*QUESTIONS, "incident_confirmed", "incident_key", "requested_slot")
DANGER_FIRST = (
    "If anyone is in immediate danger, call 999 now. Then tell the Designated Safeguarding Lead (DSL) in "
    "person straight away; don't wait for this report. I've marked this report URGENT."
)
URGENT_MARKED = "I've marked this report URGENT, so the Designated Safeguarding Lead is told at once."
PRIVACY = (
    "I'll take your report in a few short questions. What I keep: your answers, your name and how to "
    "contact you. Who sees it: only the people the policy names for this kind of report (for example the "
    "head teacher or the Designated Safeguarding Lead). It is kept in the school's incident records for as "
    "long as the school's safeguarding records policy says, and is never deleted through this chat. Say "
    "\"cancel\" at any time and nothing is saved."
)
CANCEL_CHECK = ("Cancel the whole report? Nothing you've told me will be saved. Press \"Yes, cancel the report\", "
                "or carry on with the question below.")
NO_LINKS = ("Please don't send links, pictures or videos here, at any step: they can lead to images the school must "
            "never have copied. Describe it in words instead (for example the app and the account name).")
BACK_TO_REPORT = "Back to your report:"
NO_COPIES = ("Cyberbullying is reported with screen prints of the messages (D200 8.6), but never copy, save, screenshot or "
             "forward a picture that may be a sexual image of a child: describe it in words, and the school will tell "
             "you how to keep any evidence safely.")
NO_IMAGES = ("Please don't send pictures, screenshots or videos here. Describe what you saw in words; the "
             "school will tell you how to keep any evidence safely.")
SAVE_FAILED = (
    "Sorry, I couldn't save your report just now: the school's incident system is not answering. Nothing "
    "has been lost: your answers are kept in this conversation. Press \"Try again\" (or type \"try again\") "
    "in a minute. If a child is in danger, call 999 and tell the Designated Safeguarding Lead in person now."
)


def school_day(settings: Settings) -> SchoolDay:
    return SchoolDay.parse(settings.SCHOOL_DAY_START, settings.SCHOOL_LUNCH_TIME, settings.SCHOOL_DAY_END)


@lru_cache(maxsize=1)
def incident_service() -> IncidentService:
    return IncidentService(Settings.from_env())


def channel_of(tracker: Tracker) -> tuple[str, str]:
    sender = SenderId.parse(tracker.sender_id)
    return sender.channel, str(sender)


def clear_report() -> list[dict]:
    return [SlotSet(name, None) for name in FORM_SLOTS]


class ActionStartIncidentReport(Action):
    def name(self) -> str:
        return "action_start_incident_report"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        text = tracker.latest_message.get("text") or ""
        if not intent_of_payload(text) and not report_form.asks_to_report(text):
            # a question about reporting, or something that happened: answered, and a report offered
            return [*answer(dispatcher, tracker, offer=True), SlotSet(STARTING, False)]
        triaged = triage_first(dispatcher, tracker)  # what to do now comes before anything about the report
        category = BY_KEY.get(tracker.get_slot("incident_category") or "") or detect(text)
        events = triaged.events + clear_report() + [SlotSet("incident_key", uuid.uuid4().hex)]
        if triaged.kind in URGENT or (category and category.key == "child_at_risk"):
            dispatcher.utter_message(text=URGENT_MARKED)
            events.append(SlotSet("incident_danger", True))
        elif report_form.mentions_danger(text):
            dispatcher.utter_message(text=DANGER_FIRST)
            events.append(SlotSet("incident_danger", True))
        dispatcher.utter_message(text=PRIVACY, json_message={"report": "started"})
        if category:  # its guidance is said when the form validates it, next
            events.append(SlotSet("incident_category", category.key))
        if report_form.has_image(text):
            dispatcher.utter_message(text=NO_IMAGES)
        role = role_of(tracker)
        if role:
            events.append(SlotSet("reporter_role", role))
        if tracker.get_slot("staff_name"):  # given for the induction in this conversation: not asked again
            events.append(SlotSet("reporter_name", tracker.get_slot("staff_name")))
        return [*events, SlotSet(STARTING, True)]


def answer_in_passing(dispatcher: CollectingDispatcher, tracker: Tracker, question: str) -> None:
    """A question asked mid-report is answered from the policy; then the report resumes at the same question. In a
    report that may be about a sexual image, an answer asking for screen prints (D200 8.6) gives way to NO_COPIES."""
    try:
        found = shared_assistant().ask(question, role_of(tracker))
        if asks_for_copies(found.payload) and images_involved(tracker, question):
            dispatcher.utter_message(text=NO_COPIES)
        else:
            dispatcher.utter_message(text=found.text, json_message=found.payload)
    except Exception:  # a broken index must not break the report
        log.exception("policy lookup failed in the middle of a report")
        dispatcher.utter_message(text="Sorry, I can't look that up just now.")
    dispatcher.utter_message(text=BACK_TO_REPORT)


def images_involved(tracker: Tracker, text: str) -> bool:
    """Whether this report or message may be about a sexual image: a sexting report, a message whose triage said so
    this turn, or the images kind's own words."""
    return (tracker.get_slot("incident_category") == "sexting" or tracker.get_slot(SLOT_KIND) == "sexual_images"
            or "sexual_images" in cue_kinds(text))


class ValidateIncidentReportForm(FormValidationAction):
    def name(self) -> str:
        return "validate_incident_report_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict]:
        """Triage the answer first: advice before the next question, and the report marked urgent."""
        triaged = triage_first(dispatcher, tracker)
        events = list(triaged.events)
        if triaged.fresh and triaged.kind in URGENT and tracker.slots.get("incident_danger") is not True:
            dispatcher.utter_message(text=URGENT_MARKED)
            events.append(SlotSet("incident_danger", True))
            if tracker.get_slot("requested_slot") == "incident_danger":  # that was the answer: yes
                return events
            tracker.slots["incident_danger"] = True  # this request's view: the answer's checks need not say it again
        return events + await super().run(dispatcher, tracker, domain)

    async def required_slots(self, domain_slots, dispatcher, tracker, domain) -> list[str]:
        if tracker.slots.get("incident_confirmed") is False:  # cancelled: ask nothing more
            return []
        return questions_for(tracker.slots.get("incident_category"))

    @staticmethod
    def _read(slot: str, value: Any, reader, dispatcher: CollectingDispatcher, tracker: Tracker | None = None) -> dict:
        text = str(value or "")
        if report_form.cancel_confirmed(text):
            return {slot: None, "incident_confirmed": False}
        if report_form.is_cancel(text):  # asked first: one word must not wipe every answer given so far
            dispatcher.utter_message(text=CANCEL_CHECK, buttons=[
                {"title": "Yes, cancel the report", "payload": "cancel the whole report"},
                {"title": "No, carry on", "payload": "carry on"}])
            return {slot: None}
        if report_form.carries_on(text):
            return {slot: None}  # the question is asked again
        if report_form.has_link(text) or report_form.has_image(text):
            dispatcher.utter_message(text=NO_LINKS)
            return {slot: None}
        if tracker is not None and report_form.is_question(text):
            answer_in_passing(dispatcher, tracker, text)
            return {slot: None}
        try:
            return {slot: reader(text)}
        except AnswerProblem as problem:
            dispatcher.utter_message(text=str(problem))
            return {slot: None}

    def validate_incident_danger(self, value, dispatcher, tracker, domain: DomainDict) -> dict:
        if isinstance(value, bool):  # already answered: set when the report was started
            return {"incident_danger": value}
        result = self._read("incident_danger", value, report_form.read_yes_no, dispatcher, tracker)
        if result.get("incident_danger") is True:
            dispatcher.utter_message(text=DANGER_FIRST)
        return result

    def validate_incident_category(self, value, dispatcher, tracker, domain: DomainDict) -> dict:
        def read(text: str) -> str:
            category = from_answer(text)
            if category is None:
                raise AnswerProblem("Please choose one of the kinds of report (the buttons), or say \"something else\".")
            if category.guidance:
                dispatcher.utter_message(text=category.guidance)
            return category.key
        return self._read("incident_category", value, read, dispatcher, tracker)

    def validate_incident_when(self, value, dispatcher, tracker, domain: DomainDict) -> dict:
        service = incident_service()
        day = school_day(service.settings)
        return self._read("incident_when", value, lambda t: report_form.read_when(t, service.zone, day=day), dispatcher, tracker)

    def validate_incident_where(self, value, dispatcher, tracker, domain: DomainDict) -> dict:
        result = self._read("incident_where", value, report_form.read_where, dispatcher, tracker)
        if result.get("incident_where") == "outside" and tracker.slots.get("incident_category") == "cyberbullying":
            dispatcher.utter_message(text=CYBERBULLYING_OUTSIDE_SCHOOL)
        return result

    def validate_incident_people(self, value, dispatcher, tracker, domain: DomainDict) -> dict:
        def read(text: str) -> str:
            report_form.read_people(text)
            return report_form.read_text(text, "who was involved", 2, 300)
        return self._read("incident_people", value, read, dispatcher, tracker)

    def validate_incident_description(self, value, dispatcher, tracker, domain: DomainDict) -> dict:
        longest = incident_service().settings.MAX_MESSAGE_CHARS
        result = self._read("incident_description", value,
                            lambda t: report_form.read_text(t, "what happened", 10, longest), dispatcher, tracker)
        if result.get("incident_description") and report_form.mentions_danger(str(value)) \
                and tracker.slots.get("incident_danger") is not True:
            dispatcher.utter_message(text=DANGER_FIRST)
            result["incident_danger"] = True
        return result

    def validate_incident_evidence(self, value, dispatcher, tracker, domain: DomainDict) -> dict:
        result = self._read("incident_evidence", value, report_form.read_evidence, dispatcher, tracker)
        if result.get("incident_evidence") == "no":
            dispatcher.utter_message(text="If you still can, save screen prints of the messages or pages with the "
                                          "time and date (D200 8.6), unless they show a sexual image of a child: "
                                          "never copy those.")
        return result

    def validate_reporter_name(self, value, dispatcher, tracker, domain: DomainDict) -> dict:
        return self._read("reporter_name", value, lambda t: report_form.read_text(t, "your name", 2, 120), dispatcher, tracker)

    def validate_reporter_role(self, value, dispatcher, tracker, domain: DomainDict) -> dict:
        return self._read("reporter_role", value, report_form.read_reporter_role, dispatcher, tracker)

    def validate_reporter_contact(self, value, dispatcher, tracker, domain: DomainDict) -> dict:
        return self._read("reporter_contact", value,
                          lambda t: report_form.read_text(t, "how the school can contact you", 3, 200), dispatcher, tracker)

    def validate_incident_confirmed(self, value, dispatcher, tracker, domain: DomainDict) -> dict:
        text = str(value or "")
        if report_form.cancel_confirmed(text):
            return {"incident_confirmed": False}
        if report_form.is_cancel(text) or report_form.carries_on(text):
            return self._read("incident_confirmed", text, report_form.read_yes_no, dispatcher, tracker)
        asked = questions_for(tracker.slots.get("incident_category"))
        target = report_form.correction_target(text, asked)
        if target:
            dispatcher.utter_message(text="OK, let's change that.")
            return {"incident_confirmed": None, target: None}
        try:
            if report_form.read_yes_no(text):
                return {"incident_confirmed": True}
        except AnswerProblem:
            pass
        dispatcher.utter_message(text="Which part would you like to change?", buttons=[
            {"title": slot.button[0], "payload": f"change {slot.button[1]}"}
            for slot in REPORT_SLOTS if slot.button and slot.name in asked
        ])
        return {"incident_confirmed": None}


class ActionAskIncidentCategory(Action):
    def name(self) -> str:
        return "action_ask_incident_category"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        dispatcher.utter_message(text="What kind of thing are you reporting?", buttons=[
            {"title": c.label, "payload": c.key} for c in CATEGORIES
        ])
        return []


class ActionAskIncidentConfirmed(Action):
    def name(self) -> str:
        return "action_ask_incident_confirmed"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        dispatcher.utter_message(text=report_form.summary(tracker.slots, incident_service().zone), buttons=[
            {"title": "Yes, send it", "payload": "yes"}, {"title": "Change something", "payload": "change"},
            {"title": "Cancel the report", "payload": "cancel the whole report"},
        ])
        return []


class ActionSubmitIncidentReport(Action):
    def name(self) -> str:
        return "action_submit_incident_report"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        if tracker.get_slot("incident_confirmed") is not True or not tracker.get_slot("incident_key"):
            return cancel(dispatcher, tracker)
        service = incident_service()
        channel, user = channel_of(tracker)
        try:
            draft = report_form.draft_from_slots(tracker.slots, channel, user, service.zone)
            incident = service.submit(draft, tracker.get_slot("incident_key"))
        except DatabaseUnavailable:
            log.error("an incident report could not be saved; the reporter was asked to try again")
            dispatcher.utter_message(text=SAVE_FAILED, buttons=[
                {"title": "Try again", "payload": SUBMIT}, {"title": "Cancel", "payload": CANCEL}])
            return []
        except TooManyReports as limit:
            dispatcher.utter_message(text=(
                f"You've made {limit.made} reports in the last hour, which is as many as this assistant takes from one "
                "person, so this one was not saved. If anyone is in immediate danger, call 999. Otherwise please "
                f"speak to {service.contacts.dsl.name} or the school office directly; a notice about this is on its "
                "way to them."),
                json_message={"forget_conversation": True})
            return clear_report()
        except (KeyError, ValueError, AnswerProblem):
            dispatcher.utter_message(text="Sorry, part of your report went missing, so I haven't saved it. "
                                          "Please start again with \"I need to report something\".")
            return clear_report()
        people = [service.contacts.people[key] for key in incident.routed_to]
        log.info("incident %s saved (%s)", incident.reference, incident.category)
        channels_on = {n.channel for n in default_notifiers(service.settings) if n.configured}
        text = receipt(incident.reference, incident.category, incident.reporter_role, incident.urgent, people,
                       service.contacts, channels_on)
        dispatcher.utter_message(text=text, json_message={
            "incident": {"reference": incident.reference, "urgent": incident.urgent,
                         "routed_to": [p.name for p in people],
                         "told_by": {p.name: reachable_on(p, channels_on) for p in people}},
            "forget_conversation": True,
        })
        return clear_report()


def under_way(tracker: Tracker) -> bool:
    """Has a report been started in this conversation and not yet saved or dropped?"""
    return any(tracker.get_slot(s) is not None for s in FORM_SLOTS if s != "incident_confirmed")


def cancel(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[dict]:
    if under_way(tracker):
        dispatcher.utter_message(text="Cancelled. Nothing was saved, and what you typed is cleared from this chat.",
                                 json_message={"forget_conversation": True})
    else:
        dispatcher.utter_message(text="There's no report in progress. Say \"I need to report something\" to start one.")
    return clear_report()


class ActionCancelIncidentReport(Action):
    def name(self) -> str:
        return "action_cancel_incident_report"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        if not under_way(tracker):  # "why can't I just believe it?" is a question, not "stop"
            instead = answered_instead(dispatcher, tracker)
            if instead is not None:
                return instead
        return cancel(dispatcher, tracker)


REFERENCE = re.compile(r"\bINC-\d{4}-\d{4,}\b", re.I)


class ActionReportStatus(Action):
    """"Has my report been seen?": the status of the reports made from this conversation or account only."""

    def name(self) -> str:
        return "action_report_status"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        service = incident_service()
        found = REFERENCE.search(tracker.latest_message.get("text") or "")
        reference = found.group(0).upper() if found else None
        _, user = channel_of(tracker)
        try:
            mine = service.made_by(user, reference)
        except DatabaseUnavailable:
            dispatcher.utter_message(text="Sorry, I can't look reports up just now. Please try again in a few minutes; "
                                          "if a child is in danger, call 999 and tell the DSL in person.")
            return []
        if not mine:
            asked = f"a report {reference}" if reference else "a report"
            dispatcher.utter_message(text=(
                f"I can't find {asked} made from this conversation. I can only tell people about reports they made "
                f"here, to keep reports private. Please ask {service.contacts.dsl.name} or the school office, "
                "giving your reference."))
            return []
        lines = [status_line(i, service.zone, service.settings.URGENT_ESCALATE_MINUTES) for i in mine]
        dispatcher.utter_message(text="\n".join(lines))
        return []
