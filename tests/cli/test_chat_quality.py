"""Scoring answers as users meet them through /api/chat (no stack: the replies are given)."""

from __future__ import annotations

from bot.cli.chat_quality import Reply, Row, matches, read_reply, score


def test_the_policy_answer_after_safeguarding_advice_is_what_counts():
    advice = {"text": "Bullying is taken seriously", "safeguarding": "bullying", "covered": True,
              "citations": [{"clause": "8.2"}], "buttons": []}
    answer = {"text": "…", "covered": True, "citations": [{"clause": "6.6"}, {"clause": "8.5"}], "buttons": []}
    assert read_reply([advice, answer]) == Reply(("6.6", "8.5"), True, False, False)
    assert read_reply([advice]).clauses == ("8.2",)
    refused = {"text": "I can't find that", "covered": False, "citations": [], "buttons": []}
    assert read_reply([refused]) == Reply((), False, False, False)
    started = [{"text": "I'll take your report", "report": "started", "citations": [], "buttons": []}]
    assert read_reply(started).report_started and not read_reply(started).covered


def test_clause_ids_match_sections_and_the_statement_of_intent():
    assert matches("10.1.S", "10.1") and matches("5.3", "5.3") and not matches("5.30", "5.3")
    assert matches("intent", "statement") and not matches("5.3", "statement")


def test_figures_per_kind_of_question():
    rows = [Row("can I friend a parent?", "staff", ("5.3",)), Row("uniform?", "parent", ()),
            Row("when is it reviewed?", "staff", ("meta",)), Row("and pupils?", "staff", ("5.3",), "can I friend a parent?"),
            Row("a pupil added me", "staff", ("5.4",))]
    replies = [Reply(("5.4", "5.3"), True, False, False), Reply((), False, False, False),
               Reply((), False, True, False), Reply(("5.3",), True, False, False), Reply((), False, False, True)]
    q = score(rows, replies)
    assert (q.hit_at_1, q.hit_at_3) == (0.0, 0.5)
    assert q.not_covered_refused == 1.0 and q.wrongly_refused == 0.5 and q.meta_right == 1.0
    assert q.follow_ups_right == 1.0 and q.reports_started == 1


def test_a_follow_up_the_policy_does_not_answer_is_right_when_refused():
    rows = [Row("and the uniform?", "parent", (), "can my son use tiktok?"),
            Row("what about the dinner money?", "parent", (), "can I post photos?")]
    q = score(rows, [Reply((), False, False, False), Reply(("5.8",), True, False, False)])
    assert q.follow_ups_right == 0.5
    assert score(rows[:1], [Reply((), False, False, True)]).follow_ups_right == 0.0  # a report form is no refusal
