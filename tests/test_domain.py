"""Names used in code, data and the domain agree both ways."""

import inspect
import re

import yaml
from rasa_sdk import Action

import actions.chitchat as chitchat
import actions.incident_report as incident_report
import actions.induction as induction
import actions.policy_answers as policy_answers
from tests.support.paths import ROOT

DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))


def action_classes():
    modules = (policy_answers, incident_report, induction, chitchat)
    return [c for module in modules for _, c in inspect.getmembers(module, inspect.isclass)
            if issubclass(c, Action) and c.__module__.startswith("actions.") and not inspect.isabstract(c)]


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
    used = set(re.findall(r"\b(utter_[a-z_]+)", data_text())) | set(re.findall(r"\"(utter_[a-z_]+)\"", python_text()))
    asked_by_forms = {f"utter_ask_{slot}" for form in DOMAIN["forms"].values() for slot in form["required_slots"]}
    asked_by_actions = {name.replace("action_", "utter_", 1) for name in DOMAIN["actions"] if name.startswith("action_ask_")}
    assert used | (asked_by_forms - asked_by_actions) == set(DOMAIN["responses"])


def test_form_slots_are_asked_exactly_once_and_in_the_categories_order():
    from bot.incidents.categories import questions_for

    required = DOMAIN["forms"]["incident_report_form"]["required_slots"]
    assert DOMAIN["forms"]["induction_name_form"]["required_slots"] == ["staff_name"]
    assert "utter_ask_staff_name" in DOMAIN["responses"]
    assert required == questions_for(None)
    for slot in required:
        asked = [f"utter_ask_{slot}" in DOMAIN["responses"], f"action_ask_{slot}" in DOMAIN["actions"]]
        assert asked.count(True) == 1, slot


def test_every_intent_has_examples_and_a_rule():
    text = data_text()
    for intent in DOMAIN["intents"]:
        assert f"intent: {intent}\n" in text, intent
        assert re.search(rf"- intent: {intent}\n\s+- action:", text), intent


def python_text() -> str:
    return "\n".join(p.read_text(encoding="utf-8") for folder in ("bot", "actions") for p in (ROOT / folder).rglob("*.py"))


def test_every_contract_intent_and_payload_in_python_exists_in_the_domain():
    from bot import contract

    assert set(contract.INTENTS) <= set(DOMAIN["intents"])
    payloads = set(re.findall(r"[\"'](/[a-z_]+)[\"'{]", python_text())) - {"/static", "/healthz", "/policy", "/desk"}
    assert {p[1:] for p in payloads} <= set(DOMAIN["intents"]), payloads


def test_every_slot_and_response_named_in_python_exists_in_the_domain():
    text = python_text()
    named_slots = set(re.findall(r"(?:SlotSet|get_slot)\(\s*\"([a-z_]+)\"", text)) - {"requested_slot"}  # Rasa's own
    assert named_slots <= set(DOMAIN["slots"]), named_slots - set(DOMAIN["slots"])
    responses = set(re.findall(r"\"(utter_[a-z_]+)\"", text))
    assert responses <= set(DOMAIN["responses"]), responses - set(DOMAIN["responses"])


def test_the_report_slot_table_is_the_form_and_the_domain():
    from bot.incidents.slots import REPORT_SLOTS

    names = [s.name for s in REPORT_SLOTS]
    assert set(names) <= set(DOMAIN["slots"])
    required = DOMAIN["forms"]["incident_report_form"]["required_slots"]
    assert [n for n in required if n in names] == names
