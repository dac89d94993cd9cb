"""Answer quality through /api/chat on the real stack, guarding the figures `make bench` reports
(measured 2026-11 with the retrieval encoder fine-tuned on about thirty phrasings a clause and Rasa's
logistic-regression intents: own questions hit@1 0.926, hit@3 0.984, not covered refused 0.952, wrongly refused
0.008; own follow-ups (four sets, 330), each after its first question, 0.770; dev set hit@1 0.888, hit@3 0.929,
not covered refused 0.800, wrongly refused 0.025, about the policy 3 of 3, follow-ups 0.650 (a follow-up the
policy does not answer is right when refused), no report started).

The independent set in ../shared/eval is measured here, never tuned on; the floors are the figures the
bench printed, less 0.02, so a change that makes answers worse for people fails. Follow-ups are 20 questions, so
one of them is 0.05: their floor allows that one, and no more. The own set's 21 not-covered questions likewise:
one of them is 0.048, and the floor allows one; the dev set's 40: one is 0.025, and the floor allows one."""

from __future__ import annotations

import pytest

from bot.cli.bench import chat_sets
from bot.cli.chat_quality import ask_all, score
from bot.policy.evaluation import load_questions
from tests.support.paths import ROOT

pytestmark = pytest.mark.stack
FLOORS = {  # set: (hit@1, hit@3, not covered refused, wrongly refused at most, follow-ups, reports started at most)
    "own questions": (0.906, 0.964, 0.90, 0.028, None, 0),
    "own follow-ups": (None, None, None, None, 0.750, 0),  # follow-ups only
    "dev set (independent)": (0.868, 0.909, 0.775, 0.045, 0.60, 0),
}


@pytest.mark.parametrize("name", sorted(FLOORS))
def test_answers_through_the_chat_do_not_get_worse(running_stack, name):
    sets = chat_sets(load_questions(ROOT / "tests" / "policy" / "questions.yml"))
    if name not in sets:
        pytest.skip("the independent set is not beside this checkout")
    quality = score(sets[name], ask_all(running_stack.base, sets[name]))
    hit1, hit3, refused, wrongly, follow, reports = FLOORS[name]
    if hit1 is not None:
        assert quality.hit_at_1 >= hit1 and quality.hit_at_3 >= hit3, quality
        assert quality.not_covered_refused >= refused and quality.wrongly_refused <= wrongly, quality
    assert follow is None or (quality.follow_ups_right or 0.0) >= follow, quality
    assert quality.reports_started <= reports, quality


def cited(response) -> list[str]:
    return [c["clause"] for m in response.json()["messages"] for c in m.get("citations", [])]


def answer_of(response) -> dict:
    [answer] = [m for m in response.json()["messages"] if m.get("covered") is not None]
    return answer


@pytest.mark.parametrize("message, role, expect", [
    ("What does SMART stand for?", "pupil", {"10.1"}),
    ("who's Matt Codling?", "staff", {"2.2"}),
    ("Is ClassDojo social media?", "parent", {"3.1"}),
    ("should I google myself?", "staff", {"5.12"}),
    ("I'm on playground duty - can I scroll my phone?", "staff", {"5.1", "5.2"}),
    ("Is it ok to accept a facebook friend request from a parent of a child in my class?", "staff", {"5.3"}),
    ("What is the school's uniform policy?", "parent", set()),
    ("is Roblox ok for an 8 year old?", "parent", set()),
])
def test_questions_people_asked_get_the_right_clause_or_not_covered(running_stack, message, role, expect):
    response = running_stack.chat(message, role=role, sender=f"example-{abs(hash(message))}")
    assert not any(m.get("report") == "started" for m in response.json()["messages"])
    answer = answer_of(response)
    if expect:
        assert answer["covered"] and answer["citations"][0]["clause"] in expect, answer
    else:
        assert answer["covered"] is False and answer["citations"] == [], answer
    if message.startswith("Is ClassDojo"):
        assert "ClassDojo" in answer["text"]


def test_the_policys_dates_are_answered_from_its_front_matter(running_stack):
    answer = answer_of(running_stack.chat("When is this policy due for review?", sender="example-dates"))
    assert "due for review October 2022" in answer["text"] and "may be out of date" in answer["text"]


@pytest.mark.parametrize("message, role, section", [
    ("my son is being bullied on whatsapp by kids in his class, what can I do?", "parent", "8"),
    ("a parent is slagging me off on Facebook", "staff", "8.5"),
])
def test_bullying_gets_the_section_8_clauses_that_fit_the_asker(running_stack, message, role, section):
    clauses = cited(running_stack.chat(message, role=role, sender=f"example-{role}-bullying"))
    assert clauses and (clauses[0] == section or clauses[0].split(".")[0] == section), clauses


@pytest.mark.parametrize("number", ["3.1", "5.4", "5.8", "6.3", "7.2", "8.6"])
def test_the_policys_own_words_pasted_in_cite_that_clause(running_stack, number):
    from bot.policy.corpus import load_corpus

    [policy] = [p for p in load_corpus(ROOT / "policy_corpus") if p.code == "D200"]
    response = running_stack.chat(policy.clause(number).text, sender=f"example-paste-{number}")
    assert not any(m.get("report") == "started" for m in response.json()["messages"])
    assert cited(response)[0] == number
