import pytest

from bot.policy.followups import is_followup, resolve


@pytest.mark.parametrize(
    "previous, followup, expected",
    [
        ("can I friend a pupil?", "what about parents?", "can I friend parents?"),
        ("can I friend a parent?", "and ex-pupils?", "can I friend ex-pupils?"),
        ("Can pupils post about the school?", "what about parents?", "Can parents post about the school?"),
        ("Can I use social media in lessons?", "and at lunchtime?", "Can I use social media in lessons at lunchtime?"),
    ],
)
def test_followups_are_read_with_the_previous_question(previous, followup, expected):
    assert resolve(followup, previous) == expected


def test_without_context_the_message_stands_alone():
    assert resolve("what about parents?", None) == "what about parents?"


def test_a_full_new_question_is_not_a_followup():
    assert not is_followup("can I post photos of my class on Facebook?")
    assert resolve("can I post photos of my class?", "can I friend a pupil?") == "can I post photos of my class?"
