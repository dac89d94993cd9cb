"""The ResponseSelector peer's scoring (its training and parsing run in make bench, on Rasa's own environment)."""

from __future__ import annotations

from bot.cli.chat_quality import Row
from bot.cli.peer import _figures, _key, _number


def test_clause_numbers_survive_the_retrieval_intent_names():
    for number in ("5.3", "10.1.S", "intent"):
        assert _number(_key(number)) == number


def test_the_peer_is_scored_like_the_assistant_and_refuses_below_its_threshold():
    rows = [Row("can I friend a parent?", "staff", ("5.3",)), Row("uniform?", "parent", ()),
            Row("and pupils?", "staff", ("5.3",), "can I friend a parent?")]
    ranked = [[("5.4", 0.6), ("5.3", 0.3)], [("6.1", 0.2)], [("5.3", 0.9)]]
    never = _figures(rows, ranked, 0.0)
    assert (never.hit_at_1, never.hit_at_3, never.not_covered_refused, never.follow_ups_right) == (0.0, 1.0, 0.0, 1.0)
    strict = _figures(rows, ranked, 0.5)
    assert strict.not_covered_refused == 1.0 and strict.wrongly_refused == 0.0 and strict.hit_at_3 == 1.0
