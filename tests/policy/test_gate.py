"""Each policy's not-covered gate: questions about something the policy does not answer are refused even when a
clause scores just above covered_at; clear answers and short follow-ups are left alone."""

from __future__ import annotations

import pytest

from bot.policy.assistant import PolicyAssistant
from bot.policy.retrieval import GATE_WORDS, Weights


@pytest.fixture(scope="module")
def gated_and_not(real_encoder):
    return PolicyAssistant(encoder=real_encoder), PolicyAssistant(encoder=real_encoder, weights=Weights(gate_at=0.0))


@pytest.mark.model
@pytest.mark.parametrize("question, role", [
    ("Do supply teachers have to sign an acceptable use agreement before using school computers?", "staff"),
    ("How many hours a week do the children spend on e-safety lessons?", "parent"),
    ("What's the school's policy on data protection and GDPR for children's records?", "parent"),
])
def test_a_question_the_policy_does_not_answer_is_refused_by_its_gate(gated_and_not, question, role):
    gated, ungated = gated_and_not
    assert ungated.ask(question, role).cited(), "without the gate a clause scores above covered_at"
    assert gated.ask(question, role).cited() == []
    vector = gated.encoder.encode([gated.index.glossary.expand(question)])[0]
    assert gated.index.doubted(vector) == {"D200"}


@pytest.mark.model
@pytest.mark.parametrize("question, role, clause", [
    ("Can I accept a friend request from the parent of a child in my class on Facebook?", "staff", "D200 5.3"),
    ("Are members of staff allowed to go on social media while they are teaching a lesson?", "staff", "D200 5.1"),
    ("What will the school do if a parent keeps posting offensive things about a teacher online?", "staff", "D200 8.7"),
])
def test_the_gate_leaves_questions_the_policy_answers(gated_and_not, question, role, clause):
    gated, _ = gated_and_not
    assert gated.ask(question, role).cited()[:1] == [clause]


@pytest.mark.model
def test_a_short_message_is_never_gated(gated_and_not):
    gated, _ = gated_and_not
    short = "on the school computers?"
    assert len(short.split()) < GATE_WORDS
    assert gated.index.search(short, "staff").doubted == frozenset()
