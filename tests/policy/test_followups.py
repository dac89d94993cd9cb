import pytest

from bot.policy.followups import is_followup, leans_on, points_back, resolve


@pytest.mark.parametrize(
    "previous, followup, expected",
    [
        ("can I friend a pupil?", "what about parents?", "can I friend parents?"),
        ("can I friend a parent?", "and ex-pupils?", "can I friend ex-pupils?"),
        ("Can pupils post about the school?", "what about parents?", "Can parents post about the school?"),
        ("Can I use social media in lessons?", "and at lunchtime?", "Can I use social media in lessons at lunchtime?"),
        ("Can I add my child's teacher on Facebook?", "what about the head?", "Can I add the head on Facebook?"),
        ("Who's the network manager?", "and the headteacher?", "Who's the headteacher?"),
        ("Does the policy apply to TAs?", "and volunteers?", "Does the policy apply to volunteers?"),
        ("Can pupils use the staff wifi?", "and volunteers?", "Can volunteers use the staff wifi?"),
        ("Can I give parents a heads up about a trip?", "and staff?", "Can I give staff a heads up about a trip?"),
        ("Can I add my child\u2019s teacher on Facebook?", "what about the head?", "Can I add the head on Facebook?"),
        ("Can my child's friend's mum add me?", "and dad?", "Can my child's friend's dad add me?"),
        ("Why's the head not replying?", "and the teacher?", "Why's the teacher not replying?"),
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
                                      "who do I tell?", "is that the same for supply staff", "could I still use it?"])
def test_short_messages_that_point_back_are_recognised(followup):
    assert leans_on(followup)


@pytest.mark.parametrize("text, pointing", [
    ("who do I report it to?", True), ("what could happen to him?", True), ("do I tell them?", True),
    ("is it ok to post photos?", False), ("who wrote this policy?", False), ("does the policy say it's fair?", False),
    ("can I friend a parent?", False), ("Can staff use their own phones in lessons?", False),
    ("Do parents need to sign this form?", False), ("Is it allowed?", True), ("is this allowed?", True),
])
def test_a_pronoun_that_stands_for_something_said_before(text, pointing):
    assert points_back(text) is pointing


def test_a_short_new_question_without_a_pointer_stands_alone():
    assert resolve("is tiktok allowed at school?", "can I friend a pupil?") == "is tiktok allowed at school?"
    assert not leans_on("is tiktok allowed at school?")


@pytest.mark.model
def test_a_short_message_is_read_with_the_question_before_it_only_when_that_helps(real_encoder):
    from bot.policy.assistant import PolicyAssistant

    assistant = PolicyAssistant(encoder=real_encoder)
    question, answer = assistant.ask_after("why?", "can I friend a pupil?", "staff")
    assert question == "can I friend a pupil: why?" and answer.payload["citations"][0]["clause"] == "5.3"
    question, answer = assistant.ask_after("How much maternity pay will I get?", "can I friend a pupil?", "staff")
    assert question == "How much maternity pay will I get?" and not answer.payload["covered"]


@pytest.mark.model
def test_follow_ups_and_unrelated_short_questions_do_not_get_worse(real_encoder):
    """tests/policy/questions_followups.yml: 65 first questions and follow-ups written from the policy alone.
    Measured 2026-11: 0.831 of follow-ups right (0.785 before a follow-up read with its first question was scored
    in part on its own words, 0.800 before a message whose pronoun points back was answered as read with the
    question before it, 0.769 after it and before the encoder was trained on about thirty phrasings a clause); of
    114 short questions from the team's sets asked right after an unrelated one, 109 answered right (108 on their
    own). Floors: the figures less 0.02."""
    from bot.policy.assistant import PolicyAssistant
    from bot.policy.evaluation import followups_right, load_followups, load_questions, short_after_unrelated
    from bot.policy.followups import SHORT
    from bot.settings import ROOT

    assistant = PolicyAssistant(encoder=real_encoder)
    folder = ROOT / "tests" / "policy"
    assert followups_right(assistant, load_followups(folder / "questions_followups.yml")) >= 0.811
    questions = load_questions(folder / "questions.yml") + load_questions(folder / "questions_tuning.yml")
    after, alone, n = short_after_unrelated(assistant, questions, SHORT)
    assert n >= 100 and after / n >= alone / n - 0.04


@pytest.mark.model
def test_follow_ups_written_fresh_do_not_get_worse(real_encoder):
    """tests/policy/questions_followups_fresh.yml: 112 pairs written from the policy alone, 16 of them follow-ups
    the policy does not cover ("and what about the uniform?"). Measured 2026-11: 95 of 112 right (0.848), 49 of
    the 56 held-out rows (0.875), 14 of the 16 not covered refused; 92 and 47 before a follow-up read with its first
    question was scored in part on its own words, 84 and 41 before a message whose pronoun points back was read with its first
    question and "what about the head?" replaced the teacher rather than the child, 90 and 45 before the encoder
    was trained on about thirty phrasings a clause. Floors: the figures less 0.02."""
    from bot.policy.assistant import PolicyAssistant
    from bot.policy.evaluation import followups_right, load_followups
    from bot.settings import ROOT

    assistant = PolicyAssistant(encoder=real_encoder)
    rows = load_followups(ROOT / "tests" / "policy" / "questions_followups_fresh.yml")
    assert len(rows) == 112
    assert followups_right(assistant, rows) >= 0.828
    assert followups_right(assistant, rows[1::2]) >= 0.855
    assert followups_right(assistant, [r for r in rows if not r.expect]) >= 0.8125  # 13 of 16 refused


@pytest.mark.model
def test_a_third_set_of_follow_ups_does_not_get_worse(real_encoder):
    """tests/policy/questions_followups_third.yml: 86 pairs written from the policy alone by someone who had seen
    neither the code nor the other sets (13 follow-ups the policy does not answer). Measured 2026-11: 60 of 86 right
    (0.698), 30 of the 43 held-out rows (0.698); 59 and 28 before a follow-up read with its first question was scored
    in part on its own words, 50 of 86 before a message whose pronoun points back was read with
    its first question, 57 before the encoder was trained on about thirty phrasings a clause. Floors: the figures
    less 0.02."""
    from bot.policy.assistant import PolicyAssistant
    from bot.policy.evaluation import followups_right, load_followups
    from bot.settings import ROOT

    assistant = PolicyAssistant(encoder=real_encoder)
    rows = load_followups(ROOT / "tests" / "policy" / "questions_followups_third.yml")
    assert len(rows) == 86
    assert followups_right(assistant, rows) >= 0.678
    assert followups_right(assistant, rows[1::2]) >= 0.678


@pytest.mark.model
def test_a_fourth_set_of_follow_ups_held_out_does_not_get_worse(real_encoder):
    """tests/policy/questions_followups_fourth.yml: 67 pairs written from the policy alone, never tuned on (8
    follow-ups the policy does not answer). Measured 2026-11: 44 of 67 right (0.657; 43 before a follow-up read with
    its first question was scored in part on its own words). Floor: the figure less 0.02."""
    from bot.policy.assistant import PolicyAssistant
    from bot.policy.evaluation import followups_right, load_followups
    from bot.settings import ROOT

    assistant = PolicyAssistant(encoder=real_encoder)
    rows = load_followups(ROOT / "tests" / "policy" / "questions_followups_fourth.yml")
    assert len(rows) == 67
    assert followups_right(assistant, rows) >= 0.637
