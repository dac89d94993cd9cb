"""`policybot` as a user runs it: a real process, the real model."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from tests.support.cli import POLICYBOT, policybot
from tests.support.paths import CORPUS


@pytest.mark.model
def test_ask_json_prints_the_same_payload_as_the_actions():
    result = policybot("ask", "--role", "staff", "--json", "can I friend a parent?")
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["covered"] is True
    assert (payload["citations"][0]["policy"], payload["citations"][0]["clause"]) == ("D200", "5.3")
    assert payload["citations"][0]["strength"] == "should"
    assert payload["text"].startswith("Think carefully first:") and "SHOULD · D200 5.3" in payload["text"]


@pytest.mark.model
def test_ask_plain_text_for_a_parent():
    result = policybot("ask", "--role", "parent", "can my son go on snapchat at school?")
    assert result.returncode == 0 and "D200 6.1" in result.stdout.decode()


@pytest.mark.parametrize(
    "argument, words",
    [(b"", "Please type a question"), (b"x" * 10_000, "please keep it under 1000"),
     (b"\xff\xfe broken", "couldn't be read as text"), (b"\x01\x02\x1b", "Please type a question")],
)
def test_bad_questions_get_a_clear_message_and_exit_2(argument, words):
    result = subprocess.run([bytes(POLICYBOT), b"ask", argument], capture_output=True, timeout=60)
    assert result.returncode == 2
    assert words in result.stderr.decode() and b"Traceback" not in result.stderr


def test_unknown_role_is_refused_by_the_parser():
    result = policybot("ask", "--role", "governor", "hi")
    assert result.returncode == 2 and b"invalid choice" in result.stderr


@pytest.mark.model
def test_a_second_policy_becomes_searchable_after_index(tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    (corpus / "E300_passwords.md").write_text(
        "---\ncode: E300\ntitle: Acceptable Use Policy\ncluster: The Heatons Cluster of Schools\n"
        "school: Norris Bank\ndate_of_policy: 2024-09\nreview_date: 2099-09\n---\n"
        "1. Passwords\n\n- 1.1. Staff must not share their network password with anyone, including pupils.\n",
        encoding="utf-8",
    )
    env = {"POLICY_CORPUS_DIR": str(corpus), "INDEX_CACHE_DIR": str(tmp_path / "cache")}
    indexed = policybot("index", env=env)
    assert indexed.returncode == 0 and b"E300 Acceptable Use Policy: 1 clauses" in indexed.stdout
    answer = policybot("ask", "--json", "Can I tell a colleague my network password?", env=env)
    assert json.loads(answer.stdout)["citations"][0]["policy"] == "E300"


def test_a_malformed_policy_is_a_clear_error(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "bad.md").write_text("---\ncode: E300\n---\n1. A\n", encoding="utf-8")
    result = policybot("index", env={"POLICY_CORPUS_DIR": str(corpus)})
    assert result.returncode == 1
    assert f"{corpus / 'bad.md'}:1: front matter is missing 'title'" in result.stderr.decode()
    assert b"Traceback" not in result.stderr


def test_settings_never_prints_a_secret():
    secrets = {"SESSION_SECRET": "s3ss10n-k3y-value", "SMTP_PASSWORD": "smtp-pa55word", "RASA_TOKEN": "rasa-t0ken-value",
               "SLACK_BOT_TOKEN": "xoxb-123-slack-token", "SLACK_SIGNING_SECRET": "slack-s1gning-secret",
               "SLACK_APP_TOKEN": "xapp-1-app-token", "TEAMS_APP_PASSWORD": "teams-cl1ent-secret",
               "DATABASE_URL": "postgresql+psycopg://policybot:db-pa55word@127.0.0.1:5432/policybot"}
    result = policybot("settings", env=secrets)
    out = result.stdout.decode()
    assert result.returncode == 0
    for value in ("s3ss10n-k3y-value", "smtp-pa55word", "rasa-t0ken-value", "xoxb-123-slack-token",
                  "slack-s1gning-secret", "xapp-1-app-token", "teams-cl1ent-secret", "db-pa55word"):
        assert value not in out
    assert "SMTP_PASSWORD=(set, hidden)" in out
    assert "DATABASE_URL=postgresql+psycopg://policybot:***@127.0.0.1:5432/policybot" in out


def test_policybot_run_refuses_a_database_other_accounts_can_read(tmp_path):
    db = tmp_path / "var" / "policybot.sqlite3"
    db.parent.mkdir()
    db.write_bytes(b"")
    db.chmod(0o644)
    result = policybot("run", env={"DATABASE_URL": f"sqlite:///{db}"})
    err = result.stderr.decode()
    assert result.returncode == 1 and "Could not start" in err and "other accounts" in err and "Traceback" not in err


def test_policybot_run_refuses_a_contact_nobody_can_reach(tmp_path):
    contacts = tmp_path / "contacts.yml"
    contacts.write_text("people:\n  head: {name: Head, email: head@school.example}\n  dsl: {name: Ann Lee (DSL)}\n"
                        "routes:\n  other: [head]\nurgent: [dsl]\n", encoding="utf-8")
    result = policybot("run", env={"CONTACTS_FILE": str(contacts), "DATA_DIR": str(tmp_path / "var")})
    err = result.stderr.decode()
    assert result.returncode == 1 and "Could not start" in err and "Ann Lee (DSL) (dsl) has no email" in err
    assert "Traceback" not in err


def test_rasa_never_runs_at_debug_and_never_sees_the_assistants_secrets():
    from bot.cli.stack import rasa_environment
    from bot.settings import Settings

    env = rasa_environment(Settings(LOG_LEVEL="DEBUG", RASA_TOKEN="t0ken", SMTP_PASSWORD="pw", SESSION_SECRET="key"))
    assert env["LOG_LEVEL"] == "INFO" and env["RASA_AUTH_TOKEN"] == "t0ken"
    assert "pw" not in env.values() and "key" not in env.values() and "SMTP_PASSWORD" not in env
    assert rasa_environment(Settings(LOG_LEVEL="WARNING", RASA_TOKEN="t"))["LOG_LEVEL"] == "WARNING"
