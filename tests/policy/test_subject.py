"""Who a question is about decides whose rule answers it."""

from __future__ import annotations

import pytest

from bot.policy.subject import subject_role


@pytest.mark.parametrize("question, role", [
    ("can a pupil go on snapchat during the school day", "pupil"),
    ("can my son use snapchat at school", "pupil"),
    ("Is my daughter allowed her phone in class?", "pupil"),
    ("are teachers allowed to friend parents?", "staff"),
    ("can my son's teacher follow him on instagram?", "staff"),
    ("should parents post photos of other children?", "parent"),
    ("Can I follow my pupils on Instagram?", None),  # the asker's own rule
    ("what can I do if my son is bullied", None),
    ("pupil in my class tried to add me on insta, whats the rule for them", "pupil"),  # the first group that acts
    ("what happens to a teacher who posts discriminatory stuff", "staff"),
    ("is miss allowed to add me on insta", "staff"),
    ("my daughters teacher sent her a friend request, is that allowed", "staff"),
    ("a Year 6 added me on Instagram, what do I do?", None),  # what the asker must do: the asker's rule
    ("A pupil sent me a friend request, who do I tell?", None),
    ("My daughter is getting nasty messages from classmates, will the school deal with it?", None),  # done to
    ("a pupil was caught with an inappropriate image, what happens?", None),
    ("a parent keeps posting nasty stuff about me on facebook", None),  # told, not asked: the asker's duty
    ("Is it ok to accept a facebook friend request from a parent of a child in my class?", None),  # the asker accepts
    ("is it ok for a pupil to add me?", "pupil"),
])
def test_the_subject_of_a_question(question, role):
    assert subject_role(question) == role


@pytest.mark.model
@pytest.mark.parametrize("question", ["can my son use snapchat at school", "can a pupil go on snapchat during the school day"])
def test_staff_asking_about_pupils_get_the_pupils_rule(real_encoder, question):
    from bot.policy.assistant import PolicyAssistant

    answer = PolicyAssistant(encoder=real_encoder).ask(question, "staff")
    assert answer.payload["citations"][0]["clause"] == "6.1"


@pytest.mark.model
@pytest.mark.parametrize("name, floor", [("questions_cross_group.yml", 0.946), ("questions_cross_group_fresh.yml", 0.866)])
def test_whose_rule_on_the_cross_group_sets_does_not_get_worse(real_encoder, name, floor):
    """Questions asked by one group about another's rules, written from the policy alone: questions_cross_group.yml
    (59; the subject rules were built on it) and questions_cross_group_fresh.yml (88; unseen when they were).
    Measured 2026-11: hit@1 0.966 and 0.886 reading who the question is about, 0.763 and 0.705 with the asker's
    role only (make bench prints both; 0.932 and 0.818 before the encoder was trained on about thirty phrasings a
    clause); each floor is the figure less 0.02."""
    from bot.cli.bench import cross_group
    from bot.policy.assistant import PolicyAssistant
    from bot.settings import ROOT

    n, hit1, _, asker = cross_group(PolicyAssistant(encoder=real_encoder), ROOT / "tests" / "policy" / name)
    assert n >= 55 and hit1 >= floor and hit1 > asker
