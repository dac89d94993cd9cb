"""Retrieval quality on the labelled question sets, with the real (fine-tuned) MiniLM retrieval encoder."""

from pathlib import Path

import pytest

from bot.policy.assistant import PolicyAssistant
from bot.policy.evaluation import evaluate, load_questions
from bot.settings import Settings

QUESTIONS = Path(__file__).resolve().parent / "questions.yml"
TUNING = Path(__file__).resolve().parent / "questions_tuning.yml"
# questions_tuning.yml chose the refusal threshold and the weights with questions.yml; these floors are what it
# scores with the fine-tuned encoder (hit@1 0.890, hit@3 0.984, not covered 0.787, wrongly refused 0.000), less
# 0.02, so a change that loses ground on questions nobody phrased for the clauses fails.
TUNING_FLOORS = {"hit_at_1": 0.87, "hit_at_3": 0.964, "not_covered_right": 0.767}
TUNING_MOST_REFUSED = 0.02


@pytest.fixture(scope="module")
def quality(real_encoder, tmp_path_factory):
    settings = Settings(INDEX_CACHE_DIR=str(tmp_path_factory.mktemp("index")))
    return evaluate(PolicyAssistant(settings, encoder=real_encoder).index, load_questions(QUESTIONS))


def test_the_question_set_is_big_enough():
    questions = load_questions(QUESTIONS)
    assert len(questions) >= 120 and sum(1 for q in questions if not q.expect) >= 15
    assert {q.role for q in questions} == {"staff", "parent", "pupil"}


@pytest.mark.model
def test_hit_at_1(quality):
    assert quality.hit_at_1 >= 0.85, "\n".join(quality.misses)


@pytest.mark.model
def test_hit_at_3(quality):
    assert quality.hit_at_3 >= 0.95, "\n".join(quality.misses)


@pytest.mark.model
def test_not_covered_questions_are_refused(quality):
    assert quality.not_covered_right >= 0.90, "\n".join(quality.misses)


@pytest.mark.model
def test_covered_questions_are_rarely_refused(quality):
    assert quality.wrongly_refused <= 0.05, "\n".join(quality.misses)


@pytest.mark.parametrize("path", [QUESTIONS, TUNING, QUESTIONS.with_name("questions_cross_group.yml")],
                         ids=lambda p: p.name)
def test_labels_name_real_clauses(policies, path):
    ids = {c.id for p in policies for c in p.clauses}
    for question in load_questions(path):
        assert question.expect <= ids, question.question


@pytest.mark.model
def test_quality_on_the_tuning_set(real_encoder, tmp_path_factory):
    settings = Settings(INDEX_CACHE_DIR=str(tmp_path_factory.mktemp("index")))
    quality = evaluate(PolicyAssistant(settings, encoder=real_encoder).index, load_questions(TUNING))
    for name, floor in TUNING_FLOORS.items():
        assert getattr(quality, name) >= floor, (name, "\n".join(quality.misses))
    assert quality.wrongly_refused <= TUNING_MOST_REFUSED, "\n".join(quality.misses)
