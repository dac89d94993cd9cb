"""A second policy, imported from the school's Word file, answered through /api/chat right after
`policybot index`: its own citations, both policies cited when both answer, and Rasa's model untouched."""

from __future__ import annotations

import hashlib
import shutil
import subprocess

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
    corpus = tmp_path_factory.mktemp("corpus")
    shutil.copytree(CORPUS, corpus, dirs_exist_ok=True)
    word = documents.anti_bullying_word(tmp_path_factory.mktemp("word") / "Anti-bullying Policy.docx")
    env = {"POLICY_CORPUS_DIR": str(corpus), "INDEX_CACHE_DIR": str(tmp_path_factory.mktemp("index")), "PATH": ""}
    policybot = str(ROOT / ".venv" / "bin" / "policybot")
    before = model_digest()
    for command in (["policies", "import", str(word)], ["index"]):
        done = subprocess.run([policybot, *command], env={**__import__("os").environ, **env}, capture_output=True,
                              text=True, timeout=600, cwd=ROOT)
        assert done.returncode == 0, done.stderr
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
        running.model_before = before
        yield running
        running.http.close()
    finally:
        stack.stop(services)


def citations(response) -> list[tuple[str, str, str]]:
    assert response.status_code == 200, response.text
    return [(c["policy"], c["clause"], c.get("policy_title", "")) for m in response.json()["messages"]
            for c in m.get("citations") or []]


def test_the_imported_policy_answers_with_its_own_citations(two_policy_stack):
    found = citations(two_policy_stack.chat("do staff have to record bullying on the behaviour log?", "staff",
                                            sender="b100-staff"))
    assert found and found[0] == ("B100", "2.2", "Anti-bullying Policy")
    assert model_digest() == two_policy_stack.model_before  # Rasa was not retrained


def test_a_question_both_policies_answer_cites_both(two_policy_stack):
    found = citations(two_policy_stack.chat("should we keep screenshots of cyberbullying messages?", "parent",
                                            sender="both-parent"))
    assert {policy for policy, _, _ in found} == {"B100", "D200"}, found


def test_d200_still_answers_as_before(two_policy_stack):
    found = citations(two_policy_stack.chat("can I friend a parent?", "staff", sender="d200-staff"))
    assert found[0][:2] == ("D200", "5.3")
