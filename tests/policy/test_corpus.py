from pathlib import Path

import pytest

from bot.policy.corpus import CorpusError, corpus_hash, load_corpus, load_policy
from tests.support.paths import CORPUS

HEADER = """---
code: E300
title: E-safety Policy
cluster: The Heatons Cluster of Schools
school: Norris Bank
date_of_policy: 2024-09
review_date: 2099-09
---
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_d200_metadata_comes_from_the_file(policies):
    (d200,) = policies
    assert (d200.code, d200.title, d200.school) == ("D200", "Social Media Policy", "Norris Bank")
    assert d200.cluster == "The Heatons Cluster of Schools"
    assert (d200.date_of_policy.year, d200.date_of_policy.month) == (2020, 10)
    assert (d200.review_date.year, d200.review_date.month) == (2022, 10)


def test_clause_ids_sections_and_text(policies):
    (d200,) = policies
    clause = d200.clause("5.3")
    assert clause.id == "D200 5.3"
    assert clause.section == "Social media use - staff"
    assert clause.text.startswith("Members of staff must not “friend”")
    assert "**" not in clause.text
    assert d200.clause("9.1").text.startswith("Each school within The Heatons Cluster takes sexting")
    numbers = [c.number for c in d200.clauses]
    assert len(numbers) == len(set(numbers))
    assert {"5.15", "6.8", "8.10", "9.3"} <= set(numbers)


def test_statement_of_intent_definition_lists_and_smart_letters_stand_alone(policies):
    (d200,) = policies
    intent = d200.clause("intent")
    assert intent.section == "Statement of intent"
    assert any("reputation of the school" in item for item in intent.items)
    assert "ClassDojo" in d200.clause("3.1").items and "Zoom" in d200.clause("3.1").items
    letters = {c.number: c for c in d200.clauses if c.number.startswith("10.1.")}
    assert sorted(letters) == ["10.1.A", "10.1.M", "10.1.R", "10.1.S", "10.1.T"]
    assert letters["10.1.M"].text.startswith("Meeting – Do not meet somebody")
    assert letters["10.1.M"].label == "Meeting"


@pytest.mark.parametrize(
    "number, strength",
    [("5.3", "must_not"), ("6.1", "must_not"), ("6.8", "must"), ("5.4", "must"), ("8.5", "should_not"),
     ("5.7", "should"), ("5.2", "may"), ("7.1", "information"), ("3.1", "information"), ("10.1.M", "should_not")],
)
def test_rule_strength_read_from_wording(policies, number, strength):
    assert policies[0].clause(number).strength == strength


@pytest.mark.parametrize(
    "number, audience",
    [("5.3", ("staff",)), ("6.1", ("pupils", "parents")), ("1.6", ("parents",)), ("8.5", ("staff",)),
     ("10.1.S", ("pupils",)), ("2.1", ("everyone",))],
)
def test_audience(policies, number, audience):
    assert policies[0].clause(number).audience == audience


def test_a_second_policy_file_gets_its_own_code(tmp_path):
    write(tmp_path, "D200.md", (CORPUS / "D200_social_media.md").read_text(encoding="utf-8"))
    write(tmp_path, "E300.md", HEADER + "1. Passwords\n\n- 1.1. Staff must not share passwords.\n")
    codes = {p.code: p for p in load_corpus(tmp_path)}
    assert set(codes) == {"D200", "E300"}
    assert codes["E300"].clause("1.1").id == "E300 1.1"
    assert codes["E300"].clause("1.1").strength == "must_not"


@pytest.mark.parametrize(
    "body, line, words",
    [
        ("1. Passwords\n- 2.1. Clause in the wrong section.\n", 10, "under section 1"),
        ("1. Passwords\nLoose text with no clause.\n", 10, "outside any clause"),
        ("- A bullet before any clause\n1. Passwords\n", 9, "must follow a clause"),
        ("1. A\n- 1.1. One.\n- 1.1. Again.\n", 11, "appears twice"),
        ("2. B\n- 2.1. x\n1. A\n", 11, "comes after section 2"),
        ("Just a title\n", 1, "no numbered clauses"),
    ],
)
def test_malformed_files_name_the_file_and_line(tmp_path, body, line, words):
    path = write(tmp_path, "E300.md", HEADER + body)
    with pytest.raises(CorpusError) as caught:
        load_policy(path)
    assert caught.value.path == path and caught.value.line == line
    assert words in str(caught.value) and str(path) in str(caught.value)


@pytest.mark.parametrize(
    "text, words",
    [
        ("no front matter\n1. A\n- 1.1. x\n", "front matter"),
        (HEADER.replace("code: E300\n", ""), "missing 'code'"),
        (HEADER.replace("2099-09", "September"), "review_date"),
        (HEADER.replace("2099-09", "2099-13"), "review_date"),
    ],
)
def test_bad_front_matter_is_a_clear_error(tmp_path, text, words):
    with pytest.raises(CorpusError, match=words):
        load_policy(write(tmp_path, "E300.md", text + "1. A\n- 1.1. x\n"))


def test_binary_file_is_a_clear_error(tmp_path):
    path = tmp_path / "E300.md"
    path.write_bytes(HEADER.encode() + b"1. A\n- 1.1. \xff\xfe\n")
    with pytest.raises(CorpusError, match="not UTF-8") as caught:
        load_policy(path)
    assert caught.value.line == 10


def test_asks_file_must_name_real_clauses(tmp_path):
    path = write(tmp_path, "E300.md", HEADER + "1. A\n- 1.1. Staff must log off.\n")
    write(tmp_path, "E300.asks.yml", '"1.1":\n  - Do I log off?\n"4.4":\n  - Nothing\n')
    with pytest.raises(CorpusError, match="4.4 is not a clause") as caught:
        load_policy(path)
    assert caught.value.line == 3


def test_duplicate_policy_codes_are_refused(tmp_path):
    write(tmp_path, "a.md", HEADER + "1. A\n- 1.1. x\n")
    write(tmp_path, "b.md", HEADER + "1. A\n- 1.1. y\n")
    with pytest.raises(CorpusError, match="already used"):
        load_corpus(tmp_path)


def test_corpus_hash_changes_with_clause_text(tmp_path, policies):
    source = (CORPUS / "D200_social_media.md").read_text(encoding="utf-8")
    write(tmp_path, "D200.md", source.replace("must not post any information", "must never post information"))
    assert corpus_hash(load_corpus(tmp_path)) != corpus_hash(policies)


def test_not_covered_file_lists_questions_the_policy_does_not_answer(tmp_path):
    path = write(tmp_path, "E300.md", HEADER + "1. A\n- 1.1. Staff must log off.\n")
    assert load_policy(path).not_covered == ()
    write(tmp_path, "E300.not_covered.yml", "# other policies\n- What is the uniform policy?\n- When is sports day?\n")
    assert load_policy(path).not_covered == ("What is the uniform policy?", "When is sports day?")


@pytest.mark.parametrize("text, words", [("- [unclosed\n", "not valid YAML"), ("uniform: yes\n", "a list of questions"),
                                         ("- ''\n", "a list of questions")])
def test_a_bad_not_covered_file_is_a_clear_error(tmp_path, text, words):
    path = write(tmp_path, "E300.md", HEADER + "1. A\n- 1.1. Staff must log off.\n")
    write(tmp_path, "E300.not_covered.yml", text)
    with pytest.raises(CorpusError, match=words):
        load_policy(path)


def test_d200_lists_questions_it_does_not_answer(policies):
    (d200,) = policies
    assert len(d200.not_covered) >= 200
