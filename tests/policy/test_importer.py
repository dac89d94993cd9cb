"""Importing policies: D200 from Word (Word's own numbering) and from PDF gives the clauses of the hand-made
corpus file; dates, title and code are found; bad files are clear errors that leave the corpus alone."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from bot.policy.corpus import load_policy
from bot.policy.importer import ImportProblem, WordNumbering, import_policy, month, place, read_lines
from tests.support import policy_documents as documents
from tests.support.paths import ROOT

D200 = ROOT / "policy_corpus" / "D200_social_media.md"


def clauses(policy) -> list[tuple[str, str, tuple[str, ...]]]:
    return [(c.id, c.text, c.items) for c in policy.clauses]


@pytest.mark.parametrize("make", [documents.word_policy, documents.pdf_policy], ids=["word", "pdf"])
def test_d200_from_word_and_pdf_gives_the_corpus_clauses(tmp_path, make):
    source = make(D200, tmp_path / ("D200" + (".docx" if make is documents.word_policy else ".pdf")))
    result = import_policy(source, tmp_path / "out")
    written, policy, report = result.written, result.policy, result.report
    original = load_policy(D200)
    assert clauses(policy) == clauses(original)
    assert (policy.code, policy.title) == ("D200", "Social Media Policy")
    assert (policy.date_of_policy, policy.review_date) == (original.date_of_policy, original.review_date)
    assert written.name == "D200_social_media_policy.md" and written.parent == tmp_path / "out"
    assert not [line for line in report if "jumps" in line]
    text = written.read_text()
    assert "Uncontrolled when printed" not in text and "Governing body" not in text  # footer and table left out
    assert "Page 1" not in text and "Norris Bank Primary School -" not in text  # the PDF's running lines


def test_word_numbering_is_counted_as_word_shows_it(tmp_path):
    import docx

    path = documents.word_policy(D200, tmp_path / "D200.docx")
    numbering = WordNumbering(docx.Document(str(path)))
    labels = [label for p in docx.Document(str(path)).paragraphs if (label := numbering.label(p))]
    assert labels[labels.index("5.") + 1:labels.index("5.") + 4] == ["5.1.", "5.2.", "5.3."]
    assert "-" in labels and labels.count("1.") == 1


def test_lines_are_placed_and_what_cannot_be_is_reported():
    lines = ["Anti-bullying Policy for The Heatons Cluster of Schools", "E100", "Date of Policy: September 2024",
             "Review date: 09/2026", "1. Aims", "1.1 We will not tolerate bullying.", "a) in class", "(ii) online",
             "1.1.1 including at weekends", "1.3. Reports go to the head.", "2. Roles", "Some text before a clause.",
             "2.1. The DSL leads."]
    imported = place(lines, None, "test")
    assert 'code: "E100"' in imported.markdown and 'title: "Anti-bullying Policy"' in imported.markdown
    assert 'date_of_policy: "2024-09"' in imported.markdown and 'review_date: "2026-09"' in imported.markdown
    assert "- 1.1. We will not tolerate bullying.\n - in class\n - online\n - 1.1.1 including at weekends" \
        in imported.markdown
    assert any("jumps from 1.1 to 1.3" in line for line in imported.report)
    assert any("before its first clause" in line and "Some text" in line for line in imported.report)


@pytest.mark.parametrize("text, expected", [("October 2020", "2020-10"), ("Sept 2024", "2024-09"), ("Sep 2024", "2024-09"),
                                            ("10/2020", "2020-10"), ("2021-3", "2021-03"), ("13/2020", None)])
def test_months(text, expected):
    assert month(text) == expected


def bad_files(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    huge = tmp_path / "huge.pdf"
    with huge.open("wb") as stream:
        stream.write(os.urandom(1 << 20) * 50)
    not_policy = tmp_path / "notes.md"
    not_policy.write_text("Shopping list\n\n- eggs\n- milk\n")
    fake = tmp_path / "fake.docx"
    fake.write_bytes(b"this is not a zip file at all")
    return {
        "scanned": (documents.scanned_pdf(tmp_path / "scanned.pdf"), "no text layer"),
        "encrypted": (documents.encrypted_pdf(D200, tmp_path / "locked.pdf"), "password-protected"),
        "zip bomb": (documents.zip_bomb_docx(tmp_path / "bomb.docx"), "unpacks to 300 MB"),
        "50 MB": (huge, "50 MB"),
        "not a policy": (not_policy, "could not find the policy's code and title"),
        "not a docx": (fake, "not a Word document"),
        "other kind": (tmp_path / "policy.odt", "only Word"),
    }


def test_bad_files_are_clear_errors_and_leave_the_corpus_alone(tmp_path):
    (tmp_path / "policy.odt").write_bytes(b"PK")
    out = tmp_path / "corpus"
    out.mkdir()
    for name, (path, says) in bad_files(tmp_path).items():
        with pytest.raises(ImportProblem, match=says):
            import_policy(path, out)
        assert list(out.iterdir()) == [], name


def test_the_command_writes_for_checking_and_reports(tmp_path):
    source = documents.word_policy(D200, tmp_path / "D200.docx")
    done = subprocess.run([str(ROOT / ".venv" / "bin" / "policybot"), "policies", "import", str(source), "--out",
                           str(tmp_path / "check")], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "61 clauses" in done.stdout and str(tmp_path / "check" / "D200_social_media_policy.md") in done.stdout
    bad = subprocess.run([str(ROOT / ".venv" / "bin" / "policybot"), "policies", "import",
                          str(documents.scanned_pdf(tmp_path / "scan.pdf")), "--out", str(tmp_path / "check2")],
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 1 and "no text layer" in bad.stderr and "Traceback" not in bad.stderr
    assert not (tmp_path / "check2").exists() or not list((tmp_path / "check2").iterdir())


def test_markdown_corpus_files_import_as_themselves(tmp_path):
    policy = import_policy(D200, tmp_path, "D200").policy
    assert clauses(policy) == clauses(load_policy(D200))
    assert read_lines(D200)[0] == ""


def test_a_new_version_shows_its_changes_keeps_the_old_and_dates_the_acknowledgements(tmp_path):
    import shutil

    from bot.induction.service import InductionService
    from bot.settings import Settings
    from tests.support.cli import policybot
    from tests.support.induction import acknowledged
    from tests.support.paths import CORPUS

    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    url = f"sqlite:///{tmp_path / 'register.sqlite3'}"
    env = {"DATABASE_URL": url, "POLICY_CORPUS_DIR": str(corpus)}
    service = InductionService(Settings(DATABASE_URL=url, POLICY_CORPUS_DIR=str(corpus)))
    acknowledged(service, "slack:T1:U1", "Jo Smith")
    (tmp_path / "staff.csv").write_text("name\nJo Smith\n")
    assert "Jo Smith" not in policybot("register", "missing", "--staff", str(tmp_path / "staff.csv"), env=env).stdout.decode()

    changed = tmp_path / "D200-2024.md"
    text = (corpus / "D200_social_media.md").read_text(encoding="utf-8")
    changed.write_text(text.replace("may not access social media during the school day",
                                    "must not access social media at any time in school")
                       .replace("Date of Policy: October 2020", "Date of Policy: September 2024"), encoding="utf-8")
    word = documents.word_policy(changed, tmp_path / "D200 Social Media Policy 2024.docx")
    before = sorted(p.name for p in corpus.iterdir())
    done = policybot("policies", "import", str(word), env=env)
    out = done.stdout.decode()
    assert done.returncode == 0, done.stderr
    assert "replaces the version of October 2020" in out and "1 change(s):" in out and "reworded 6.1" in out
    assert sorted(p.name for p in corpus.iterdir()) == sorted([*before, "versions"])  # same file: phrasings stay
    kept = list((corpus / "versions").iterdir())
    assert len(kept) == 1 and "may not access social media during the school day" in kept[0].read_text()
    now = load_policy(corpus / "D200_social_media.md")
    assert now.date_of_policy.year == 2024 and now.contact_clause == "2.1" and "9" in now.notes
    assert any(c.asks for c in now.clauses)  # the phrasings still attach
    missing = policybot("register", "missing", "--staff", str(tmp_path / "staff.csv"), env=env).stdout.decode()
    assert "Jo Smith: out of date" in missing


def test_a_two_column_pdf_reads_column_by_column(tmp_path):
    source = documents.two_column_pdf(documents.ANTI_BULLYING, tmp_path / "B100.pdf")
    policy = import_policy(source, tmp_path / "out").policy
    assert clauses(policy) == clauses(load_policy(documents.ANTI_BULLYING))
    assert (policy.code, policy.title, f"{policy.review_date:%Y-%m}") == ("B100", "Anti-bullying Policy", "2026-09")
