"""Names used in code, data and the domain agree both ways."""

import inspect
import re

import yaml
from rasa_sdk import Action

import actions.policy_answers as policy_answers
from tests.conftest import ROOT

DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))


def action_classes():
    return [c for _, c in inspect.getmembers(policy_answers, inspect.isclass)
            if issubclass(c, Action) and c is not Action and not inspect.isabstract(c)]


def data_text() -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "data").rglob("*.yml"))


def test_every_custom_action_is_in_the_domain_and_back():
    in_code = {c().name() for c in action_classes()}
    assert in_code == set(DOMAIN["actions"])


def test_action_names_pair_with_class_names():
    for cls in action_classes():
        snake = re.sub(r"(?<!^)(?=[A-Z])", "_", cls.__name__).lower()
        assert cls().name() == snake


def test_every_response_is_used_and_every_used_response_exists():
    used = set(re.findall(r"\b(utter_[a-z_]+)", data_text()))
    assert used == set(DOMAIN["responses"])


def test_every_intent_has_examples_and_a_rule():
    text = data_text()
    for intent in DOMAIN["intents"]:
        assert f"intent: {intent}\n" in text, intent
        assert re.search(rf"- intent: {intent}\n\s+- action:", text), intent
