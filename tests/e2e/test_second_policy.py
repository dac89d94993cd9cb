"""A second policy, imported from the school's Word file while the assistant runs, answered through /api/chat
right after `policybot index` (no restart): its own citations, both policies cited when both answer, and Rasa's
model untouched."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import time

import pytest

from bot.cli import stack
from bot.cli.stack import free_port
from bot.settings import Settings
from tests.e2e.conftest import RunningStack, contacts_for_tests
from tests.support import policy_documents as documents
from tests.support.paths import CORPUS, ROOT

pytestmark = pytest.mark.stack


def model_digest() -> str:
    return hashlib.sha256(stack.MODEL.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def two_policy_stack(tmp_path_factory):
    """The stack on a copy of the corpus (D200 alone at first), then the anti-bullying policy imported from Word
    and `policybot index` run while it answers."""
    corpus = tmp_path_factory.mktemp("corpus")
    shutil.copytree(CORPUS, corpus, dirs_exist_ok=True)
    env = {**os.environ, "POLICY_CORPUS_DIR": str(corpus), "INDEX_CACHE_DIR": str(tmp_path_factory.mktemp("index"))}
    settings = stack.with_token(Settings(
        POLICY_CORPUS_DIR=env["POLICY_CORPUS_DIR"], INDEX_CACHE_DIR=env["INDEX_CACHE_DIR"],
        GATEWAY_PORT=free_port(), RASA_URL=f"http://127.0.0.1:{free_port()}",
        ACTION_SERVER_URL=f"http://127.0.0.1:{free_port()}", REDIS_PORT=free_port(),
        DATA_DIR=str(tmp_path_factory.mktemp("data")),
        CONTACTS_FILE=str(contacts_for_tests(tmp_path_factory.mktemp("contacts"))),
        CHAT_LIMIT_PER_CONVERSATION=1000, CHAT_LIMIT_PER_ADDRESS=100_000,
    ))
    run_dir = tmp_path_factory.mktemp("stack")
    services = stack.start(settings, run_dir)
    try:
        stack.wait_ready(settings, services, timeout=300)
        running = RunningStack(settings, services, run_dir)
        running.model_before = model_digest()
        before = citations(running.chat(B100_QUESTION, "staff", sender="before-import"))
        assert not any(policy == "B100" for policy, _, _ in before)
        word = documents.anti_bullying_word(tmp_path_factory.mktemp("word") / "Anti-bullying Policy.docx")
        for command in (["policies", "import", str(word)], ["index"]):
            done = subprocess.run([str(ROOT / ".venv" / "bin" / "policybot"), *command], env=env, capture_output=True,
                                  text=True, timeout=600, cwd=ROOT)
            assert done.returncode == 0, done.stderr
        running.first_answer = answered_from_b100(running)
        yield running
        running.http.close()
    finally:
        stack.stop(services)


B100_QUESTION = "do staff have to record bullying on the behaviour log?"


def answered_from_b100(running: RunningStack, seconds: float = 120.0) -> list[tuple[str, str, str]]:
    """Ask until the running action server answers from the new corpus (it looks every few seconds), or give up
    after `seconds`; each try is a new conversation."""
    deadline = time.monotonic() + seconds
    attempt = 0
    while True:
        attempt += 1
        found = citations(running.chat(B100_QUESTION, "staff", sender=f"after-import-{attempt}"))
        if found and found[0][0] == "B100" or time.monotonic() > deadline:
            return found
        time.sleep(1)


def citations(response) -> list[tuple[str, str, str]]:
    assert response.status_code == 200, response.text
    return [(c["policy"], c["clause"], c.get("policy_title", "")) for m in response.json()["messages"]
            for c in m.get("citations") or []]


def test_the_imported_policy_answers_with_its_own_citations(two_policy_stack):
    found = two_policy_stack.first_answer
    assert found and found[0] == ("B100", "2.2", "Anti-bullying Policy")
    assert model_digest() == two_policy_stack.model_before  # Rasa was not retrained


def test_a_question_both_policies_answer_cites_both(two_policy_stack):
    found = citations(two_policy_stack.chat("should we keep screenshots of cyberbullying messages?", "parent",
                                            sender="both-parent"))
    assert {policy for policy, _, _ in found} == {"B100", "D200"}, found


def test_d200_still_answers_as_before(two_policy_stack):
    found = citations(two_policy_stack.chat("can I friend a parent?", "staff", sender="d200-staff"))
    assert found[0][:2] == ("D200", "5.3")
