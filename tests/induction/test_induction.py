"""The induction: its content checked against the policy, and the service on real databases."""

from __future__ import annotations

import shutil

import pytest
import yaml

from bot.induction.content import InductionError, load_induction, policy_version
from bot.induction.service import InductionService, StaffMember
from bot.settings import Settings
from tests.support.induction import answer_all
from tests.support.paths import CORPUS


@pytest.fixture
def corpus_copy(tmp_path):
    folder = tmp_path / "corpus"
    shutil.copytree(CORPUS, folder)
    return folder


def test_the_shipped_content_fits_the_policy():
    induction = load_induction(CORPUS)
    assert len(induction.quiz) >= 12
    sections = list(dict.fromkeys(c.section for c in induction.policy.clauses))
    assert [s.section for s in induction.steps] == sections
    assert induction.version.startswith("D200-") and induction.version == policy_version(induction.policy)


def _edit(folder, change) -> None:
    path = folder / "D200_induction.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


@pytest.mark.parametrize("change, words", [
    (lambda d: d["quiz"][0].update(clauses=["5.99"]), "5.99"),
    (lambda d: [o.update(correct=False) for o in d["quiz"][1]["options"]], "exactly one correct option"),
    (lambda d: d["walkthrough"].pop(3), "every section"),
    (lambda d: d["walkthrough"][2].update(clauses=["42"]), "42"),
    (lambda d: d.update(quiz=d["quiz"][:11]), "at least 12"),
], ids=["unknown-clause", "no-correct-option", "missing-section", "step-cites-nothing-real", "too-few-questions"])
def test_content_mistakes_are_caught(corpus_copy, change, words):
    _edit(corpus_copy, change)
    with pytest.raises(InductionError, match=words):
        load_induction(corpus_copy)


def service_for(url: str, corpus=CORPUS) -> InductionService:
    return InductionService(Settings(DATABASE_URL=url, POLICY_CORPUS_DIR=str(corpus)))


def test_walkthrough_stop_resume_quiz_fail_retake_pass_confirm(database_url):
    service = service_for(database_url)
    sender = "web:induct1"
    first = service.begin(sender, "Robin Newstaff")
    assert "Section 1 of 11" in first[-1].text and first[-1].buttons[0]["title"] == "Next"
    for _ in range(4):
        service.advance(sender)
    assert "section 5 of 11" in service.stop(sender)[0].text
    resumed = service.begin(sender, "ignored on resume")
    assert "Welcome back, Robin Newstaff" in resumed[0].text and "Section 5 of 11" in resumed[1].text
    for _ in range(7):
        replies = service.advance(sender)
    assert "scenario quiz (attempt 1)" in replies[0].text and "Question 1 of 14" in replies[1].text
    first_order = service._progress_order(sender)

    failed = answer_all(service, sender, right=7)
    assert "You scored 50%" in failed[-1].text and failed[-1].buttons[0]["title"] == "Retake the quiz"
    retake = service.advance(sender)
    assert "attempt 2" in retake[0].text and service._progress_order(sender) != first_order
    passed = answer_all(service, sender, right=12)
    assert "You scored 86%" in passed[-2].text and "read and understood" in passed[-1].buttons[0]["title"]
    done = service.confirm(sender)
    assert "recorded in the school's register" in done[0].text

    rows = service.register()
    assert [(r.attempt, r.score, r.passed, r.confirmed_at is not None) for r in rows] == [
        (1, 50, False, False), (2, 86, True, True)]
    assert {r.policy_version for r in rows} == {service.content.version}
    assert rows[0].person_name == "Robin Newstaff" and rows[0].channel_user == sender
    assert not service.in_progress(sender)


def test_explanations_quote_the_clause(database_url):
    service = service_for(database_url)
    service.begin("web:x", "Alex")
    for _ in range(11):
        service.advance("web:x")
    question = service.content.question(service._progress_order("web:x")[0])
    wrong = service.answer("web:x", (question.correct + 1) % len(question.options))
    assert wrong[0].text.startswith("Not quite.") and f"“{question.clauses[0].text}”" in wrong[0].text


def test_a_changed_clause_makes_earlier_acknowledgements_out_of_date(database_url, corpus_copy):
    service = service_for(database_url, corpus_copy)
    service.begin("web:kim", "Kim Lee")
    for _ in range(11):
        service.advance("web:kim")
    answer_all(service, "web:kim", right=14)
    service.confirm("web:kim")
    [(name, reason)] = service.missing([StaffMember("Kim Lee"), StaffMember("Sam Other")])
    assert name == "Sam Other" and reason.startswith("no acknowledgement (matched by name")

    policy = corpus_copy / "D200_social_media.md"
    text = policy.read_text(encoding="utf-8")
    assert "Pupils may not access social media during the school day" in text
    policy.write_text(text.replace("Pupils may not access social media during the school day",
                                   "Pupils must not access social media during the school day"), encoding="utf-8")
    changed = service_for(database_url, corpus_copy)
    assert changed.content.version != service.content.version
    [(name, reason)] = [m for m in changed.missing([StaffMember("Kim Lee")])]
    assert name == "Kim Lee" and reason.startswith("out of date")


def test_the_register_is_matched_on_identity_so_a_typed_name_cannot_stand_in(database_url, corpus_copy):
    service = service_for(database_url, corpus_copy)
    for sender, typed in (("slack:T1:UKIM", "Kim"), ("slack:T1:UFAKE", "Sam Other")):  # UFAKE types Sam's name
        service.begin(sender, typed)
        for _ in range(11):
            service.advance(sender)
        answer_all(service, sender, right=14)
        service.confirm(sender)
    staff = [StaffMember("Kim Lee", slack_user="UKIM"), StaffMember("Sam Other", slack_user="USAM"),
             StaffMember("Pat Teams", teams_user="aad-pat")]
    assert service.missing(staff) == [("Sam Other", "no acknowledgement"), ("Pat Teams", "no acknowledgement")]
    service.begin("teams:TEN:aad-pat", "P. Teams")
    for _ in range(11):
        service.advance("teams:TEN:aad-pat")
    answer_all(service, "teams:TEN:aad-pat", right=14)
    service.confirm("teams:TEN:aad-pat")
    assert service.missing(staff) == [("Sam Other", "no acknowledgement")]
