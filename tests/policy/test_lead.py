"""The plain one-line answer: the answering sentence with its own strength (no model)."""

from __future__ import annotations

import pytest

from bot.policy.answers import compose
from bot.policy.lead import lead_for
from bot.policy.retrieval import Hit, SearchResult
from bot.policy.wording import sentences_of
from tests.policy.test_answers import AFTER_REVIEW


def sentence(policies, number: str, index: int) -> str:
    return sentences_of(policies[0].clause(number).text)[index]


# Every clause whose sentences carry different strengths, each sentence with the strength it states.
MIXED = [
    ("5.1", 0, "must_not", "No: members of staff may not access social media during lesson time"),
    ("5.1", 1, "may", "Allowed: staff may use social networking during non-contact time"),
    ("5.1", 2, "may", "Allowed: staff may use social networking during non-contact time in a private area away from "
                      "pupils. This does not include PPA"),
    ("5.3", 0, "must_not", "No: members of staff must not “friend” or otherwise contact pupils or ex-pupils"),
    ("5.3", 1, "should", "Think carefully first: members of staff should carefully consider whether it is "
                         "appropriate to ‘friend’ parents/carers"),
    ("5.8", 0, "must_not", "No: teachers or members of staff must not post any information which could identify"),
    ("5.8", 1, "must_not", "No: teachers or members of staff must not post any information which could identify a "
                           "pupil, class or the school. This includes any images of pupils"),
    ("6.3", 0, "must_not", "No: pupils must not attempt to “friend” or otherwise contact members of staff"),
    ("6.3", 1, "must_not", "If attempts to contact members of staff through social media are made, they will be "
                           "reported to the head teacher"),
    ("8.5", 0, "should_not", "Best not: staff members should never respond or retaliate to cyber bullying incidents"),
    ("8.5", 1, "should", "Recommended: incidents should instead be reported to a member of the Senior Leadership Team"),
    ("10.1.S", 0, "should_not", "Best not: safe – Do not give out personal information"),
    ("10.1.S", 1, "should_not", "Follow age restriction rules"),
    ("10.1.M", 0, "should_not", "Best not: meeting – Do not meet somebody you have only met online"),
    ("10.1.M", 1, "should", "Recommended: we encourage parents/carers to speak regularly to their children"),
]


@pytest.mark.parametrize("number, index, strength, starts", MIXED)
def test_each_sentence_leads_with_its_own_strength(policies, number, index, strength, starts):
    clause = policies[0].clause(number)
    lead = lead_for(clause, sentence(policies, number, index), f"D200 {number}")
    assert lead.strength == strength
    assert lead.text.startswith(starts) and lead.text.endswith(f"(D200 {number})")


def test_every_clause_with_mixed_strengths_is_listed_above(policies):
    from bot.policy.wording import strength_of

    mixed = {c.number for c in policies[0].clauses
             if len({strength_of(s) for s in sentences_of(c.text)}) > 1}
    assert mixed == {number for number, *_ in MIXED}


def test_a_list_item_answers_with_the_clause_that_introduces_it(policies):
    clause = policies[0].clause("3.1")
    lead = lead_for(clause, "ClassDojo", "D200 3.1")
    assert lead.text.endswith("including but not limited to: ClassDojo (D200 3.1)")


def test_the_answer_shows_the_sentence_strength_and_quotes_the_list_items(policies):
    d200 = policies[0]
    parent = SearchResult("can I friend a parent?", True,
                          (Hit(d200.clause("5.3"), 0.9, 0.9, 0.0, sentence(policies, "5.3", 1)),))
    answer = compose(parent, {"D200": d200}, AFTER_REVIEW)
    assert answer.text.splitlines()[1] == "SHOULD · D200 5.3 (Social media use - staff)"
    cite = answer.payload["citations"][0]
    assert (cite["strength"], cite["strength_label"], cite["clause_strength"]) == ("should", "SHOULD", "must_not")
    assert answer.payload["lead"].startswith("Think carefully first:")
    dojo = compose(SearchResult("Is ClassDojo social media?", True, (Hit(d200.clause("3.1"), 0.9, 0.9, 0.0,
                                                                         "ClassDojo"),)), {"D200": d200}, AFTER_REVIEW)
    assert "• ClassDojo" in dojo.text and dojo.payload["citations"][0]["items"][-1] == "ClassDojo"
