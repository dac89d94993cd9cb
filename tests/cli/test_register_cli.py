"""`policybot register ...` as the school business manager runs it: a real process, a real database."""

from __future__ import annotations

import csv
import io
import json
import shutil

from bot.induction.service import InductionService
from bot.settings import Settings
from tests.support.cli import policybot
from tests.support.induction import acknowledged
from tests.support.paths import CORPUS


def test_list_export_and_missing_including_a_changed_policy(tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    url = f"sqlite:///{tmp_path / 'register.sqlite3'}"
    env = {"DATABASE_URL": url, "POLICY_CORPUS_DIR": str(corpus)}
    service = InductionService(Settings(DATABASE_URL=url, POLICY_CORPUS_DIR=str(corpus)))
    acknowledged(service, "slack:T1:U1", "Jo Smith")
    (tmp_path / "staff.csv").write_text("name,email\nJo Smith,jo@school.example\nAli Khan,ali@school.example\n")

    listed = json.loads(policybot("register", "list", "--json", env=env).stdout)
    assert [(r["name"], r["score"], r["passed"]) for r in listed] == [("Jo Smith", 100, "yes")]
    assert listed[0]["confirmed read and understood"] and listed[0]["version"] == service.content.version
    exported = list(csv.DictReader(io.StringIO(policybot("register", "export", "--format", "csv", env=env)
                                               .stdout.decode())))
    assert exported[0]["channel identity"] == "slack:T1:U1"

    result = policybot("register", "missing", "--staff", str(tmp_path / "staff.csv"), env=env)
    out = result.stdout.decode()
    assert result.returncode == 3 and "Ali Khan: no acknowledgement" in out and "Jo Smith" not in out

    policy = corpus / "D200_social_media.md"
    policy.write_text(policy.read_text(encoding="utf-8").replace("may not access social media during the school day",
                                                                 "must not access social media during the school day"))
    out = policybot("register", "missing", "--staff", str(tmp_path / "staff.csv"), env=env).stdout.decode()
    assert "Jo Smith: out of date" in out and "Ali Khan: no acknowledgement" in out


def test_a_staff_file_without_names_is_a_clear_error(tmp_path):
    (tmp_path / "staff.csv").write_text("email\nx@y.example\n")
    result = policybot("register", "missing", "--staff", str(tmp_path / "staff.csv"),
                       env={"DATABASE_URL": f"sqlite:///{tmp_path / 'r.sqlite3'}"})
    assert result.returncode != 0 and b"needs a 'name' column" in result.stderr and b"Traceback" not in result.stderr
