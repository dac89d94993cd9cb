"""The layers of bot/: the kernel imports no feature, the gateway stays clear of the retrieval stack,
notifiers never import a channel's app, and bot/ never imports Rasa's SDK or the actions."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.paths import ROOT

KERNEL = {"bot.settings", "bot.database", "bot.records", "bot.roles", "bot.messages", "bot.contract", "bot.audit_chain"}
FEATURES = ("bot.policy", "bot.safeguarding", "bot.incidents", "bot.induction", "bot.notify", "bot.gateway", "bot.cli")
RETRIEVAL_STACK = ("numpy", "torch", "sentence_transformers", "bot.policy.retrieval", "bot.policy.embeddings",
                   "bot.policy.keywords", "bot.policy.assistant", "bot.safeguarding")
RULES = (
    ("the kernel imports no feature", lambda m: m in KERNEL or m.startswith("bot.migrations"), FEATURES),
    ("the gateway never imports the retrieval stack", lambda m: m.startswith("bot.gateway"), RETRIEVAL_STACK),
    ("a notifier never imports a channel's app", lambda m: m.startswith("bot.notify"),
     ("bot.gateway.app", "bot.gateway.channels.slack.app", "bot.gateway.channels.teams.app")),
    ("services never import Rasa's SDK or the actions", lambda m: m.startswith("bot."), ("rasa_sdk", "actions")),
)


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(source: str) -> set[str]:
    """Every module a source file imports, at any depth (imports inside functions count too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def violations(module: str, source: str) -> list[str]:
    broken = []
    for rule, applies, forbidden in RULES:
        if not applies(module):
            continue
        for name in sorted(imports_of(source)):
            if any(name == f or name.startswith(f + ".") for f in forbidden):
                broken.append(f"{module} imports {name}: {rule}")
    return broken


def test_no_module_breaks_a_layer_rule():
    broken = [v for path in sorted((ROOT / "bot").rglob("*.py")) for v in violations(module_name(path), path.read_text())]
    assert broken == []


@pytest.mark.parametrize("module, source", [
    ("bot.settings", "from bot.incidents.service import IncidentService"),
    ("bot.database", "def f():\n    import bot.policy.corpus\n"),
    ("bot.gateway.app", "import numpy as np"),
    ("bot.gateway.channels.web.request", "from bot.policy.retrieval import ROLES"),
    ("bot.notify.slack", "from bot.gateway.channels.slack.app import SlackChannel"),
    ("bot.incidents.service", "from rasa_sdk import Tracker"),
])
def test_the_rules_catch_a_forbidden_import(module, source):
    assert violations(module, source)


def test_the_gateway_process_loads_no_model_libraries():
    probe = ("import sys\nfrom bot.gateway.app import create_app\nfrom bot.settings import Settings\n"
             "import bot.gateway.channels.slack.app, bot.gateway.channels.teams.app, bot.notify.outbox\n"
             "create_app(Settings())\n"
             "print(' '.join(m for m in ('numpy', 'torch', 'sentence_transformers', 'transformers') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""


@pytest.mark.model
def test_the_action_server_answers_without_torch():
    """The actions answer and triage through the encoders' ONNX export (bot.policy.fast_encoder): torch, transformers
    and sentence-transformers are for training and the bench only, and would add about 250 MB to each worker."""
    probe = ("import sys\nimport actions.policy_answers, actions.safeguarding, actions.incident_report, actions.induction\n"
             "from actions.safeguarding import _verdict\nfrom bot.policy.assistant import PolicyAssistant\n"
             "assert PolicyAssistant().ask('can I friend a parent?', 'staff').cited() == ['D200 5.3']\n"
             "assert _verdict('a child told me someone is coming to hurt them tonight').kind == 'danger'\n"
             "print(' '.join(m for m in ('torch', 'sentence_transformers', 'transformers') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""
