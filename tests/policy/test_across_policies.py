"""Answering across policies: a second policy imported from Word answers with its own citations, a question
both answer cites both, a question naming one policy keeps to it, and D200's answers hold with it there."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.policy.assistant import PolicyAssistant, policy_named
from bot.policy.evaluation import evaluate, load_questions
from bot.policy.importer import import_policy
from bot.settings import Settings
from tests.support import policy_documents as documents
from tests.support.paths import CORPUS

pytestmark = pytest.mark.model
QUESTIONS = Path(__file__).resolve().parent / "questions.yml"


@pytest.fixture(scope="module")
def two_policies(tmp_path_factory, real_encoder):
    corpus = tmp_path_factory.mktemp("corpus")
    shutil.copytree(CORPUS, corpus, dirs_exist_ok=True)
    word = documents.anti_bullying_word(tmp_path_factory.mktemp("word") / "Anti-bullying Policy.docx")
    import_policy(word, corpus)
    settings = Settings(POLICY_CORPUS_DIR=str(corpus), INDEX_CACHE_DIR=str(tmp_path_factory.mktemp("index")))
    return PolicyAssistant(settings, encoder=real_encoder)


def cited(answer) -> list[tuple[str, str, str]]:
    return [(c["policy"], c["clause"], c["policy_title"]) for c in answer.payload["citations"]]


@pytest.mark.parametrize("question, role, clause", [
    ("do staff have to record bullying on the behaviour log?", "staff", "2.2"),
    ("will my child get a check-in with an adult after being bullied?", "parent", "3.3"),
])
def test_the_second_policy_answers_with_its_own_citations(two_policies, question, role, clause):
    answer = two_policies.ask(question, role)
    assert cited(answer)[0] == ("B100", clause, "Anti-bullying Policy")
    assert f"B100 {clause}" in answer.text


def test_a_question_both_policies_answer_cites_both(two_policies):
    answer = two_policies.ask("should we keep screenshots of cyberbullying messages?", "parent")
    assert {policy for policy, _, _ in cited(answer)} == {"B100", "D200"}, cited(answer)


def test_a_question_naming_a_policy_keeps_to_it(two_policies):
    answer = two_policies.ask("what does the anti-bullying policy say about screenshots of messages?", "parent")
    assert cited(answer) and {policy for policy, _, _ in cited(answer)} == {"B100"}
    assert policy_named("what does the social media policy say about tiktok?", two_policies.policies) == "D200"
    assert policy_named("can I post photos?", two_policies.policies) is None


def test_d200s_answers_hold_with_a_second_policy_there(two_policies):
    """questions.yml with the second policy in the corpus: the floors of test_retrieval_quality.py."""
    quality = evaluate(two_policies.index, load_questions(QUESTIONS))
    assert quality.hit_at_1 >= 0.85 and quality.hit_at_3 >= 0.95, "\n".join(quality.misses)
    assert quality.not_covered_right >= 0.90 and quality.wrongly_refused <= 0.05, "\n".join(quality.misses)


def test_not_covered_names_the_nearest_policys_person(two_policies):
    """B100 gains a contact (its 2.3: the class teacher, then the head teacher): a bullying question neither
    policy answers points there; a question nearer D200 still points to D200's e-safety team."""
    import dataclasses

    policies = dict(two_policies.policies)
    policies["B100"] = dataclasses.replace(policies["B100"], contact_clause="2.3", contact_name="your child's class teacher")
    from bot.policy.answers import not_covered

    answer = not_covered("is bullying on the school bus covered?", policies, two_policies.clock(), "B100")
    assert answer.payload["contact"]["policy"] == "B100" and "class teacher" in answer.text
    answer = not_covered("can I use tiktok?", policies, two_policies.clock(), "D200")
    assert answer.payload["contact"]["policy"] == "D200"


def test_the_running_assistant_follows_the_corpus_without_a_restart(tmp_path, monkeypatch):
    """shared_assistant() looks at the corpus folder at most every CORPUS_CHECK_SECONDS (a clock passed in): a
    policy imported there is answered from then on; a corpus that does not load leaves the previous one."""
    import bot.policy.assistant as module

    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    monkeypatch.setenv("POLICY_CORPUS_DIR", str(corpus))
    monkeypatch.setenv("INDEX_CACHE_DIR", str(tmp_path / "index"))
    monkeypatch.setattr(module, "_shared", None)
    now = [0.0]
    first = module.shared_assistant(lambda: now[0])
    assert list(first.policies) == ["D200"]
    import_policy(documents.anti_bullying_word(tmp_path / "B100.docx"), corpus)
    assert module.shared_assistant(lambda: now[0]) is first  # not looked at again yet
    now[0] += module.CORPUS_CHECK_SECONDS
    second = module.shared_assistant(lambda: now[0])
    assert second is not first and set(second.policies) == {"B100", "D200"}
    (corpus / "Z999_broken.md").write_text("not a policy\n")
    now[0] += module.CORPUS_CHECK_SECONDS
    assert module.shared_assistant(lambda: now[0]) is second
