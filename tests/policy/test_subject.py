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
])
def test_the_subject_of_a_question(question, role):
    assert subject_role(question) == role


@pytest.mark.model
@pytest.mark.parametrize("question", ["can my son use snapchat at school", "can a pupil go on snapchat during the school day"])
def test_staff_asking_about_pupils_get_the_pupils_rule(real_encoder, question):
    from bot.policy.assistant import PolicyAssistant

    answer = PolicyAssistant(encoder=real_encoder).ask(question, "staff")
    assert answer.payload["citations"][0]["clause"] == "6.1"
