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


@pytest.mark.parametrize("followup", ["does that apply to TAs too?", "why?", "even at the weekend?",
                                      "who do I tell?", "is that the same for supply staff"])
def test_short_messages_that_point_back_are_read_with_the_previous_question(followup):
    assert resolve(followup, "can I friend a pupil?") == f"can I friend a pupil: {followup}"


def test_a_short_new_question_without_a_pointer_stands_alone():
    assert resolve("is tiktok allowed at school?", "can I friend a pupil?") == "is tiktok allowed at school?"
