"""Custom actions run against the real domain and the real assistant (real model)."""

from __future__ import annotations

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.chitchat import ActionReplyToChitchat
from actions.incident_report import ActionCancelIncidentReport
from actions.induction import ActionContinueInduction, ActionStartInduction
from actions.policy_answers import ActionAnswerPolicyQuestion, small_talk
from bot.policy import assistant as assistant_module
from tests.support.rasa import DOMAIN


def make_tracker(text: str, intent: str = "ask_policy", role: str | None = "staff", slots: dict | None = None) -> Tracker:
    message = {"text": text, "intent": {"name": intent, "confidence": 0.9}, "entities": [],
               "metadata": {"role": role} if role else {}}
    all_slots = {name: None for name in DOMAIN["slots"]}
    all_slots.update(slots or {})
    return Tracker("test-sender", all_slots, message, [], False, None, {}, "action_listen")


def run(tracker: Tracker, action=ActionAnswerPolicyQuestion) -> tuple[list[dict], list[dict]]:
    dispatcher = CollectingDispatcher()
    events = action().run(dispatcher, tracker, DOMAIN)
    return dispatcher.messages, events


@pytest.mark.model
def test_answers_with_text_and_structured_citations():
    messages, events = run(make_tracker("can I friend a parent?"))
    (message,) = messages
    payload = message["custom"]
    assert payload["covered"] is True and payload["citations"][0]["clause"] == "5.3"
    assert payload["citations"][0]["strength"] == "should"
    assert message["text"].startswith("Think carefully first: members of staff should carefully consider")
    assert "\nSHOULD · D200 5.3" in message["text"]
    assert events == [{"event": "slot", "timestamp": None, "name": "last_question", "value": "can I friend a parent?"}]


@pytest.mark.model
def test_followup_uses_the_previous_question():
    messages, events = run(make_tracker("and ex-pupils?", "ask_followup", slots={"last_question": "can I friend a pupil?"}))
    assert events[0]["value"] == "can I friend ex-pupils?"
    assert {c["clause"] for c in messages[0]["custom"]["citations"]} & {"5.3", "5.4"}


@pytest.mark.model
def test_role_from_metadata_changes_the_answer():
    question = "Am I allowed on social media at school?"
    staff, _ = run(make_tracker(question, role="staff"))
    pupil, _ = run(make_tracker(question, role="pupil"))
    assert staff[0]["custom"]["citations"][0]["clause"] == "5.1"
    assert pupil[0]["custom"]["citations"][0]["clause"] == "6.1"


@pytest.mark.model
def test_not_covered_is_said_plainly():
    messages, _ = run(make_tracker("How much maternity pay will I get?", "out_of_scope"))
    assert messages[0]["custom"]["covered"] is False
    assert "e-safety team" in messages[0]["text"]


def test_empty_text_gets_a_friendly_prompt_and_no_slot():
    messages, events = run(make_tracker("   "))
    assert messages[0]["text"].startswith("Please type a question") and events == []


def test_a_broken_index_is_an_apology_not_a_crash(monkeypatch):
    class Broken:
        settings = assistant_module.PolicyAssistant().settings

        def ask(self, *_):
            raise RuntimeError("index missing")

    monkeypatch.setattr("actions.policy_answers.shared_assistant", lambda: Broken())
    messages, events = run(make_tracker("can I friend a parent?"))
    assert "can't look that up" in messages[0]["text"] and "999" in messages[0]["text"] and events == []


def test_report_buttons_only_when_the_answering_clause_asks_for_a_report(policies):
    from actions.policy_answers import report_buttons
    from bot.policy.answers import citation

    d200 = policies[0]

    def payload(*clauses, covered=True):
        return {"covered": covered, "citations": [citation(d200.clause(c)) for c in clauses]}

    assert report_buttons(payload("5.3")) == []
    assert report_buttons(payload("5.3", "5.4")) == []  # a related clause about reporting is not the answer
    assert report_buttons(payload("5.4", "5.3")) == [
        {"title": "Report this", "payload": '/report_incident{"incident_category": "friend_request"}'}]
    assert report_buttons(payload("9.1"))[0]["payload"].endswith('"sexting"}')
    assert report_buttons(payload("9.3")) == []  # searching phones: nothing to report, and not "sexting"
    assert report_buttons(payload("5.4", covered=False)) == []


@pytest.mark.parametrize("text, chat", [
    ("thanks!", True), ("Thanks, that's helpful", True), ("hi there", True), ("what can you do?", True),
    ("are you a bot?", True), ("cheers, bye", True), ("perfect, thanks for your help", True), ("", True),
    ("does that apply to TAs too?", False), ("what happens if he does?", False), ("even for 2 mins?", False),
    ("hi, can I friend a parent?", False), ("thanks, and can parents post photos?", False),
])
def test_small_talk_is_only_small_talk(text, chat):
    assert small_talk(text) is chat


@pytest.mark.model
@pytest.mark.parametrize("action, intent", [(ActionReplyToChitchat, "thank"), (ActionReplyToChitchat, "ask_help"),
                                            (ActionContinueInduction, "continue_induction"),
                                            (ActionCancelIncidentReport, "cancel_report")])
def test_a_question_taken_for_small_talk_or_a_command_is_answered_from_the_policy(action, intent):
    tracker = make_tracker("does that apply to TAs too?", intent,
                           slots={"last_question": "can teachers go on facebook during lessons?"})
    messages, events = run(tracker, action)
    assert messages[-1]["custom"]["covered"] is True
    assert messages[-1]["custom"]["citations"][0]["clause"] in ("5.1", "1.5")
    assert {"event": "slot", "timestamp": None, "name": "last_question",
            "value": "can teachers go on facebook during lessons: does that apply to TAs too?"} in events


@pytest.mark.model
def test_small_talk_still_gets_its_reply_and_a_question_starts_no_induction():
    messages, _ = run(make_tracker("thanks, that's helpful", "thank", slots={"last_question": "can I friend a parent?"}),
                      ActionReplyToChitchat)
    assert messages == [{"response": "utter_you_are_welcome", **{k: v for k, v in messages[0].items() if k != "response"}}]
    messages, events = run(make_tracker("Can I go on Facebook on my lunch break?", "start_induction"), ActionStartInduction)
    assert messages[-1]["custom"]["citations"][0]["clause"] in ("5.1", "5.2")
    assert events[-1] == {"event": "followup", "timestamp": None, "name": "action_listen"}


@pytest.mark.model
def test_a_question_no_policy_answers_taken_for_the_induction_gets_the_not_covered_reply():
    messages, events = run(make_tracker("is Roblox ok for an 8 year old?", "start_induction", role="parent"),
                           ActionStartInduction)
    assert messages[-1]["custom"]["covered"] is False and messages[-1]["custom"]["citations"] == []
    assert "induction" not in messages[-1]["text"].lower()
    assert events[-1] == {"event": "followup", "timestamp": None, "name": "action_listen"}
    messages, _ = run(make_tracker("is Roblox ok for an 8 year old?", "continue_induction"), ActionContinueInduction)
    assert messages[-1]["custom"]["covered"] is False


@pytest.mark.model
def test_a_follow_up_after_safeguarding_advice_is_read_with_the_message_before_it():
    _, events = run(make_tracker("my daughter got sent a naked pic by another kid", "describe_incident", role="parent"))
    assert {"event": "slot", "timestamp": None, "name": "last_question",
            "value": "my daughter got sent a naked pic by another kid"} in events


def test_what_names_the_induction():
    from actions.induction import NAMES_THE_INDUCTION

    for text in ("start induction", "take me through the policy", "I'm new, where do I start?", "onboarding please"):
        assert NAMES_THE_INDUCTION.search(text), text
    for text in ("is Roblox ok for an 8 year old?", "I'm new, can I friend parents?"):
        assert not NAMES_THE_INDUCTION.search(text), text


@pytest.mark.model
def test_no_answer_asking_for_screen_prints_follows_advice_about_a_possible_sexual_image():
    from actions.policy_answers import also_answer

    found = assistant_module.shared_assistant().ask("What evidence should I save of cyber bullying?", "staff")
    assert "8.6" in [c["clause"] for c in found.payload["citations"]]
    assert also_answer(found, "danger")  # after danger advice, the policy's own answer follows
    assert not also_answer(found, "sexual_images")
    assert not also_answer(found, "danger", ("sexual_images",))


@pytest.mark.model
def test_a_question_mid_report_about_a_possible_sexual_image_is_never_answered_with_screen_prints():
    from actions.incident_report import NO_COPIES, answer_in_passing

    question = "What evidence should I save of cyber bullying?"
    for category, expected in (("sexting", NO_COPIES), ("cyberbullying", None)):
        dispatcher = CollectingDispatcher()
        answer_in_passing(dispatcher, make_tracker(question, slots={"incident_category": category}), question)
        first = dispatcher.messages[0]
        if expected:
            assert first["text"] == expected
        else:
            assert "8.6" in [c["clause"] for c in first["custom"]["citations"]]
