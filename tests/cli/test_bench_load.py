"""make bench-load's pure parts: the conversation scripts, how a reply is counted, the summary figures
(no servers: the replies are given)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pytest

from bot.cli.load_traffic import (
    ANSWER_KINDS,
    MIX,
    OPEN,
    Outcome,
    Step,
    growth,
    judge,
    mixed_conversations,
    payload_for,
    plain_equivalent,
    summarise,
)


@dataclass(frozen=True)
class Question:  # the shape of bot.policy.evaluation's Labelled and FollowUp rows, as the scripts read them
    question: str
    role: str
    first: str = ""


QUESTIONS = [Question("can I friend a parent?", "staff"), Question("can my child use tiktok?", "parent"),
             Question("can I film a teacher?", "pupil")]
FOLLOWUPS = [Question("what about on twitter?", "staff", first="can I say where I work on facebook?")]


def test_the_mix_has_every_kind_in_its_proportion_and_a_seed_fixes_it():
    conversations = mixed_conversations(40, QUESTIONS, FOLLOWUPS, seed=3)
    counts = {kind: sum(1 for c in conversations if c.kind == kind) for kind, _ in MIX}
    assert counts == {kind: 2 * n for kind, n in MIX}
    assert conversations == mixed_conversations(40, QUESTIONS, FOLLOWUPS, seed=3)
    assert conversations != mixed_conversations(40, QUESTIONS, FOLLOWUPS, seed=4)


def test_every_script_is_well_formed():
    for conversation in mixed_conversations(200, QUESTIONS, FOLLOWUPS, seed=1):
        assert conversation.steps and all(s.message.strip() for s in conversation.steps)
        assert all(s.role in ("staff", "parent", "pupil") for s in conversation.steps)
        assert {s.kind for s in conversation.steps} <= {"question", "follow-up", "report", "induction"}
        if conversation.kind == "follow-up":
            assert [s.kind for s in conversation.steps] == ["question", "follow-up"]
            assert len({s.role for s in conversation.steps}) == 1
        if conversation.kind == "report":
            assert conversation.steps[0].expect and conversation.steps[-1].expect
            assert not conversation.steps[0].button  # a button needs a reply before it
            assert len({s.role for s in conversation.steps}) == 1  # one person from start to end


def test_full_reports_end_saved_and_the_offered_one_presses_its_button():
    reports = [c for c in mixed_conversations(200, QUESTIONS, FOLLOWUPS, seed=2) if c.kind == "report"]
    endings = {c.steps[-1].expect for c in reports}
    assert endings == {"Your report is saved as", "nothing was saved"}
    offered = next(c for c in reports if c.steps[-1].expect == "nothing was saved")
    assert offered.steps[1].button == "Report this"
    assert max(len(c.steps) for c in reports) >= 9


def test_the_yardstick_gets_as_many_plain_messages():
    for conversation in mixed_conversations(20, QUESTIONS, FOLLOWUPS, seed=5):
        plain = plain_equivalent(conversation)
        assert len(plain.steps) == len(conversation.steps)
        assert {s.kind for s in plain.steps} == {"plain"} and plain.steps[0].message == "hello"
        assert all(s.expect for s in plain.steps)  # every message of the cycle gets an utter response


STEP = Step("can I friend a parent?", "question", expect="D200 5.3")


def test_a_reply_counts_as_an_answer_only_with_a_bot_message():
    answer = [{"text": "No: D200 5.3 says ...", "buttons": []}]
    assert judge(STEP, 12.0, 200, answer) == Outcome("question", 12.0, "", True)
    assert judge(STEP, 12.0, 200, [{"text": "Something else"}]).on_script is False
    assert judge(STEP, 5.0, 200, []).error == "no bot message"
    assert judge(STEP, 5.0, 200, [{"recipient_id": "x"}]).error == "no bot message"
    assert judge(STEP, 5.0, 200, None).error == "no bot message"
    assert judge(STEP, 5.0, 503, answer).error == "HTTP 503"
    assert judge(STEP, 5.0, 503, None, code="busy").error == "HTTP 503 busy"
    assert judge(Step("I am sad", "plain"), 3.0, 200, [{"image": "https://example.org/a.jpg"}]).error == ""


def test_a_button_is_pressed_by_its_payload():
    reply = [{"text": "Would you like to report this?",
              "buttons": [{"title": "Report this", "payload": '/start_report{"kind":"friend_request"}'}]}]
    assert payload_for(reply, "Report this") == '/start_report{"kind":"friend_request"}'
    assert payload_for(reply, "Try again") is None and payload_for(None, "Report this") is None


def test_the_summary_times_answers_counts_errors_and_rates_over_the_busy_window():
    outcomes = [Outcome("question", float(ms), at=ms / 100) for ms in range(1, 101)]
    outcomes += [Outcome("report", 50.0, "timeout", False, 0.5), Outcome("report", 7.0, "HTTP 503", False, 0.6),
                 Outcome("report", 9.0, "", False, 2.0), Outcome(OPEN, 0.0, "HTTP 503", False, 0.1)]
    summary = summarise(outcomes, seconds=0.5)
    assert summary.messages == 103 and summary.answered == 101
    assert summary.answers_per_s == 50 / 0.5  # the 50 answers finished by then
    assert summary.p50 == pytest.approx(50.0) and summary.p99 == pytest.approx(99.0)
    assert summary.errors == {"HTTP 503": 2, "timeout": 1} and summary.error_count == 3
    assert summary.off_script == 1
    questions = summarise(outcomes, 1.0, ANSWER_KINDS)
    assert questions.messages == 100 and questions.error_count == 0
    assert math.isnan(summarise([], 1.0).p50)


def test_memory_growth_in_percent_for_processes_seen_both_times():
    assert growth({"rasa": 200.0, "redis": 10.0, "gone": 5.0}, {"rasa": 210.0, "redis": 9.0}) == {
        "rasa": pytest.approx(5.0), "redis": pytest.approx(-10.0)}
