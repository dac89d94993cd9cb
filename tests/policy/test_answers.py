import datetime as dt

from bot.policy.answers import compose
from bot.policy.retrieval import Hit, SearchResult

BEFORE_REVIEW = dt.date(2021, 5, 1)
AFTER_REVIEW = dt.date(2026, 11, 24)


def result(policies, *numbers, covered=True, scores=None):
    d200 = policies[0]
    scores = scores or [0.9 - 0.01 * i for i in range(len(numbers))]
    hits = tuple(Hit(d200.clause(n), s, s, 0.0) for n, s in zip(numbers, scores, strict=True))
    return SearchResult("can I friend a parent?", covered, hits)


def test_answer_quotes_the_clause_with_citation_and_strength(policies):
    answer = compose(result(policies, "5.3", "5.4", "6.4"), {"D200": policies[0]}, AFTER_REVIEW)
    lead, header = answer.text.splitlines()[:2]
    assert lead.startswith("No: members of staff must not “friend”") and lead.endswith("(D200 5.3)")
    assert header == "MUST NOT · D200 5.3 (Social media use - staff)"
    assert "Members of staff must not “friend”" in answer.text
    assert "Related: D200 5.4 (MUST); D200 6.4 (SHOULD)" in answer.text
    cite = answer.payload["citations"][0]
    assert answer.payload["covered"] is True
    assert {k: cite[k] for k in ("policy", "clause", "section", "strength")} == {
        "policy": "D200", "clause": "5.3", "section": "Social media use - staff", "strength": "must_not"}
    assert cite["text"] == policies[0].clause("5.3").text
    assert [c["clause"] for c in answer.payload["citations"]] == ["5.3", "5.4", "6.4"]


def test_review_notice_comes_from_metadata_and_the_date(policies):
    late = compose(result(policies, "5.3"), {"D200": policies[0]}, AFTER_REVIEW)
    assert late.payload["notices"] == [
        "D200 Social Media Policy was due for review in October 2022. "
        "Check with the school office that this is still the current version."]
    assert late.payload["notices"][0] in late.text
    early = compose(result(policies, "5.3"), {"D200": policies[0]}, BEFORE_REVIEW)
    assert early.payload["notices"] == [] and "review" not in early.text


def test_related_clauses_must_score_close_to_the_best(policies):
    answer = compose(result(policies, "5.3", "5.4", "6.4", scores=[0.9, 0.7, 0.6]), {"D200": policies[0]},
                     AFTER_REVIEW, related_within=0.1)
    assert [c["clause"] for c in answer.payload["citations"]] == ["5.3"]


def test_not_covered_says_so_and_names_who_to_ask(policies):
    answer = compose(result(policies, "5.3", covered=False), {"D200": policies[0]}, AFTER_REVIEW)
    assert answer.payload["covered"] is False and answer.payload["citations"] == []
    assert "won't guess" in answer.text and "e-safety team (D200 2.1)" in answer.text
    assert answer.payload["contact"]["clause"] == "2.1"
    assert "Elena Ponsen" in answer.text


def test_sexting_answers_lead_with_the_safeguarding_note(policies):
    answer = compose(result(policies, "9.1"), {"D200": policies[0]}, AFTER_REVIEW)
    assert answer.text.startswith("Safeguarding first: do not ask for, open, save, copy or forward any image")
    assert "Designated Safeguarding Lead" in answer.payload["safety"]


def test_the_statement_of_intent_is_cited_by_name(policies):
    answer = compose(result(policies, "intent"), {"D200": policies[0]}, AFTER_REVIEW)
    assert answer.payload["citations"][0]["label"] == "D200, Statement of intent"
