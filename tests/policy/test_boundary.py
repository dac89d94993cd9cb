"""Questions near the edge of the policy, written fresh and never tuned on: the not-covered reply where it does
not answer, the clause where it does."""

from __future__ import annotations

import pytest

from bot.policy.assistant import PolicyAssistant
from bot.policy.evaluation import boundary, load_questions
from bot.settings import ROOT


@pytest.mark.model
def test_questions_near_the_edge_do_not_get_worse(real_encoder):
    """tests/policy/questions_boundary.yml: 80 questions the policy does not answer, 40 it does. Measured 2026-11:
    66 of 80 refused with the policy's not-covered gate (59 without it; 50 before 219 more unanswered questions,
    written separately from the policy text, joined D200_social_media.not_covered.yml), 33 of 40 answered with a
    right clause first, 1 refused. Floors: the figures less one or two questions."""
    assistant = PolicyAssistant(encoder=real_encoder)
    refused, uncovered, right, wrongly, covered = boundary(
        assistant, load_questions(ROOT / "tests" / "policy" / "questions_boundary.yml"))
    assert (uncovered, covered) == (80, 40)
    assert refused >= 64 and right >= 32 and wrongly <= 2


@pytest.mark.model
def test_a_stricter_refusal_threshold_refuses_covered_questions_with_the_uncovered(real_encoder):
    """`make bench` prints this trade-off on the held-out sets; here on the boundary set: raising covered_at from
    0.45 to 0.7 refuses more of the questions the policy does not answer, and more of those it does."""
    from bot.policy.assistant import PolicyAssistant
    from bot.policy.evaluation import load_questions, refusal_tradeoff
    from bot.settings import ROOT

    questions = load_questions(ROOT / "tests" / "policy" / "questions_boundary.yml")
    usual, strict = refusal_tradeoff(PolicyAssistant(encoder=real_encoder), questions, [0.45, 0.7])
    assert (usual.not_covered, usual.covered) == (80, 40)
    assert strict.not_covered_refused >= usual.not_covered_refused
    assert strict.covered_refused > usual.covered_refused
