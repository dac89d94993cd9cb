"""Questions about the policy itself, other policies, named people, and what intent and definitions answer."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.policy.about import about_dates, may_answer, other_policy
from bot.policy.wording import lower_case_words, people_named


@pytest.mark.parametrize("question", ["When is this policy due for review?", "is the social media policy out of date?",
                                      "when was the policy written?", "Is this the current version?",
                                      "does the policy still apply?", "how recent is this policy?",
                                      "has this policy been renewed?", "is there a newer version of the policy?",
                                      "is this still the policy we follow?", "what year is the policy from?",
                                      "is the policy overdue for review?"])
def test_questions_about_its_dates_are_answered_from_the_front_matter(policies, question):
    d200 = {"D200": policies[0]}
    late = about_dates(question, d200, dt.date(2026, 11, 26))
    assert late is not None and late.payload["meta"] is True and late.payload["covered"] is True
    assert "dated October 2020, due for review October 2022" in late.text and "may be out of date" in late.text
    early = about_dates(question, d200, dt.date(2021, 3, 1))
    assert early is not None and "not passed yet" in early.text and early.payload["notices"] == []


@pytest.mark.parametrize("question", ["can I friend a parent?", "who reviews cyber bullying incidents?",
                                      "what happens to photos after the trip?",
                                      "Does the social media policy still apply to what I post at weekends?",
                                      "how old is too old for snapchat", "should I keep my privacy settings updated?"])
def test_other_questions_are_not_about_its_dates(policies, question):
    assert about_dates(question, {"D200": policies[0]}, dt.date(2026, 11, 26)) is None


def test_a_question_about_another_policy_is_not_this_ones():
    titles = ["Social Media Policy"]
    assert other_policy("What is the school's uniform policy?", titles)
    assert other_policy("where can I read the attendance policy", titles)
    for question in ("does the policy apply to volunteers?", "what's the school's policy on phones?",
                     "is the social media policy out of date?", "what does our e-safety policy say about TikTok?"):
        assert not other_policy(question, titles), question


def test_intent_answers_purpose_and_definitions_answer_meaning():
    assert may_answer("intent", "Statement of intent", "what is the point of this policy?")
    assert not may_answer("intent", "Statement of intent", "What is the school's uniform policy on shoes")
    assert may_answer("3.1", "Definitions", "Is ClassDojo social media?")
    assert may_answer("3.1", "Definitions", "is google classroom social media?")
    assert may_answer("3.1", "Definitions", "Does Google Classrooms count?")
    assert may_answer("3.2", "Definitions", "are group chats cyberbullying?")
    assert may_answer("3.1", "Definitions", "Is ClassDojo covered by the social media policy?")
    assert may_answer("3.2", "Definitions", "wat is cyber bullying")
    assert may_answer("3.2", "Definitions", "At what point does a silly group chat row become cyberbullying?")
    assert may_answer("intent", "Statement of intent", "what is this policy all about?")
    for question in ("do the children learn about staying safe online?", "Am I allowed to complain about the school?"):
        assert not may_answer("intent", "Statement of intent", question), question
    assert not may_answer("3.2", "Definitions", "my son was upset by a group chat")
    assert may_answer("5.3", "Social media use - staff", "anything at all")


def test_people_are_two_capitalised_words_the_corpus_never_writes_in_lower_case():
    common = lower_case_words(["the governing body", "individual schools", "google classroom"])
    assert people_named("The school's network manager is Matt Codling, Stockport AVA Services", common) == {"codling"}
    assert people_named("Individual Governing Bodies has responsibility", common) == set()


@pytest.mark.model
def test_the_people_a_clause_names_are_in_its_sentence_not_in_the_items_of_its_list(real_encoder):
    """3.1's list ("Microsoft Teams", "Zoom", "Google Classrooms") names platforms, not people: "should I google
    myself?" is about checking one's online presence (5.12), not a question naming someone in 3.1."""
    from bot.policy.assistant import PolicyAssistant

    assistant = PolicyAssistant(encoder=real_encoder)
    assert assistant.index.naming("should I google myself?") == []
    assert [h.clause.number for h in assistant.index.naming("who's Matt Codling?")] == ["2.2"]
    assert assistant.ask("should I google myself?", "staff").cited()[0] == "D200 5.12"
    assert assistant.ask("is google classroom social media?", "staff").cited()[0] == "D200 3.1"


@pytest.mark.model
def test_every_clause_pasted_in_cites_that_clause(real_encoder):
    """The policy's own words are that clause (5.4 and 6.4 say nearly the same with the roles swapped; 8.2 names
    the behaviour policy, another of the school's policies)."""
    from bot.policy.assistant import PolicyAssistant

    assistant = PolicyAssistant(encoder=real_encoder)
    policy = assistant.policies["D200"]
    for clause in policy.clauses:
        assert assistant.ask(clause.text, "staff").cited()[:1] == [f"D200 {clause.number}"], clause.number
    shortened = "If pupils attempt to friend staff, they must be reported."  # a paraphrase is searched as usual
    assert assistant.index.quoting(shortened) == []


@pytest.mark.model
def test_a_question_with_about_in_it_is_not_about_the_policys_purpose(real_encoder):
    """"Am I allowed to complain about the school on Facebook?" once put the statement of intent first, below the bar
    for an answer, and got "not covered"."""
    from bot.policy.assistant import PolicyAssistant

    assistant = PolicyAssistant(encoder=real_encoder)
    assert assistant.ask("Am I allowed to complain about the school on Facebook?", "parent").cited()[0] == "D200 6.6"
    assert assistant.ask("what is this policy about?", "parent").cited()[0] == "D200 intent"
